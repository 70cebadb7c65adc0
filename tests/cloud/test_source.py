"""The tenant recipients source: every export shape it reads, and every broken or truncated one it refuses."""

from __future__ import annotations

import json

import pytest
from cloud import exports as ex
from conftest import SAMPLE_DATA

from preflight.config import Config, ConfigError
from preflight.registry import Missing, SourceError
from preflight.sources.recipients import parse_recipients, read_recipients, recipients_from_config

X400 = "X400:c=US;a= ;p=Contoso;o=Exchange;s=Lee;g=Ann;"
ANN = ex.recipient("Ann Lee", "ann@contoso.com", "MailUser", "smtp:alee@contoso.com", X400)
CAROL = ex.recipient("Carol Diaz", "carol@contoso.com", "UserMailbox", synced=False)


def _objects(tr):
    return {r["name"]: r for r in tr.objects.to_dict("records")}


@pytest.mark.parametrize(("encoding", "type_line"), [("utf-8-sig", False), ("utf-8", True), ("utf-16", True),
                                                     ("utf-16", False)])
def test_get_recipient_csv_in_each_encoding_with_or_without_the_type_line(encoding, type_line):
    data = ex.export_csv([ANN, CAROL], encoding=encoding, type_line=type_line)
    tr = parse_recipients(data, "recipients.csv")
    got = _objects(tr)
    assert got["Ann Lee"]["proxyAddresses"] == ("SMTP:ann@contoso.com", "smtp:alee@contoso.com", X400)
    assert got["Ann Lee"]["mail"] == "ann@contoso.com" and got["Ann Lee"]["recipientTypeDetails"] == "MailUser"
    assert got["Ann Lee"]["dirSynced"] is True and got["Carol Diaz"]["dirSynced"] is False
    assert got["Carol Diaz"]["view"] == "exchange" and got["Carol Diaz"]["item"] == 2
    assert tr.files == [{"path": "recipients.csv", "kind": "get-recipient", "items": 2}]
    assert tr.describe() == {"kind": "tenant-recipients", "paths": ["recipients.csv"], "recipients": 2, "users": 0}


def test_get_recipient_json_list_single_object_and_numeric_types():
    one = parse_recipients(ex.convert_to_json([ANN]), "one.json")
    assert _objects(one)["Ann Lee"]["proxyAddresses"][2] == X400
    numeric = dict(CAROL, RecipientTypeDetails=1)
    got = _objects(parse_recipients(ex.convert_to_json([ANN, numeric]), "two.json"))
    assert got["Carol Diaz"]["recipientTypeDetails"] == "UserMailbox"


def test_graph_users_single_page_concatenated_pages_and_a_list_of_pages():
    users = [ex.user(f"u{i}@contoso.com", licences=[ex.licence(ex.E3, ex.EXO_PLAN2)]) for i in range(5)]
    pages = ex.graph_pages(users, 2)
    assert len(pages) == 3
    for data in (json.dumps(ex.graph_pages(users, 10)[0]).encode(),
                 "\n".join(json.dumps(p) for p in pages).encode(),       # pages appended to one file
                 json.dumps(pages).encode()):                               # a JSON list of pages
        tr = parse_recipients(data, "users.json")
        assert tr.objects["name"].tolist() == [u["userPrincipalName"] for u in users]
        assert set(tr.objects["view"]) == {"entra"}
        assert tr.objects["licences"].iat[0] == ((ex.E3, frozenset({ex.EXO_PLAN2})),)
        assert tr.objects["dirSynced"].tolist() == [True] * 5


def test_a_folder_of_pages_is_read_in_natural_order(tmp_path):
    users = [ex.user(f"u{i:02}@contoso.com") for i in range(22)]
    folder = ex.write_page_folder(ex.graph_pages(users, 2), tmp_path / "users")  # users-1 … users-11
    tr = read_recipients([folder])
    assert tr.objects["name"].tolist() == [u["userPrincipalName"] for u in users]
    assert [f["path"].rsplit("/", 1)[1] for f in tr.files][:3] == ["users-1.json", "users-2.json", "users-3.json"]


def test_page_files_given_one_by_one_form_one_listing_in_the_order_given(tmp_path):
    pages = ex.graph_pages([ex.user(f"u{i}@contoso.com") for i in range(3)], 2)
    first, last = tmp_path / "p1.json", tmp_path / "p2.json"
    first.write_text(json.dumps(pages[0]))
    last.write_text(json.dumps(pages[1]))
    assert read_recipients([first, last]).describe()["users"] == 3
    with pytest.raises(SourceError, match="more page"):
        read_recipients([last, first])


def test_get_mguser_json_at_depth_5_and_its_default_depth():
    mg = [{"UserPrincipalName": "ann@contoso.com", "Mail": "ann@contoso.com", "ProxyAddresses": ["SMTP:ann@contoso.com"],
           "AssignedLicenses": [{"DisabledPlans": [], "SkuId": ex.BASIC}], "OnPremisesSyncEnabled": None}]
    tr = parse_recipients(json.dumps(mg).encode("utf-8-sig"), "mg.json")
    row = tr.objects.iloc[0]
    assert row["licences"] == ((ex.BASIC, frozenset()),) and row["dirSynced"] == False  # noqa: E712 (null: cloud-only)
    mg[0]["AssignedLicenses"] = ["Microsoft.Graph.PowerShell.Models.MicrosoftGraphAssignedLicense"]
    with pytest.raises(SourceError, match="-Depth 5"):
        parse_recipients(json.dumps(mg).encode(), "mg.json")


@pytest.mark.parametrize("pascal", [False, True])
def test_subscribed_skus_know_which_plans_are_exchange_online(tmp_path, pascal):
    (tmp_path / "skus.json").write_bytes(ex.subscribed_skus(pascal=pascal))
    (tmp_path / "users.json").write_text(json.dumps(ex.graph_pages([ex.user("a@contoso.com")], 5)[0]))
    tr = read_recipients([tmp_path / "skus.json", tmp_path / "users.json"])
    assert tr.skus[ex.E3].exchange_plans == {ex.EXO_PLAN2}
    assert tr.skus[ex.BASIC].exchange_plans == {ex.EXO_PLAN1}
    assert tr.skus[ex.ENTRA_P1].exchange_plans == frozenset()  # EXCHANGE_S_FOUNDATION is no mailbox licence
    assert tr.describe()["skus"] == 3


def test_an_optional_column_left_out_is_unknown_not_empty():
    users = [{"userPrincipalName": "a@contoso.com", "mail": "a@contoso.com", "proxyAddresses": []}]
    row = parse_recipients(json.dumps({"value": users}).encode(), "u.json").objects.iloc[0]
    assert row["licences"] is None and row["dirSynced"] is __import__("pandas").NA


PAGES = ex.graph_pages([ex.user(f"u{i}@contoso.com") for i in range(4)], 2)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (ex.export_csv([dict(ANN, EmailAddresses="System.Collections.ArrayList")]), "-join ';'"),
        (ex.export_csv([ANN, CAROL]).rsplit(b",", 2)[0], "fewer fields"),         # cut between two fields
        (ex.export_csv([ANN, CAROL])[:-40], "truncated?"),                         # cut inside a quoted field
        (ex.export_csv([ANN], header=ex.RECIPIENT_HEADER[:-1]), "isdirsynced"),
        (ex.export_csv([dict(ANN, IsDirSynced="maybe")]), "not true or false"),
        (ex.export_csv([ANN, dict(CAROL, IsDirSynced="")]), "item 2: IsDirSynced is empty"),
        (json.dumps(PAGES[0]).encode(), "truncated"),                         # only the first page
        ("\n".join(json.dumps(p) for p in PAGES)[:-30].encode(), "truncated?"),  # the file ends inside JSON
        ("\n".join(json.dumps(p) for p in (PAGES[1], PAGES[0])).encode(), "more page(s) follow"),
        (json.dumps(dict(PAGES[1], **{"@odata.count": 9})).encode(), "@odata.count is 9"),
        ("\n".join(json.dumps(p) for p in (PAGES[0], PAGES[0], PAGES[1])).encode(), "occurs twice"),
        (b'[{"Domain": "x"}]', "not a known tenant recipients export"),
        (b"", "empty"),
        (b'{"value": []}', "holds no recipients"),
        (b"\xff\xfeX\x00\xd8", "UTF"),
    ],
)
def test_broken_and_truncated_exports_say_why(data, needle):
    with pytest.raises(SourceError) as exc:
        parse_recipients(data, "bad")
    assert needle in str(exc.value)


def test_only_skus_is_not_enough(tmp_path):
    (tmp_path / "skus.json").write_bytes(ex.subscribed_skus())
    with pytest.raises(SourceError, match="no Get-Recipient or Graph /users"):
        read_recipients([tmp_path / "skus.json"])


def test_config_paths_absence_and_typos(tmp_path):
    with pytest.raises(Missing, match="recipients"):
        recipients_from_config(Config())
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "r.csv").write_bytes(ex.export_csv([ANN]))
    cfg = Config.from_mapping({"cloud": {"recipients": "exports/r.csv"}}, source=tmp_path / "preflight.toml")
    assert recipients_from_config(cfg).describe()["recipients"] == 1
    with pytest.raises(ConfigError, match="unknown \\[cloud\\] option"):
        recipients_from_config(Config(cloud={"recipient": "x.csv"}))
    with pytest.raises(SourceError, match="cannot read"):
        recipients_from_config(Config(cloud={"recipients": [str(tmp_path / "absent.csv")]}))


def test_the_shipped_sample_holds_each_kind():
    tr = read_recipients([SAMPLE_DATA / "cloud"])
    assert sorted({f["kind"] for f in tr.files}) == ["get-recipient", "graph-users", "subscribed-skus"]
    assert tr.describe()["recipients"] == 10 and tr.describe()["users"] == 8


@pytest.mark.parametrize(("cloud", "needle"), [
    ({"graph_client_id": "x"}, "without graph_tenant"),
    ({"graph_tenant": "contoso.onmicrosoft.com"}, "graph_client_id"),
    ({"graph_tenant": "t", "graph_client_id": "c", "graph_secret_env": "E", "graph_url": "http://graph.local"}, "https://"),
    ({"graph_tenant": "t", "graph_client_id": "c", "graph_secret_env": "E", "graph_timeout": "soon"}, "seconds"),
])
def test_live_graph_options_are_checked(cloud, needle):
    with pytest.raises(ConfigError, match=needle):
        recipients_from_config(Config(cloud=cloud))
