"""PF142 (cause C-06): ForceChangePassword True or a Password on rows of a federated domain, from the
tenant's domain export (written here as Graph, Get-MgDomain and Get-MsolDomain write it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

import preflight
from preflight.model import Status
from preflight.sources.tenant import parse_tenant_export

BATCH = ("EmailAddress,Password,ForceChangePassword\r\n"
         "ann@contoso.com,,True\r\n"          # row 2: federated domain, FCP True
         "bob@contoso.com,Secr3t!pass,False\r\n"  # row 3: federated domain, a password
         "cat@contoso.com,,False\r\n"         # row 4: federated, nothing set: fine
         "dan@fabrikam.com,Pa55word!x,True\r\n"   # row 5: managed domain: fine
         "eve@Contoso.COM ,,TRUE\r\n")        # row 6: federated (case, white space)


def graph_domains(**kinds: str) -> bytes:
    """Microsoft Graph GET /domains, as `az rest` saves it."""
    value = [{"id": d, "authenticationType": kind, "isAdminManaged": True, "isDefault": False, "isInitial": False,
              "isRoot": True, "isVerified": True, "supportedServices": ["Email", "OfficeCommunicationsOnline"]}
             for d, kind in kinds.items()]
    return json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains", "value": value}).encode()


def msol_csv(**kinds: str) -> bytes:
    """Get-MsolDomain | Select-Object Name, Status, Capabilities, Authentication | Export-Csv (Windows PowerShell 5.1)."""
    lines = ['#TYPE Selected.Microsoft.Online.Administration.Domain', '"Name","Status","Capabilities","Authentication"']
    lines += [f'"{d}","Verified","Email, OfficeCommunicationsOnline","{kind}"' for d, kind in kinds.items()]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def mgdomain_csv(**kinds: str) -> bytes:
    lines = ['"Id","IsVerified","SupportedServices","AuthenticationType"']
    lines += [f'"{d}","True","Email,OfficeCommunicationsOnline","{kind}"' for d, kind in kinds.items()]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def run(tmp_path, export: bytes, name: str, text: str = BATCH, **config):
    path = tmp_path / name
    path.write_bytes(export)
    return preflight.check_bytes(text.encode(), "wave.csv", {"tenant": {"domains_file": str(path)}, **config},
                                 select=["PF142"])


@pytest.mark.parametrize(("writer", "name"), [(graph_domains, "domains.json"), (msol_csv, "msol.csv"),
                                              (mgdomain_csv, "mg.csv")])
def test_rows_of_a_federated_domain_with_a_password_or_force_change_are_errors(tmp_path, writer, name):
    report = run(tmp_path, writer(**{"contoso.com": "Federated", "fabrikam.com": "Managed"}), name)
    got = [(f.row, f.column, f.domain) for f in report.findings]
    assert got == [(2, "ForceChangePassword", "contoso.com"), (3, "Password", "contoso.com"),
                   (6, "ForceChangePassword", "contoso.com")]
    assert {f.severity.value for f in report.findings} == {"error"}
    assert report.findings[0].suggested_value == "False"
    assert all("Secr3t" not in f.message and f.value != "Secr3t!pass" for f in report.findings)


def test_every_domain_managed_passes(tmp_path):
    report = run(tmp_path, graph_domains(**{"contoso.com": "Managed", "fabrikam.com": "Managed"}), "d.json")
    assert report.findings == [] and report.results[0].status is Status.PASSED


def test_an_export_without_the_sign_in_type_skips_with_the_reason(tmp_path):
    accepted = b'"DomainName","DomainType","Default"\r\n"contoso.com","Authoritative","True"\r\n'
    old_msol = b'"Name","Status","Capabilities"\r\n"contoso.com","Verified","Email"\r\n'  # no Authentication column
    for export, name in ((accepted, "accepted.csv"), (old_msol, "msol.csv")):
        report = run(tmp_path, export, name)
        (res,) = report.results
        assert res.status is Status.SKIPPED and "does not say which domains are federated" in res.reason
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", {"tenant": {"domains": ["contoso.com"]}},
                                   select=["PF142"])
    assert report.results[0].status is Status.SKIPPED
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", select=["PF142"])  # no tenant data at all
    assert report.results[0].status is Status.SKIPPED and "tenant" in report.results[0].reason


def test_a_sign_in_type_written_as_a_number_errors_the_check(tmp_path):
    export = json.dumps([{"Name": "contoso.com", "Status": "Verified", "Capabilities": "Email",
                          "Authentication": 1}]).encode()
    report = run(tmp_path, export, "msol.json")
    (res,) = report.results
    assert res.status is Status.ERRORED and "Export-Csv" in res.reason


def test_the_source_reads_the_sign_in_type():
    td = parse_tenant_export(graph_domains(**{"contoso.com": "federated", "fabrikam.com": "Managed"}))
    assert (td.get("contoso.com").authentication, td.get("contoso.com").federated) == ("Federated", True)
    assert td.get("fabrikam.com").federated is False and td.knows_authentication()
    with pytest.raises(ValueError, match="not Managed or Federated"):
        parse_tenant_export(graph_domains(**{"contoso.com": "Cloud"}))


def test_no_password_columns_passes_and_the_cli_exits_1(tmp_path):
    report = run(tmp_path, graph_domains(**{"contoso.com": "Federated"}), "d.json",
                 text="EmailAddress\r\nann@contoso.com\r\n")
    assert report.findings == [] and report.results[0].status is Status.PASSED
    (tmp_path / "wave.csv").write_text(BATCH)
    proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "wave.csv"), "--tenant-domains",
                           str(tmp_path / "d.json"), "--select", "PF142"], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 1 and "PF142" in proc.stdout and "Secr3t" not in proc.stdout + proc.stderr
