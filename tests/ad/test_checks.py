"""The directory checks (PF2xx) on the scenario directory held in memory: the
findings of tests/ad/scenario.py's EXPECTED, and the rules' edges."""

from __future__ import annotations

import pytest

import preflight
from ad import scenario
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory import FrameSource
from preflight.sources.schemas import directory_frame


def run(source, batches=None, **config):
    files = [parse_batch(text.encode(), name) for name, text in (batches or scenario.BATCHES).items()]
    return preflight.run_batches(files, {"directory": {"source": source}, **config}, select=["PF2"])


@pytest.fixture(scope="module")
def source():
    return FrameSource(scenario.frame(), {"kind": "directory", "format": "memory"})


def got(report):
    return {(f.code, f.path, f.row) for f in report.findings}


def test_scenario_gives_exactly_the_expected_findings(source):
    report = run(source)
    assert got(report) == scenario.EXPECTED
    assert all(r.status.value in ("passed", "failed") for r in report.results), report.results


def test_findings_name_the_object_attribute_and_fix(source):
    report = run(source)
    by = {(f.code, f.row, f.path): f for f in report.findings}
    secondary = by[("PF202", 14, "wave-a.csv")]
    assert secondary.suggested_value == "lou.park@contoso.com"
    assert secondary.dn == scenario.dn("Lou Park") and secondary.attribute == "mail"
    hidden = by[("PF211", 2, "wave-b.csv")]
    assert hidden.dn == scenario.dn("Carol Diaz") and hidden.attribute == "msExchHideFromAddressLists"
    um = by[("PF212", 4, "wave-a.csv")]
    assert "Disable-UMMailbox" in um.fix and um.attribute == "msExchUMEnabledFlags"
    dup = by[("PF201", 12, "wave-a.csv")]
    assert {r["dn"] for r in dup.related} == {scenario.dn("Jim Help"), scenario.dn("Kay Help")}
    manager = by[("PF220", 4, "wave-a.csv")]
    assert "mona.manager@contoso.com" in manager.message and "no batch file" in manager.message
    delegate = by[("PF221", 2, "wave-b.csv")]
    assert "bob.ross@contoso.com" in delegate.message and "wave-a.csv row 3" in delegate.message
    for f in report.findings:
        assert f.column == "EmailAddress" and f.line == f.row  # one line per record in these files


def test_without_a_directory_every_directory_check_is_skipped_with_the_reason():
    files = [parse_batch(scenario.BATCHES["wave-b.csv"].encode(), "wave-b.csv")]
    report = preflight.run_batches(files, {}, select=["PF2"])
    assert report.results and all(r.status.value == "skipped" for r in report.results)
    assert all("--directory" in r.reason for r in report.results)


def test_a_failing_source_errors_every_directory_check():
    class Down:
        def lookup(self, addresses):
            raise preflight.registry.SourceError("ldaps://dc1.contoso.com: connection refused")

    report = run(Down())
    assert report.results and all(r.status.value == "errored" for r in report.results)
    assert all("connection refused" in r.reason for r in report.results)


def test_manager_in_the_same_batch_is_no_finding(source):
    report = run(source, {"w.csv": "EmailAddress\nann.lee@contoso.com\nbob.ross@contoso.com\ncarol.diaz@contoso.com\n"})
    assert not [f for f in report.findings if f.code in ("PF220", "PF221")]


def test_direct_reports_are_found_from_the_manager_side(source):
    report = run(source, {"w.csv": "EmailAddress\nbob.ross@contoso.com\ncarol.diaz@contoso.com\n"})
    (f,) = [f for f in report.findings if f.code == "PF220"]
    assert "direct report ann.lee@contoso.com" in f.message


def test_address_case_and_surrounding_space_do_not_matter(source):
    report = run(source, {"w.csv": 'EmailAddress\n" Frank.NG@Fabrikam.com "\n'})
    assert got(report) == set()


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        ({"objectClass": "user", "msExchRecipientTypeDetails": 4, "userAccountControl": 514}, None),  # shared
        ({"objectClass": "user", "msExchRecipientTypeDetails": 32, "userAccountControl": 514}, None),  # equipment
        ({"objectClass": "user", "msExchRecipientTypeDetails": 8}, None),  # legacy mailbox
        ({"objectClass": "user", "msExchRecipientTypeDetails": 1, "userAccountControl": 514}, "PF213"),
        ({"objectClass": "user", "homeMDB": "CN=DB", "userAccountControl": 514}, "PF213"),  # Exchange 2003
        ({"objectClass": "user", "homeMDB": "CN=DB", "hasMasterAccountSid": True, "userAccountControl": 514}, "PF214"),
        ({"objectClass": "user", "msExchHomeServerName": "/o=Contoso/cn=EX1"}, None),
        ({"objectClass": "user", "targetAddress": "SMTP:u@contoso.mail.onmicrosoft.com"}, "PF210"),
        ({"objectClass": "user"}, "PF210"),
        ({"objectClass": "publicFolder"}, "PF210"),
        ({"objectClass": "user", "msExchRecipientTypeDetails": 0x1000}, "PF210"),
        ({"objectClass": "user", "homeMDB": "CN=DB", "msExchUMEnabledFlags": 1}, "PF212"),
        ({"objectClass": "user", "homeMDB": "CN=DB", "msExchUMEnabledFlags": 4}, None),
        ({"objectClass": "user", "homeMDB": "CN=DB", "msExchUMRecipientDialPlanLink": "CN=DP"}, "PF212"),
        ({"objectClass": "user", "homeMDB": "CN=DB", "msExchHideFromAddressLists": True}, "PF211"),
        ({"objectClass": "user", "homeMDB": "CN=DB", "msExchHideFromAddressLists": False}, None),
        ({"objectClass": "user", "homeMDB": "CN=DB", "proxyAddresses": ["SMTP:other@contoso.com"]}, "PF203"),
    ],
)
def test_recipient_rules(attrs, code):
    obj = {"dn": "CN=U,DC=contoso,DC=com", "mail": "u@contoso.com", **attrs}
    obj.setdefault("proxyAddresses", ["SMTP:u@contoso.com"])
    source = FrameSource(directory_frame([obj]), {"kind": "directory"})
    report = run(source, {"w.csv": "EmailAddress\nu@contoso.com\n"})
    assert {f.code for f in report.findings} == ({code} if code else set())


def test_a_source_error_quoting_the_bind_password_is_withheld(monkeypatch):
    monkeypatch.setenv("PREFLIGHT_TEST_BIND", "S3cret-Bind-Pw!")

    class Leaky:
        def lookup(self, addresses):
            raise preflight.registry.SourceError("bind failed for S3cret-Bind-Pw!")

    files = [parse_batch(scenario.BATCHES["wave-b.csv"].encode(), "wave-b.csv")]
    report = preflight.run_batches(files, {"directory": {"source": Leaky(), "password_env": "PREFLIGHT_TEST_BIND"}},
                                   select=["PF2"])
    assert all(r.status.value == "errored" for r in report.results)
    assert "S3cret-Bind-Pw!" not in str(report.to_dict())


def test_directory_findings_follow_the_report_schema(source):
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("preflight").joinpath("schema/report.schema.json").read_text())
    jsonschema.validate(run(source).to_dict(), schema)
