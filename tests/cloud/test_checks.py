"""Each PF6xx check finds its problem, passes the good case, and is skipped or errored — never passed — without data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cloud import exports as ex
from conftest import ROOT, SAMPLE_DATA

import preflight
from preflight.sources.directory import FrameSource
from preflight.sources.schemas import directory_frame

PF6 = [c for c in preflight.list_checks() if c.code.startswith("PF6")]
GOOD = ex.recipient("Ann Lee", "ann@contoso.com", "MailUser", "smtp:alee@contoso.com")


def _batch(*addresses: str) -> bytes:
    return ("EmailAddress\r\n" + "".join(f"{a}\r\n" for a in addresses)).encode()


def _run(tmp_path, addresses, *, recipients=(), users=None, skus=True, stage=None, select=("PF6",), **config):
    paths = []
    if recipients:
        (tmp_path / "recipients.csv").write_bytes(ex.export_csv(list(recipients)))
        paths.append(str(tmp_path / "recipients.csv"))
    if users is not None:
        (tmp_path / "users.json").write_text(json.dumps(ex.graph_pages(users, 100)[0]))
        paths.append(str(tmp_path / "users.json"))
        if skus:
            (tmp_path / "skus.json").write_bytes(ex.subscribed_skus())
            paths.append(str(tmp_path / "skus.json"))
    cfg = dict(config)
    if paths:
        cfg["cloud"] = {"recipients": paths}
    if stage:
        cfg["dns"] = {"stage": stage}
    return preflight.check_bytes(_batch(*addresses), "batch.csv", cfg, select=list(select))


def _codes(report):
    return sorted((f.code, f.row) for f in report.findings)


def _status(report):
    return {r.code: r.status.value for r in report.results}


def test_every_pf6_check_documents_why_fix_and_source():
    assert [c.code for c in PF6] == ["PF600", "PF601", "PF602", "PF603", "PF610", "PF620", "PF621", "PF630", "PF640", "PF641",
                                 "PF642", "PF643"]
    for c in PF6:
        assert c.area == "cloud"
        for part in ("Why:", "Fix:", "Source:"):
            assert part in c.doc, f"{c.code} docstring lacks {part}"


def test_a_clean_row_passes_every_cloud_check(tmp_path):
    users = [ex.user("ann@contoso.com", licences=[ex.licence(ex.E3)], more=("smtp:alee@contoso.com",))]
    report = _run(tmp_path, ["ann@contoso.com", "ALEE@contoso.com"], recipients=[GOOD], users=users,
                  select=["PF60", "PF61", "PF62"])
    assert report.findings == []
    st = _status(report)
    assert st.pop("PF621") == "skipped"  # applies at stage complete only
    assert set(st.values()) == {"passed"}, st


def test_pf600_no_cloud_object_and_a_user_whose_exchange_attributes_are_not_synced(tmp_path):
    users = [ex.user("ann@contoso.com"), ex.user("gina@contoso.com")]
    report = _run(tmp_path, ["ann@contoso.com", "dan@contoso.com", "gina@contoso.com"], recipients=[GOOD], users=users,
                  select=["PF600"])
    found = {f.row: f for f in report.findings}
    assert sorted(found) == [3, 4]
    assert "no Exchange Online recipient carries" in found[3].message and found[3].value == "dan@contoso.com"
    assert "Entra ID user 'gina@contoso.com'" in found[4].message and "schema" in found[4].fix
    # with Graph users only, the row is looked up among them
    (tmp_path / "g").mkdir()
    report = _run(tmp_path / "g", ["ann@contoso.com", "dan@contoso.com"], users=[ex.user("ann@contoso.com")], select=["PF600"])
    assert _codes(report) == [("PF600", 3)] and "no Entra ID user" in report.findings[0].message


def test_pf601_two_objects_in_one_view_but_not_one_user_in_both_views(tmp_path):
    contact = ex.recipient("Ann (partner)", "ann@fabrikam.com", "MailContact", "smtp:ann@contoso.com", synced=False)
    report = _run(tmp_path, ["ann@contoso.com"], recipients=[GOOD, contact], users=[ex.user("ann@contoso.com")],
                  select=["PF601", "PF603", "PF610"])
    assert _codes(report) == [("PF601", 2)]  # the contact is not also PF603/PF610: the row is ambiguous
    assert "'Ann Lee' (MailUser; recipients.csv item 1); 'Ann (partner)' (MailContact; recipients.csv item 2)" \
        in report.findings[0].message
    report = _run(tmp_path, ["ann@contoso.com"], recipients=[GOOD], users=[ex.user("ann@contoso.com")], select=["PF601"])
    assert report.findings == [] and _status(report) == {"PF601": "passed"}


def test_pf602_mailbox_pf603_contact_and_group(tmp_path):
    objs = [ex.recipient("Carol", "carol@contoso.com", "UserMailbox"),
            ex.recipient("Shared", "shared@contoso.com", "SharedMailbox"),
            ex.recipient("Hal", "hal@contoso.com", "MailContact"),
            ex.recipient("Sales", "sales@contoso.com", "MailUniversalDistributionGroup"), GOOD]
    report = _run(tmp_path, ["carol@contoso.com", "shared@contoso.com", "hal@contoso.com", "sales@contoso.com",
                             "ann@contoso.com"], recipients=objs, select=["PF602", "PF603"])
    assert _codes(report) == [("PF602", 2), ("PF602", 3), ("PF603", 4), ("PF603", 5)]
    assert all(f.attribute == "RecipientTypeDetails" for f in report.findings)


def test_pf602_and_pf603_are_skipped_with_graph_users_only(tmp_path):
    report = _run(tmp_path, ["ann@contoso.com"], users=[ex.user("ann@contoso.com")], select=["PF602", "PF603"])
    assert _status(report) == {"PF602": "skipped", "PF603": "skipped"}
    assert all("Get-Recipient" in r.reason for r in report.results)


def test_pf610_cloud_only_from_either_view_once_per_row(tmp_path):
    erin = ex.recipient("Erin", "erin@contoso.com", "MailUser", synced=False)
    users = [ex.user("erin@contoso.com", synced=None), ex.user("ivy@contoso.com", synced=False),
             ex.user("ann@contoso.com")]
    report = _run(tmp_path, ["erin@contoso.com", "ivy@contoso.com", "ann@contoso.com"],
                  recipients=[erin, ex.recipient("Ivy", "ivy@contoso.com"), GOOD], users=users, select=["PF610"])
    assert _codes(report) == [("PF610", 2), ("PF610", 3)]
    assert report.findings[0].attribute == "IsDirSynced" and report.findings[1].attribute == "onPremisesSyncEnabled"


def test_pf620_licences_plans_turned_off_foundation_and_unknown_skus(tmp_path):
    users = [ex.user("e3@contoso.com", licences=[ex.licence(ex.E3)]),
             ex.user("basic@contoso.com", licences=[ex.licence(ex.BASIC)]),
             ex.user("off@contoso.com", licences=[ex.licence(ex.E3, ex.EXO_PLAN2)]),
             ex.user("offbut@contoso.com", licences=[ex.licence(ex.E3, ex.EXO_PLAN2), ex.licence(ex.BASIC)]),
             ex.user("p1@contoso.com", licences=[ex.licence(ex.ENTRA_P1)]),
             ex.user("none@contoso.com"),
             ex.user("odd@contoso.com", licences=[ex.licence("0000aaaa-0000-0000-0000-000000000000")])]
    report = _run(tmp_path, [u["userPrincipalName"] for u in users], users=users, stage="migrating",
                  select=["PF620", "PF621"])
    found = {f.row: f.message for f in report.findings}
    assert sorted(found) == [4, 6, 7, 8]
    assert "turned off in its ENTERPRISEPACK licence" in found[4]
    assert "none of its licences (AAD_PREMIUM)" in found[6]
    assert "it has no licence" in found[7]
    assert "not in the /subscribedSkus export" in found[8]
    assert {f.severity.value for f in report.findings} == {"warning"}
    assert _status(report)["PF621"] == "skipped"


def test_at_stage_complete_a_missing_licence_is_an_error(tmp_path):
    report = _run(tmp_path, ["none@contoso.com"], users=[ex.user("none@contoso.com")], stage="complete",
                  select=["PF620", "PF621"])
    assert [(f.code, f.severity.value) for f in report.findings] == [("PF621", "error")]
    assert _status(report)["PF620"] == "skipped"


def test_licence_checks_are_skipped_without_users_or_skus(tmp_path):
    report = _run(tmp_path, ["ann@contoso.com"], recipients=[GOOD], select=["PF620"])
    assert _status(report) == {"PF620": "skipped"} and "assignedLicenses" in report.results[0].reason
    report = _run(tmp_path, ["ann@contoso.com"], users=[ex.user("ann@contoso.com")], skus=False, select=["PF620"])
    assert _status(report) == {"PF620": "skipped"} and "subscribedSkus" in report.results[0].reason


def test_pf630_proxy_address_in_a_domain_the_tenant_does_not_accept():
    ann = {"dn": "CN=Ann,DC=contoso,DC=com", "objectClass": ["top", "user"], "mail": "ann@contoso.com",
           "msExchRecipientTypeDetails": 1,
           "proxyAddresses": ["SMTP:ann@contoso.com", "smtp:ann@litware.com", "smtp:a@Contoso.com", "X400:c=US;a= ;"]}
    bob = {"dn": "CN=Bob,DC=contoso,DC=com", "objectClass": ["user"], "mail": "bob@contoso.com",
           "proxyAddresses": ["SMTP:bob@contoso.com", "smtp:bob@contoso.mail.onmicrosoft.com"]}
    source = FrameSource(directory_frame([ann, bob]), {"kind": "directory"})
    cfg = {"directory": {"source": source}, "tenant": {"domains": ["contoso.com", "contoso.mail.onmicrosoft.com"]}}
    report = preflight.check_bytes(_batch("ann@contoso.com", "bob@contoso.com"), "b.csv", cfg, select=["PF630"])
    (f,) = report.findings
    assert (f.row, f.value, f.domain, f.dn, f.severity.value) == (2, "smtp:ann@litware.com", "litware.com",
                                                                  "CN=Ann,DC=contoso,DC=com", "warning")
    report = preflight.check_bytes(_batch("ann@contoso.com"), "b.csv", {"directory": {"source": source}}, select=["PF630"])
    assert _status(report) == {"PF630": "skipped"}


def test_without_tenant_recipients_the_cloud_checks_are_skipped_with_the_reason():
    report = preflight.check_bytes(_batch("ann@contoso.com"), "b.csv", select=["PF6"])
    st = _status(report)
    assert set(st.values()) == {"skipped"}
    reasons = {r.reason for r in report.results if r.code not in ("PF630", "PF643")}  # those need other sources first
    assert reasons == {"no tenant recipients given (--tenant-recipients FILE or FOLDER, or [tool.preflight.cloud] recipients)"}


def test_a_truncated_export_errors_the_checks_and_the_cli_exits_1(tmp_path):
    pages = ex.graph_pages([ex.user(f"u{i}@contoso.com") for i in range(4)], 2)
    (tmp_path / "users.json").write_text(json.dumps(pages[0]))  # the first page only
    report = preflight.check_bytes(_batch("u0@contoso.com"), "b.csv", {"cloud": {"recipients": [str(tmp_path / "users.json")]}},
                                   select=["PF60", "PF61", "PF62"])
    st = _status(report)
    assert st == {c: "errored" for c in ("PF600", "PF601", "PF602", "PF603", "PF610", "PF620", "PF621")}
    assert all("truncated" in r.reason for r in report.results)
    (tmp_path / "b.csv").write_bytes(_batch("u0@contoso.com"))
    proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "b.csv"), "--select", "PF6",
                           "--tenant-recipients", str(tmp_path / "users.json")], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 1 and "errored" in proc.stderr


def test_cli_a_missing_export_path_is_a_usage_error(tmp_path):
    (tmp_path / "b.csv").write_bytes(_batch("ann@contoso.com"))
    proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "b.csv"), "--tenant-recipients",
                           str(tmp_path / "absent.csv")], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2 and "absent.csv" in proc.stderr


def test_the_readme_try_it_command_shows_every_cloud_finding():
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.startswith("pip install . && python -m preflight"))
    args = command.split("python -m preflight ", 1)[1].split()
    assert "--tenant-recipients" in args
    args = [str(p) for a in args for p in (sorted(ROOT.glob(a)) if "*" in a else [a])]  # the shell's globbing
    proc = subprocess.run([sys.executable, "-m", "preflight", *args, "--format", "json", "--select", "PF6"],
                          capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    report = json.loads(proc.stdout)
    by_code: dict[str, set[str]] = {}
    for f in report["findings"]:
        by_code.setdefault(f["code"], set()).add(f["value"])
    assert proc.returncode == 1
    assert {"PF600", "PF601", "PF602", "PF603", "PF610", "PF620", "PF630"} <= set(by_code)
    assert {"dan.kim@contoso.com", "gina.roe@tailspintoys.com"} <= by_code["PF600"]
    assert by_code["PF601"] == {"frank.ng@fabrikam.com"} and by_code["PF602"] == {"carol.diaz@contoso.com"}
    assert by_code["PF603"] == {"hal.ito@contoso.com"} and by_code["PF610"] == {"erin.fox@contoso.com"}
    assert "bob.ross@contoso.com" in by_code["PF620"] and "ann.lee@contoso.com" not in by_code["PF620"]
    assert by_code["PF630"] == {"smtp:ivy.wu@tailspintoys.com"}
    assert {r["status"] for r in report["checks"]} <= {"passed", "failed", "skipped"}
    assert (SAMPLE_DATA / "cloud" / "get-recipient.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    import jsonschema

    jsonschema.validate(report, json.loads((ROOT / "src/preflight/schema/report.schema.json").read_text()))
    assert {"kind": "tenant-recipients", "paths": [str(SAMPLE_DATA / "cloud" / n) for n in (
        "get-recipient.csv", "subscribed-skus.json", "users-1.json", "users-2.json")], "recipients": 10, "users": 8,
        "skus": 3} in report["inputs"]


def test_a_batch_only_run_imports_no_cloud_source():
    code = ("import sys, preflight; from preflight.sources.batch_csv import parse_batch; "
            "r = preflight.run_batches([parse_batch(b'EmailAddress\\nann@contoso.com\\n', 'b.csv')]); "
            "assert {x.status.value for x in r.results if x.code.startswith('PF6')} == {'skipped'}; "
            "assert 'preflight.sources.recipients' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


def test_the_cloud_table_of_a_config_file(tmp_path):
    (tmp_path / "tenant").mkdir()
    (tmp_path / "tenant" / "recipients.csv").write_bytes(ex.export_csv([GOOD]))
    (tmp_path / "preflight.toml").write_text('[cloud]\nrecipients = ["tenant/recipients.csv"]\n')
    (tmp_path / "b.csv").write_bytes(_batch("ann@contoso.com", "zed@contoso.com"))
    proc = subprocess.run([sys.executable, "-m", "preflight", "b.csv", "--select", "PF600", "--format", "json"],
                          capture_output=True, text=True, check=False, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 1
    assert [(f["code"], f["location"]["row"]) for f in json.loads(proc.stdout)["findings"]] == [("PF600", 3)]
    (tmp_path / "preflight.toml").write_text('[cloud]\nrecipient = "tenant/recipients.csv"\n')
    proc = subprocess.run([sys.executable, "-m", "preflight", "b.csv", "--select", "PF600"], capture_output=True,
                          text=True, check=False, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2 and "unknown [cloud] option" in proc.stderr


def test_the_graph_client_secret_is_one_of_the_run_secrets_that_messages_never_show(monkeypatch):
    from preflight.config import Config
    from preflight.runner import Context, redact

    secret = "s3cret~Value.never-shown"
    monkeypatch.setenv("PREFLIGHT_TEST_GRAPH_SECRET", secret)
    ctx = Context(Config(cloud={"graph_secret_env": "PREFLIGHT_TEST_GRAPH_SECRET"}), [])
    assert secret in ctx.secrets
    assert secret not in redact(f"HTTP 400 client_secret={secret}", ctx.secrets)
