"""The organization checks (PF800–PF806) against the real Samba AD DC, live over LDAPS and
through ldifde/csvde exports of its Configuration partition and domain head that the tests
write: an organization of Exchange 2003 + 2007 servers passes; an Exchange 2010 server fails
(PF800) and a batch mailbox homed on it fails (PF801); the inventory counts are checked."""

from __future__ import annotations

import json
import os
import importlib.resources
import subprocess
import sys

import jsonschema
import ldap3
import pytest

import preflight
from ad import exporters, scenario
from organization import objects
from preflight.formatters import render
from preflight.sources.batch_csv import parse_batch

BATCH = "EmailAddress\nann.lee@contoso.com\nbob.ross@contoso.com\nfrank.ng@fabrikam.com\nsam.shared@contoso.com\n"
WITH_2010 = BATCH + "pat.moved@contoso.com\n"


def batch(text=BATCH):
    return [parse_batch(text.encode(), "wave.csv")]


@pytest.fixture(scope="module")
def organization(samba_dc):
    """The scenario DC with the organization's objects; removed again afterwards. Sam Shared's
    mailbox grants FullAccess to Bob Ross (msExchMailboxSecurityDescriptor, beside the SELF entry
    and an inherited one, which do not count), and its user Send As to Carol Diaz (an object ACE
    on nTSecurityDescriptor)."""
    samba_dc.add_objects(objects.ENTRIES)
    try:
        _grant(samba_dc)
        yield samba_dc
    finally:
        _delete(samba_dc, objects.ENTRIES)


def _grant(dc):
    from ldap3.protocol.microsoft import security_descriptor_control
    from winacl.dtyp.security_descriptor import SECURITY_DESCRIPTOR

    conn = dc.connection()
    try:
        sids = {}
        for name in ("Bob Ross", "Carol Diaz", "Mona Manager"):
            conn.search(scenario.dn(name), "(objectClass=*)", ldap3.BASE, attributes=["objectSid"])
            sids[name] = conn.entries[0]["objectSid"].value
        mailbox_sd = SECURITY_DESCRIPTOR.from_sddl(
            f"O:SYG:SYD:(A;CI;0x1;;;{sids['Bob Ross']})(A;CI;0x1;;;PS)(A;CIID;0x1;;;{sids['Mona Manager']})")
        assert conn.modify(objects.SHARED, {"msExchMailboxSecurityDescriptor": [
            (ldap3.MODIFY_REPLACE, [mailbox_sd.to_bytes()])]}), conn.result
        control = security_descriptor_control(sdflags=0x04)  # the DACL
        conn.search(objects.SHARED, "(objectClass=*)", ldap3.BASE, attributes=["nTSecurityDescriptor"], controls=control)
        dacl = SECURITY_DESCRIPTOR.from_bytes(conn.entries[0].entry_raw_attributes["nTSecurityDescriptor"][0]).to_sddl()
        send_as = f"(OA;;CR;ab721a54-1e2f-11d0-9819-00aa0040529b;;{sids['Carol Diaz']})"
        new = SECURITY_DESCRIPTOR.from_sddl("D:" + dacl.split("D:", 1)[1].split("S:", 1)[0] + send_as)
        assert conn.modify(objects.SHARED, {"nTSecurityDescriptor": [(ldap3.MODIFY_REPLACE, [new.to_bytes()])]},
                           controls=control), conn.result
    finally:
        conn.unbind()


def _delete(dc, entries):
    conn = dc.connection()
    try:
        for dn, _ in reversed(entries):
            conn.delete(dn)
    finally:
        conn.unbind()


@pytest.fixture
def exchange_2010(organization):
    organization.add_objects(objects.EXCHANGE_2010)
    yield
    _delete(organization, objects.EXCHANGE_2010)


@pytest.fixture
def live(organization, live_directory):
    return {**live_directory, "base_dn": [scenario.STAFF]}


def _read(dc, base, search_filter, scope=ldap3.SUBTREE):
    conn = dc.connection()
    try:
        conn.search(base, search_filter, scope, attributes=[ldap3.ALL_ATTRIBUTES, "nTSecurityDescriptor"])
        return [(e.entry_dn, dict(e.entry_raw_attributes)) for e in conn.entries]
    finally:
        conn.unbind()


def export(dc, folder, fmt="ldif"):
    """The user export (Staff OU), the Configuration partition's and the domain head's, as ldifde
    (or csvde) writes them; the Configuration one with the documented filter."""
    from preflight.sources.directory.configuration import CONFIGURATION_FILTER

    write = exporters.write_ldifde if fmt == "ldif" else exporters.write_csvde
    ext = "ldif" if fmt == "ldif" else "csv"
    paths = [folder / f"users.{ext}", folder / f"exchange-config.{ext}", folder / f"domain-policy.{ext}"]
    write(_read(dc, scenario.STAFF, "(objectClass=*)"), paths[0])
    write(_read(dc, scenario.CONFIGURATION_DN, CONFIGURATION_FILTER), paths[1])
    write(_read(dc, scenario.BASE_DN, "(objectClass=*)", ldap3.BASE), paths[2])
    return [str(p) for p in paths]


def codes(report, severity=None):
    return sorted(f.code for f in report.findings if severity is None or f.severity.value == severity)


def status(report):
    return {r.code: r.status.value for r in report.results}


def check_2003_2007(report):
    """What the 2003 + 2007 organization gives: no error, the inventory, the SCP and password warnings."""
    assert status(report)["PF800"] == "passed" and status(report)["PF801"] == "passed", report.results
    assert codes(report, "error") == []
    by_code = {f.code: f for f in report.findings}
    assert by_code["PF802"].metrics == {"public_folder_stores": 1, "public_folder_trees": 1}
    assert "Public Folder Store (EX2003)" in by_code["PF802"].message
    assert "All Sales" in by_code["PF803"].message and by_code["PF803"].metrics == {"dynamic_groups": 1}
    delegated = [f for f in report.findings if f.code == "PF804"]
    assert [(f.row, f.value) for f in delegated] == [(3, scenario.dn("Carol Diaz"))]
    assert "carol.diaz@contoso.com" in delegated[0].message and "GrantSendOnBehalfTo" in delegated[0].fix
    full = [(f.row, f.fix) for f in report.findings if f.code == "PF807"]
    assert full == [(5, 'Add-MailboxPermission -Identity "sam.shared@contoso.com" -User "bob.ross@contoso.com" '
                        "-AccessRights FullAccess")]
    send = [(f.row, f.message) for f in report.findings if f.code == "PF808"]
    assert send == [(5, "sam.shared@contoso.com: Send As granted to carol.diaz@contoso.com; grant it again in "
                        "Exchange Online after the move")]
    scp = [f for f in report.findings if f.code == "PF805"]
    assert [(f.dn, f.value) for f in scp] == [(objects.SCP, objects.SCP_URL)]
    assert [(f.code, f.value) for f in report.findings if f.code == "PF806"] == [("PF806", "7")]  # Samba's default


def check_2010(report):
    errors = [(f.code, f.row, f.dn) for f in report.findings if f.severity.value == "error"]
    assert sorted(errors, key=str) == sorted([("PF800", None, objects.EX2010),
                                              ("PF801", 6, scenario.dn("Pat Moved"))], key=str)
    pf800 = next(f for f in report.findings if f.code == "PF800")
    assert "Exchange 2010 (version 14.3" in pf800.message and "hybrid" in pf800.message


def test_live_2003_2007_organization_passes(live):
    report = preflight.run_batches(batch(), {"directory": live, "dns": {"stage": "cutover"}}, select=["PF8"])
    check_2003_2007(report)
    described = [i for i in report.inputs if i.get("kind") == "exchange-organization"]
    assert described and described[0]["servers"] == 2 and described[0]["configuration"] == scenario.CONFIGURATION_DN


def test_live_exchange_2010_fails(live, exchange_2010):
    report = preflight.run_batches(batch(WITH_2010), {"directory": live}, select=["PF800", "PF801"])
    check_2010(report)
    assert report.exit_code() == 1


@pytest.mark.parametrize("fmt", ["ldif", "csvde"])
def test_exports_give_the_same_findings(organization, tmp_path, fmt):
    files = export(organization, tmp_path, fmt)
    report = preflight.run_batches(batch(), {"directory": {"source": files}, "dns": {"stage": "complete"}},
                                   select=["PF8"])
    check_2003_2007(report)


def test_exports_with_exchange_2010_fail(organization, exchange_2010, tmp_path):
    files = export(organization, tmp_path)
    report = preflight.run_batches(batch(WITH_2010), {"directory": {"source": files}}, select=["PF800", "PF801"])
    check_2010(report)


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "preflight", *args], check=False, capture_output=True, text=True,
                          timeout=120, env={**os.environ})
    return proc.returncode, proc.stdout, proc.stderr


def test_command_line_select_pf8(organization, tmp_path):
    files = export(organization, tmp_path)
    (tmp_path / "wave.csv").write_text(BATCH)
    directory = [a for f in files for a in ("--directory", f)]
    code, out, err = _cli(str(tmp_path / "wave.csv"), *directory, "--select", "PF8")
    assert code == 0, out + err
    assert "PF802" in out and "PF803" in out and "PF806" in out
    organization.add_objects(objects.EXCHANGE_2010)
    try:
        files = export(organization, tmp_path)
    finally:
        _delete(organization, objects.EXCHANGE_2010)
    (tmp_path / "wave.csv").write_text(WITH_2010)
    code, out, err = _cli(str(tmp_path / "wave.csv"), *directory, "--select", "PF8", "--format", "json")
    assert code == 1, out + err
    report = json.loads(out)
    assert {f["code"] for f in report["findings"] if f["severity"] == "error"} == {"PF800", "PF801"}
    code, page, err = _cli("--explain", "PF800")
    assert code == 0 and "hybrid" in page.lower()


def test_without_the_configuration_partition_the_checks_are_skipped(organization, tmp_path):
    users = export(organization, tmp_path)[0]
    report = preflight.run_batches(batch(), {"directory": {"source": users}}, select=["PF800", "PF801", "PF802"])
    assert set(status(report).values()) == {"skipped"}
    assert all("ldifde -f exchange-config.ldif" in r.reason for r in report.results), report.results


def test_the_inventory_appears_in_text_json_and_html(organization, tmp_path):
    files = export(organization, tmp_path)
    report = preflight.run_batches(batch(), {"directory": {"source": files}}, select=["PF802", "PF803", "PF804"])
    assert codes(report) == ["PF802", "PF803", "PF804"]
    text = render(report, "text")
    data = json.loads(render(report, "json"))
    assert {f["code"] for f in data["findings"]} == {"PF802", "PF803", "PF804"}
    schema = importlib.resources.files("preflight").joinpath("schema/report.schema.json").read_text()
    jsonschema.validate(data, json.loads(schema))
    for page in (text, render(report, "html")):
        assert "All Sales" in page and "Public Folder Store (EX2003)" in page and "Send on Behalf" in page
