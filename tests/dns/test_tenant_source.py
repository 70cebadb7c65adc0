"""The tenant source: config lists and each kind of export file (sample_data/tenant/ and variants)."""

from __future__ import annotations

import codecs
import json

import pytest
from conftest import SAMPLE_DATA

from preflight.config import Config, ConfigError
from preflight.registry import Missing, SourceError
from preflight.sources.tenant import (
    TenantExportError,
    parse_tenant_export,
    read_tenant_file,
    tenant_from_config,
)

TENANT = SAMPLE_DATA / "tenant"


def _flags(td):
    return {name: (d.verified, d.email) for name, d in td.domains.items()}


@pytest.mark.parametrize(
    ("file", "fmt"),
    [
        ("domains-graph.json", "graph"),
        ("get-mgdomain.json", "mgdomain"),
        ("get-mgdomain.csv", "mgdomain"),
        ("get-msoldomain.csv", "msol"),
    ],
)
def test_domain_exports_give_verification_and_email_service(file, fmt):
    td = read_tenant_file(TENANT / file)
    assert td.format == fmt
    flags = _flags(td)
    assert flags["contoso.com"] == (True, True)
    assert flags["fabrikam.com"] == (True, True)
    assert flags["tailspintoys.com"] == (False, False)
    assert td.describe() == {"kind": "tenant", "format": fmt, "path": str(TENANT / file), "domains": len(flags)}


@pytest.mark.parametrize("file", ["get-accepteddomain.csv", "get-accepteddomain.json"])
def test_accepted_domains_count_as_verified_for_email(file):
    td = read_tenant_file(TENANT / file)
    assert td.format == "accepted-domain"
    assert _flags(td)["contoso.com"] == (True, True)
    assert "tailspintoys.com" not in td.domains
    assert set(td.verified_email()) >= {"contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"}


def test_windows_powershell_utf16_output_with_a_single_object():
    # Windows PowerShell 5.1's ">" writes UTF-16 LE with a BOM, and ConvertTo-Json
    # writes one object (not a list) when the pipeline holds one.
    obj = {"Id": "Contoso.COM", "IsVerified": True, "SupportedServices": ["Email"], "AdditionalProperties": {}}
    data = codecs.BOM_UTF16_LE + json.dumps(obj, indent=4).encode("utf-16-le")
    td = parse_tenant_export(data, "one.json")
    assert td.format == "mgdomain"
    assert _flags(td) == {"contoso.com": (True, True)}


def test_verified_domain_without_email_service():
    data = b'"Id","IsVerified","SupportedServices"\r\n"fabrikam.com","True","OfficeCommunicationsOnline"\r\n'
    assert _flags(parse_tenant_export(data, "d.csv")) == {"fabrikam.com": (True, False)}


def test_idna_domain_names_are_a_labels():
    data = '"DomainName","DomainType"\n"Bücher.com","Authoritative"\n'.encode()
    assert list(parse_tenant_export(data, "a.csv").domains) == ["xn--bcher-kva.com"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b'"Id","IsVerified","SupportedServices"\n"contoso.com","True","System.String[]"\n', "-join"),
        (b'[{"Name": "contoso.com", "Status": 1, "Capabilities": 5}]', "Export-Csv"),
        (b'{"value": [{"id": "contoso.com", "isVerified": true}], "@odata.nextLink": "https://x"}', "first page"),
        (b'{"value": [', "not valid JSON"),
        (b'"Domain","Owner"\n"contoso.com","me"\n', "not a known tenant domain export"),
        (b"", "empty"),
        (b"\xff\xfeX\x00\xd8", "UTF"),
        (b'"Id","IsVerified"\n"contoso.com","maybe"\n', "not true or false"),
    ],
)
def test_unreadable_exports_say_why(data, needle):
    with pytest.raises(TenantExportError, match=".") as exc:
        parse_tenant_export(data, "bad")
    assert needle in str(exc.value)


def test_export_errors_are_source_errors(tmp_path):
    bad = tmp_path / "domains.csv"
    bad.write_text('"Domain"\n"x"\n')
    with pytest.raises(SourceError, match="not a known"):
        read_tenant_file(bad)
    with pytest.raises(SourceError, match="cannot read"):
        read_tenant_file(tmp_path / "absent.json")


def test_config_list_file_and_absence(tmp_path):
    td = tenant_from_config(Config(tenant={"domains": [" Contoso.com ", "fabrikam.com."]}))
    assert _flags(td) == {"contoso.com": (True, True), "fabrikam.com": (True, True)}
    # a relative domains_file resolves against the config file's folder
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "d.csv").write_bytes((TENANT / "get-msoldomain.csv").read_bytes())
    cfg = Config.from_mapping({"tenant": {"domains_file": "export/d.csv"}}, source=tmp_path / "preflight.toml")
    assert tenant_from_config(cfg).format == "msol"
    with pytest.raises(Missing, match="--tenant-domains"):
        tenant_from_config(Config())


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"domain": ["contoso.com"]}, "unknown [tenant] option"),
        ({"domains": "contoso.com", "domains_file": "x"}, "not both"),
        ({"domains": ["not a domain"]}, "not a domain name"),
        ({"domains_file": "x.json", "format": "xml"}, "format"),
        ({"domains": [1, 2]}, "list of domain names"),
    ],
)
def test_bad_tenant_tables_are_config_errors(table, needle):
    with pytest.raises(ConfigError) as exc:
        tenant_from_config(Config(tenant=table))
    assert needle in str(exc.value)
