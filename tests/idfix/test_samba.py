"""IdFix against the real Samba AD DC: live and LDIF-export scans give the same
findings; the fix LDIF, applied with the real ``ldapmodify``, leaves nothing to
propose; the undo LDIF restores every original value."""

from __future__ import annotations

import os
import shutil
import subprocess

import ldap3
from ad import exporters

import preflight
from idfix import objects
from idfix.setfromcsv import set_from_csv
from preflight.exports.idfix import write_fix_ldif, write_idfix_csv


def scan(directory):
    report = preflight.run_batches([], {"directory": directory, "idfix": {"scope": "directory", "base": objects.BASE}},
                                   select=["PF4"])
    assert {r.status.value for r in report.results} <= {"passed", "failed"}, report.results
    return report


def found(report):
    return {(f.code, f.dn.split(",")[0][3:], f.attribute, f.value, f.suggested_value) for f in report.findings}


def ldapmodify(samba_dc, path):
    env = {**os.environ, "LDAPTLS_CACERT": str(samba_dc.ca_file),
           # the certificate names DC1.contoso.com, the server listens on 127.0.0.1
           "LDAPTLS_REQCERT": "allow"}
    subprocess.run([shutil.which("ldapmodify") or "/usr/bin/ldapmodify", "-H", f"ldaps://{samba_dc.host}:{samba_dc.ldaps_port}",
                    "-x", "-D", samba_dc.admin_upn, "-w", samba_dc.admin_password, "-f", str(path)],
                   env=env, check=True, capture_output=True, timeout=60)


def test_live_scan_and_its_ldif_export_give_the_expected_findings(live_directory, samba_dc, tmp_path):
    assert found(scan(live_directory)) == objects.EXPECTED
    conn = samba_dc.connection()
    conn.search(objects.BASE, "(objectClass=*)", ldap3.SUBTREE, attributes=[ldap3.ALL_ATTRIBUTES])
    entries = [(e.entry_dn, dict(e.entry_raw_attributes)) for e in conn.entries]
    conn.unbind()
    exporters.write_ldifde(entries, tmp_path / "idfix.ldif")
    assert found(scan({"source": str(tmp_path / "idfix.ldif")})) == objects.EXPECTED


def test_fix_ldif_applied_with_ldapmodify_then_undone(live_directory, samba_dc, tmp_path):
    before = scan(live_directory)
    fix, undo = write_fix_ldif(before, tmp_path / "fix.ldif")
    assert undo.name == "fix.undo.ldif" and "changetype: modify" in fix.read_text()
    write_idfix_csv(before, tmp_path / "idfix.csv")
    grid = set_from_csv(tmp_path.joinpath("idfix.csv").read_text("utf-8-sig"))  # as IdFix imports it
    assert {(r["COMMONNAME"], r["ATTRIBUTE"], r["VALUE"]) for r in grid} == {
        (cn, attribute, value) for _, cn, attribute, value, _ in objects.EXPECTED}
    assert all(r["ACTION"] == "" and r["PROPOSEDACTION"] in ("Edit", "Complete", "Remove") for r in grid)
    try:
        ldapmodify(samba_dc, fix)
        after = scan(live_directory)
        assert [f for f in after.findings if f.suggested_value is not None] == []
        values = {(f.dn.split(",")[0][3:], f.attribute, f.value) for f in after.findings}
        assert ("IdFix Space", "userPrincipalName", "idfspace@contoso.local") in values  # .local stays: no proposal
        assert not any(f.value == "smtp:idf(space)@contoso.com" for f in after.findings)
    finally:
        ldapmodify(samba_dc, undo)
    assert found(scan(live_directory)) == objects.EXPECTED
