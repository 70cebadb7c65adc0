"""An attribute an export does not hold is unknown, not empty: the checks that read it are skipped with the
reason (the attribute, and the export command to add it to); a known empty value stays a finding; no fix or
undo LDIF holds an empty value. Exports are written as the tools write them, with subsets of the attributes."""

from __future__ import annotations

import re

import pytest

import preflight
from ad import exporters, scenario
from preflight.exports.idfix import write_fix_ldif
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory.exports import read_export

#: The issue's export: a user export without these columns made every user "a mail user, not a mailbox"
#: (PF210) and every displayName blank (PF407).
LEFT_OUT = ("homeMDB", "msExchRecipientTypeDetails", "displayName")
WRITERS = {"csvde": exporters.write_csvde, "get-aduser": exporters.write_get_aduser_csv,
           "ldif": exporters.write_ldifde}
HINT = {"csvde": "csvde's -l list", "get-aduser": "-Properties and Select-Object of Get-ADObject",
        "ldif": "ldifde -l, or ldapsearch's attributes"}


def without(entries, *attributes):
    return [(dn, {k: v for k, v in attrs.items() if k not in attributes}) for dn, attrs in entries]


def run(path, select=("PF2", "PF4")):
    batches = [parse_batch(text.encode(), name) for name, text in scenario.BATCHES.items()]
    return preflight.run_batches(batches, {"directory": {"source": str(path)}}, select=list(select))


def status(report):
    return {r.code: (r.status.value, r.reason or "") for r in report.results}


@pytest.mark.parametrize("fmt", WRITERS)
def test_the_source_tells_unknown_from_empty(tmp_path, fmt):
    path = tmp_path / ("contoso.ldif" if fmt == "ldif" else "contoso.csv")
    WRITERS[fmt](without(scenario.OBJECTS, *LEFT_OUT), path)
    source = read_export(path)
    assert source.unknown(["mail", "proxyAddresses", "manager", "cn", "dn"]) is None  # Ivy Mu has no manager: empty
    reason = source.unknown(["mail", "homeMDB", "displayName"])
    assert reason and "homeMDB, displayName" in reason and "mail" not in reason.split("add")[0].replace(path.name, "")
    assert HINT[fmt] in reason and path.name in reason
    WRITERS[fmt](without(scenario.OBJECTS, "msExchMasterAccountSid"), path)
    reason = read_export(path).unknown(["hasMasterAccountSid"])
    assert "msExchMasterAccountSid" in reason and "hasMasterAccountSid" not in reason  # its LDAP name


def test_ldapsearch_requesting_line_makes_attributes_known(tmp_path):
    """ldapsearch names the attributes it asked for: one no entry has is known to be empty everywhere."""
    head = "# extended LDIF\n#\n# LDAPv3\n# base <DC=contoso,DC=com> with scope subtree\n# filter: (objectClass=user)\n"
    body = "\n# Ann, contoso.com\ndn: CN=Ann,DC=contoso,DC=com\nobjectClass: user\nmail: ann@contoso.com\n\n" \
           "# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: 2\n# numEntries: 1\n"
    for requesting, known in (("mail displayName objectClass", True), ("mail objectClass", False), ("ALL", True)):
        path = tmp_path / "x.ldif"
        path.write_text(f"{head}# requesting: {requesting} \n#\n{body}")
        assert (read_export(path).unknown(["displayName", "mail"]) is None) == known, requesting


@pytest.mark.parametrize("fmt", WRITERS)
def test_left_out_attributes_skip_the_checks_that_read_them(tmp_path, fmt):
    path = tmp_path / ("contoso.ldif" if fmt == "ldif" else "contoso.csv")
    WRITERS[fmt](without(scenario.ENTRIES, *LEFT_OUT), path)
    report = run(path)
    codes = {f.code for f in report.findings}
    assert not codes & {"PF210", "PF213", "PF407"}, codes  # never "a mail user" nor "blank" on unknown values
    got = status(report)
    for code, attribute in (("PF210", "homeMDB"), ("PF213", "msExchRecipientTypeDetails"), ("PF407", "displayName")):
        state, reason = got[code]
        assert state == "skipped" and attribute in reason and HINT[fmt] in reason, (code, got[code])
    # what the export holds is still checked: the address checks give the scenario's findings
    expected = {e for e in scenario.EXPECTED if e[0] in ("PF200", "PF201", "PF202", "PF203", "PF211", "PF212")}
    assert {(f.code, f.path, f.row) for f in report.findings if f.code in {c for c, _, _ in expected}} == expected
    assert got["PF405"][0] == "skipped" and "displayName" in got["PF405"][1]  # no length finding: not a pass either


def test_without_mail_or_proxy_addresses_no_row_is_reported_missing(tmp_path):
    """The address look-up reads mail and proxyAddresses: without one, PF200 cannot say "no object", and the
    batch's objects (IdFix's batch scope) are not known."""
    exporters.write_csvde(without(scenario.ENTRIES, "proxyAddresses"), tmp_path / "c.csv")
    report = run(tmp_path / "c.csv")  # nor can IdFix know the batch's objects
    assert not report.findings
    assert {s for s, _ in status(report).values()} == {"skipped"}
    assert all("proxyAddresses" in reason for _, reason in status(report).values())


def test_a_known_empty_value_stays_a_finding(tmp_path):
    """A present column with an empty cell, or an entry without an attribute that others have, is empty."""
    entries = [*scenario.ENTRIES]
    i = next(k for k, (dn, _) in enumerate(entries) if dn == scenario.dn("Ann Lee"))
    entries[i] = (entries[i][0], {k: v for k, v in entries[i][1].items() if k != "displayName"})
    for fmt in ("csvde", "ldif"):
        path = tmp_path / f"contoso.{fmt}"
        WRITERS[fmt](entries, path)
        report = run(path, select=["PF407"])
        assert [(f.dn, f.value, f.suggested_value) for f in report.findings] == [(scenario.dn("Ann Lee"), "", "Ann Lee")]


def test_fix_and_undo_ldif_never_hold_an_empty_value(tmp_path):
    """The undo of setting a blank displayName deletes it (AD refuses ``displayName: `` with no value)."""
    entries = [*scenario.ENTRIES]
    i = next(k for k, (dn, _) in enumerate(entries) if dn == scenario.dn("Ann Lee"))
    attrs = {k: v for k, v in entries[i][1].items() if k != "displayName"}
    attrs["mailNickname"] = ".ann"  # IdFix removes the leading period: an ordinary replace
    entries[i] = (entries[i][0], attrs)
    exporters.write_ldifde(entries, tmp_path / "contoso.ldif")
    report = run(tmp_path / "contoso.ldif", select=["PF4"])
    fix, undo = write_fix_ldif(report, tmp_path / "fix.ldif")
    ann = scenario.dn("Ann Lee")
    do_text, undo_text = fix.read_text(), undo.read_text()
    for text in (do_text, undo_text):
        assert not re.search(r"^[A-Za-z][\w-]*::? *$", text, re.M), text  # an attribute line without a value
    assert f"dn: {ann}\nchangetype: modify\nreplace: displayName\ndisplayName: Ann Lee\n-\n" in do_text
    assert f"dn: {ann}\nchangetype: modify\ndelete: displayName\ndisplayName: Ann Lee\n-\n" in undo_text
    assert "replace: mailNickname\nmailNickname: ann\n" in do_text
    assert "replace: mailNickname\nmailNickname: .ann\n" in undo_text
