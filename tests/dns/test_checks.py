"""Each PF3xx check finds its problem and passes the good case (zone files, no network).

The same scenarios against a live BIND server are in test_live.py, which also
proves that live look-ups and zone files give the same findings.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import preflight
from preflight.config import ConfigError

PF3 = [c for c in preflight.list_checks() if c.code.startswith("PF3")]


def test_every_pf3_check_documents_why_fix_and_source():
    assert len(PF3) >= 12
    for c in PF3:
        assert c.area == "dns"
        for part in ("Why:", "Fix:", "Source:"):
            assert part in c.doc, f"{c.code} docstring lacks {part}"
        assert c.explain().startswith(f"{c.code} ({c.name})")


def test_listing_checks_does_not_import_dnspython():
    code = ("import sys, preflight; preflight.list_checks(); "
            "assert 'dns' not in sys.modules and not any(m.startswith('dns.') for m in sys.modules), "
            "sorted(m for m in sys.modules if m.split('.')[0] == 'dns')")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batch_only_run_skips_dns_checks_without_importing_dnspython(tmp_path):
    code = ("import sys, preflight; from preflight.sources.batch_csv import parse_batch; "
            "r = preflight.run_batches([parse_batch(b'EmailAddress\\nann@contoso.com\\n', 'b.csv')]); "
            "st = {x.code: x.status.value for x in r.results if x.code.startswith('PF3')}; "
            "assert set(st.values()) == {'skipped'}, st; assert 'dns' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- tenant


def test_pf300_reports_each_unverified_domain_once(h):
    tenant = {"domains_file": str(h.ZONES_DIR.parent.parent.parent / "sample_data/tenant/domains-graph.json")}
    report = h.run(["contoso.com", "tailspintoys.com", "fabrikam.com", "northwindtraders.com"], tenant=tenant,
                   select=["PF300"])
    found = {f.domain: f for f in h.findings(report, "PF300")}
    assert set(found) == {"tailspintoys.com", "northwindtraders.com"}
    assert "not verified" in found["tailspintoys.com"].message
    assert "not a domain of the tenant" in found["northwindtraders.com"].message
    assert "2 addresses in batch.csv" in found["tailspintoys.com"].message
    assert found["tailspintoys.com"].related == ({"path": "batch.csv", "row": 4, "line": 4},)
    assert h.result(report, "PF300").status.value == "failed"


def test_pf300_passes_verified_domains_case_and_idna_normalized(h):
    report = h.run([], select=["PF300"], tenant={"domains": ["contoso.com", "bücher.com"]})
    assert h.result(report, "PF300").status.value == "skipped"  # no domain in the batch
    bf = h.batch("Contoso.COM", "BÜCHER.com")
    report = preflight.run_batches([bf], {"tenant": {"domains": ["contoso.com", "xn--bcher-kva.com"]}},
                                   select=["PF300"])
    assert h.result(report, "PF300").status.value == "passed"


def test_pf300_verified_domain_without_the_email_service(h, tmp_path):
    export = tmp_path / "domains.csv"
    export.write_text('"Id","IsVerified","SupportedServices"\n"fabrikam.com","True","OfficeCommunicationsOnline"\n')
    report = h.run(["fabrikam.com"], select=["PF300"], tenant={"domains_file": str(export)})
    (f,) = h.findings(report, "PF300")
    assert "does not support the Email service" in f.message


def test_pf300_errors_when_the_export_cannot_be_read(h, tmp_path):
    report = h.run(["fabrikam.com"], select=["PF300"], tenant={"domains_file": str(tmp_path / "absent.json")})
    assert h.result(report, "PF300").status.value == "errored"
    assert "cannot read tenant domains file" in h.result(report, "PF300").reason


def test_pf300_is_skipped_not_passed_without_tenant_data(h):
    report = h.run(["contoso.com"], h.zone_config(), select=["PF300", "PF302"])
    assert h.result(report, "PF300").status.value == "skipped"
    assert "--tenant-domains" in h.result(report, "PF300").reason
    (info,) = h.findings(report, "PF302")
    assert info.severity.value == "info" and info.value == "MS=ms48213977" and info.record == "TXT"


def test_pf302_reports_the_mx_verification_record_and_passes_domains_without_one(h):
    report = h.run(["proseware.com", "litware.com"], h.zone_config(), select=["PF302"])
    (info,) = h.findings(report, "PF302")
    assert (info.domain, info.record, info.value) == ("proseware.com", "MX", "ms55667788.msv1.invalid")
    report = h.run(["litware.com"], h.zone_config(), select=["PF302"])
    assert h.result(report, "PF302").status.value == "passed"
    report = h.run(["contoso.com"], h.zone_config(), select=["PF302"], tenant={"domains": ["contoso.com"]})
    assert h.result(report, "PF302").status.value == "skipped"


def test_pf301_primary_smtp_domain_from_the_directory(h):
    from preflight.sources.directory import FrameSource
    from preflight.sources.schemas import directory_frame

    directory = FrameSource(directory_frame([
        {"dn": "CN=Ann,OU=Staff,DC=contoso,DC=com", "mail": "ann@tailspintoys.com",
         "proxyAddresses": ("SMTP:ann@tailspintoys.com", "smtp:ann@contoso.com")},
        {"dn": "CN=Bob,OU=Staff,DC=contoso,DC=com", "mail": "bob@contoso.com", "proxyAddresses": ("SMTP:bob@contoso.com",)},
        {"dn": "CN=Eve,OU=Staff,DC=contoso,DC=com", "mail": "eve@fabrikam.com", "proxyAddresses": ("SMTP:eve@fabrikam.com",)},
    ]), {"kind": "directory"})
    report = h.run(["contoso.com"], tenant={"domains": ["contoso.com", "fabrikam.com"]}, select=["PF300", "PF301"],
                   directory={"source": directory})
    assert h.result(report, "PF300").status.value == "passed"
    (f,) = h.findings(report, "PF301")
    assert f.domain == "tailspintoys.com"
    assert f.dn == "CN=Ann,OU=Staff,DC=contoso,DC=com"
    assert "ann@contoso.com" in f.message and f.value == "ann@tailspintoys.com"
    # Eve is not in the batch: her domain is not looked at
    report = h.run(["contoso.com"], tenant={"domains": ["contoso.com", "tailspintoys.com"]}, select=["PF301"],
                   directory={"source": directory})
    assert h.result(report, "PF301").status.value == "passed"


def test_pf301_is_skipped_without_a_directory(h):
    report = h.run(["contoso.com"], tenant={"domains": ["contoso.com"]}, select=["PF301"])
    res = h.result(report, "PF301")
    assert res.status.value == "skipped" and "directory" in res.reason


# --------------------------------------------------------------------------- records


def test_pf310_no_mail_routing_mx(h):
    report = h.run(["proseware.com", "contoso.com", "adatum.com", "woodgrovebank.com"], h.zone_config(),
                   select=["PF310"])
    (f,) = h.findings(report, "PF310")
    assert f.domain == "proseware.com" and f.record == "MX"
    assert "verification MX ms55667788.msv1.invalid" in f.message


def test_pf310_domain_that_does_not_exist_in_its_zone(h):
    report = h.run(["nope.contoso.com"], h.zone_config(), select=["PF310"])
    (f,) = h.findings(report, "PF310")
    assert "NXDOMAIN" in f.message


def test_pf311_autodiscover(h):
    report = h.run(["litware.com", "contoso.com", "northwindtraders.com", "adatum.com"], h.zone_config(),
                   select=["PF311"])
    assert [f.domain for f in h.findings(report, "PF311")] == ["litware.com"]


@pytest.mark.parametrize("domain", ["fourthcoffee.com", "cohovineyard.com"])
def test_pf311_a_cname_loop_is_a_finding_not_a_pass(h, domain):
    # Issue 15 item 14: PF311 passed and PF330 said "points on-premises, as expected".
    report = h.run([domain], h.zone_config(stage="migrating"), select=["PF311", "PF330", "PF331"])
    (f,) = h.findings(report, "PF311")
    assert f.domain == domain and f"autodiscover.{domain} does not resolve: CNAME loop (" in f.message
    assert h.result(report, "PF311").status.value == "failed"
    assert [f.record for f in h.findings(report, "PF330")] == ["MX"]  # nothing said about Autodiscover
    assert h.result(report, "PF331").status.value == "passed"
    assert report.exit_code() == 1


def test_mx_hosts_and_srv_targets_are_followed_to_an_address(h):
    report = h.run(["lucernepublishing.com", "contoso.com", "adatum.com"], h.zone_config(), select=["PF310", "PF311"])
    mx = {f.value: f.message for f in h.findings(report, "PF310")}
    assert set(mx) == {"mx1.lucernepublishing.com", "mx3.lucernepublishing.com"}
    assert "CNAME loop (mx1.lucernepublishing.com -> mx2.lucernepublishing.com -> mx1" in mx["mx1.lucernepublishing.com"]
    assert "does not exist (NXDOMAIN)" in mx["mx3.lucernepublishing.com"]
    (srv,) = h.findings(report, "PF311")
    assert srv.record == "SRV" and srv.value == "owa.lucernepublishing.com" and "no A or AAAA record" in srv.message


def test_a_chain_that_leaves_the_zone_files_is_said_once(h, tmp_path):
    zone = tmp_path / "fabrikam.com.zone"
    zone.write_text("$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"
                    "@ IN MX 10 mx.filter.example.net.\nautodiscover IN CNAME mail.contoso.net.\n")
    report = h.run(["fabrikam.com"], {"zone_files": [str(zone)], "stage": "migrating"},
                   select=["PF310", "PF311", "PF330"])
    (mx,) = h.findings(report, "PF310")
    (ad,) = h.findings(report, "PF311")
    assert mx.value == "mx.filter.example.net" and ad.value == "mail.contoso.net"
    assert all("cannot tell offline" in f.message for f in (mx, ad))
    assert [f.record for f in h.findings(report, "PF330")] == ["MX"]


def test_pf340_outlook_anywhere_host(h):
    report = h.run(["contoso.com"], h.zone_config(outlook_anywhere_host="owa.contoso.com"), select=["PF340"])
    (f,) = h.findings(report, "PF340")
    assert f.value == "owa.contoso.com" and "NXDOMAIN" in f.message
    report = h.run(["contoso.com"], h.zone_config(outlook_anywhere_host="Mail.Contoso.com."), select=["PF340"])
    assert h.result(report, "PF340").status.value == "passed"
    report = h.run(["contoso.com"], h.zone_config(), select=["PF340"])
    assert h.result(report, "PF340").status.value == "skipped"


# --------------------------------------------------------------------------- SPF


def test_pf320_no_spf(h):
    report = h.run(["proseware.com", "contoso.com"], h.zone_config(), select=["PF320"])
    (f,) = h.findings(report, "PF320")
    assert f.domain == "proseware.com" and f.severity.value == "warning"


def test_pf321_two_spf_records(h):
    report = h.run(["northwindtraders.com", "contoso.com"], h.zone_config(), select=["PF321"])
    (f,) = h.findings(report, "PF321")
    assert f.domain == "northwindtraders.com"
    assert f.value == "v=spf1 include:spf.protection.outlook.com -all | v=spf1 mx -all"


@pytest.mark.parametrize("stage", ["migrating", "cutover", "complete"])
def test_pf322_spf_without_exchange_online(h, stage):
    domains = ["litware.com", "contoso.com", "adatum.com", "woodgrovebank.com"]
    report = h.run(domains, h.zone_config(stage=stage), select=["PF322"])
    (f,) = h.findings(report, "PF322")
    assert f.domain == "litware.com"
    assert f.suggested_value == "v=spf1 mx include:spf.protection.outlook.com -all"


def test_pf322_without_stage_applies_where_mx_points_to_exchange_online(h):
    report = h.run(["litware.com"], h.zone_config(), select=["PF322"])
    assert h.result(report, "PF322").status.value == "skipped"
    report = h.run(["litware.com", "adatum.com"], h.zone_config(), select=["PF322"])
    assert h.result(report, "PF322").status.value == "passed"


def test_pf322_include_out_of_the_zone_files_is_said_once_not_an_error_of_the_check(h):
    report = h.run(["relecloud.com", "litware.com"], h.zone_config(stage="migrating"), select=["PF322"])
    res = h.result(report, "PF322")
    assert res.status.value == "failed"  # never passed: offline, what the include authorizes is unknown
    litware, unknown = h.findings(report, "PF322")
    assert (unknown.domain, unknown.value) == ("relecloud.com", "_spf.elsewhere.net")
    assert "cannot tell offline" in unknown.message and "none of the zone files" in unknown.message
    assert litware.domain == "litware.com" and "does not include" in litware.message


def _spf_zones(tmp_path, *records):
    """Zone files of fabrikam.com and litware.com with the SPF records given."""
    paths = []
    for domain, (mx, spf) in zip(("fabrikam.com", "litware.com"), records, strict=True):
        path = tmp_path / f"{domain}.zone"
        path.write_text(f"$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"
                        f"@ IN MX 10 {mx}.\nmail IN A 192.0.2.1\n@ IN TXT \"{spf}\"\n")
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("stage", ["migrating", "cutover", "complete"])
def test_pf322_an_include_the_zone_files_cannot_resolve_is_one_finding(h, tmp_path, stage):
    # Issue 18 item 4: "v=spf1 include:zohomail.com ~all" with --zone-file errored the whole check.
    zones = _spf_zones(tmp_path, ("mail.fabrikam.com", "v=spf1 include:zohomail.com ~all"),
                       ("mail.litware.com", "v=spf1 mx include:zohomail.com -all"))
    report = h.run(["fabrikam.com", "litware.com"], {"zone_files": zones, "stage": stage}, select=["PF322"])
    res = h.result(report, "PF322")
    assert res.status.value == "failed"
    (f,) = h.findings(report, "PF322")  # once, for both domains
    assert f.value == "zohomail.com" and f.domain == "fabrikam.com" and f.related == ({"domain": "litware.com"},)
    assert "(fabrikam.com, litware.com)" in f.message


def test_pf322_offline_include_through_the_cli_is_one_finding_not_an_errored_check(h, tmp_path, capsys):
    import json

    from preflight.cli import main

    zones = _spf_zones(tmp_path, ("mail.fabrikam.com", "v=spf1 include:zohomail.com ~all"),
                       ("mail.litware.com", "v=spf1 mx -all"))
    batch = tmp_path / "wave1.csv"
    batch.write_text("EmailAddress\nann@fabrikam.com\nbob@litware.com\n")
    code = main([str(batch), "--zone-file", zones[0], "--zone-file", zones[1], "--stage", "migrating",
                 "--select", "PF322", "--format", "json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert code == 1 and "errored" not in err
    assert [c["status"] for c in report["checks"]] == ["failed"]
    assert [(f["location"]["domain"], f["value"]) for f in report["findings"]] == [
        ("litware.com", "v=spf1 mx -all"), ("fabrikam.com", "zohomail.com")]


def test_pf322_evaluates_only_what_the_rule_needs(h, tmp_path):
    # a direct include of Exchange Online settles it: the other include is never looked up
    zones = _spf_zones(tmp_path, ("mail.fabrikam.com", "v=spf1 include:zohomail.com include:spf.protection.outlook.com -all"),
                       ("mail.litware.com", "v=spf1 include:spf.protection.outlook.com -all"))
    report = h.run(["fabrikam.com", "litware.com"], {"zone_files": zones, "stage": "migrating"}, select=["PF322"])
    assert h.result(report, "PF322").status.value == "passed"
    assert report.inputs[-1]["queries"] == 10
    # no stage and no MX to Exchange Online: PF322 does not apply, and the include is not looked up
    zones = _spf_zones(tmp_path, ("mail.fabrikam.com", "v=spf1 include:zohomail.com ~all"),
                       ("mail.litware.com", "v=spf1 mx -all"))
    report = h.run(["fabrikam.com", "litware.com"], {"zone_files": zones}, select=["PF322"])
    assert h.result(report, "PF322").status.value == "skipped"
    assert report.inputs[-1]["queries"] == 10  # MX, TXT, autodiscover CNAME and A, SRV of each domain


def test_pf322_an_spf_include_loop_is_reported(h, tmp_path):
    zones = _spf_zones(tmp_path, ("x.mail.protection.outlook.com", "v=spf1 include:litware.com -all"),
                       ("mail.litware.com", "v=spf1 include:fabrikam.com -all"))
    report = h.run(["fabrikam.com"], {"zone_files": zones}, select=["PF322"])
    (f,) = h.findings(report, "PF322")
    assert "SPF include loop (fabrikam.com -> litware.com -> fabrikam.com)" in f.message


# --------------------------------------------------------------------------- stages


def test_pf330_migrating_on_premises_is_info(h):
    report = h.run(["contoso.com", "adatum.com"], h.zone_config(stage="migrating"), select=["PF330", "PF331"])
    infos = [(f.domain, f.record, f.value) for f in h.findings(report, "PF330")]
    assert infos == [("contoso.com", "MX", "mail.contoso.com, mail2.contoso.com"),
                     ("contoso.com", "CNAME", "mail.contoso.com")]
    assert all(f.severity.value == "info" for f in h.findings(report, "PF330"))
    warnings = [(f.domain, f.record) for f in h.findings(report, "PF331")]
    assert warnings == [("adatum.com", "MX"), ("adatum.com", "CNAME")]


def test_pf331_passes_when_routing_is_on_premises(h):
    report = h.run(["contoso.com", "northwindtraders.com"], h.zone_config(stage="migrating"), select=["PF331"])
    assert h.result(report, "PF331").status.value == "passed"


def test_pf332_ttls_above_300_at_cutover(h):
    report = h.run(["fabrikam.com", "contoso.com", "adatum.com"], h.zone_config(stage="cutover"), select=["PF332"])
    found = [(f.domain, f.record, f.value) for f in h.findings(report, "PF332")]
    assert found == [("fabrikam.com", "MX", "86400"), ("fabrikam.com", "CNAME", "86400")]
    assert "autodiscover.fabrikam.com" in h.findings(report, "PF332")[1].message
    assert "1 day" in h.findings(report, "PF332")[0].message


@pytest.mark.parametrize("code", ["PF330", "PF331", "PF332", "PF333"])
def test_stage_checks_are_skipped_at_other_stages(h, code):
    stage = {"PF330": "cutover", "PF331": "complete", "PF332": "migrating", "PF333": "cutover"}[code]
    report = h.run(["fabrikam.com"], h.zone_config(stage=stage), select=[code])
    res = h.result(report, code)
    assert res.status.value == "skipped" and stage in res.reason
    report = h.run(["fabrikam.com"], h.zone_config(), select=[code])
    assert "no migration stage given" in h.result(report, code).reason


def test_pf333_complete(h):
    domains = ["adatum.com", "woodgrovebank.com", "contoso.com", "northwindtraders.com", "litware.com"]
    report = h.run(domains, h.zone_config(stage="complete"), select=["PF333"])
    found = {(f.domain, f.record): f for f in h.findings(report, "PF333")}
    # litware.com has no Autodiscover record at all: that is PF311's finding, not PF333's too
    assert set(found) == {("contoso.com", "MX"), ("contoso.com", "CNAME"), ("northwindtraders.com", "MX"),
                          ("northwindtraders.com", "CNAME"), ("litware.com", "MX")}
    assert found[("contoso.com", "MX")].suggested_value == "contoso-com.mail.protection.outlook.com"
    assert "on-premises (mail.contoso.com, mail2.contoso.com)" in found[("contoso.com", "MX")].message
    assert "is an A record" in found[("northwindtraders.com", "CNAME")].message


def test_a_missing_autodiscover_record_is_reported_once_at_complete(h):
    # Issue 18 item 5: PF311 and PF333 both reported it.
    report = h.run(["litware.com", "margiestravel.com"], h.zone_config(stage="complete"), select=["PF3"])
    about = [(f.code, f.domain) for f in report.findings if f.record == "CNAME"]
    assert about == [("PF311", "litware.com"), ("PF333", "margiestravel.com")]
    assert [(f.code, f.domain) for f in report.findings if f.record == "MX"] == [
        ("PF310", "margiestravel.com"), ("PF333", "litware.com")]  # no MX at all: PF310's alone
    # at stage complete they say what the record should be, as PF333 does
    assert h.findings(report, "PF310")[0].suggested_value == "margiestravel-com.mail.protection.outlook.com"
    assert h.findings(report, "PF311")[0].suggested_value == "autodiscover.outlook.com"
    assert "ad.margiestravel.com -> web.margiestravel.com" in h.findings(report, "PF333")[-1].message


# --------------------------------------------------------------------------- failures


def test_a_zone_that_does_not_load_errors_its_domain_and_keeps_the_others(h):
    report = h.run(["wingtiptoys.com", "litware.com"], h.zone_config(stage="migrating"),
                   select=["PF310", "PF311", "PF320", "PF322", "PF330"])
    for code in ("PF310", "PF311", "PF320", "PF322", "PF330"):
        res = h.result(report, code)
        assert res.status.value == "errored", (code, res)
        assert "wingtiptoys.com" in res.reason and "litware.com" not in res.reason
        assert "does not load" in res.reason
    assert [f.domain for f in h.findings(report, "PF311")] == ["litware.com"]
    assert [f.domain for f in h.findings(report, "PF322")] == ["litware.com"]


def test_a_domain_outside_every_zone_file_errors(h):
    report = h.run(["tailspintoys.com"], h.zone_config(), select=["PF310"])
    res = h.result(report, "PF310")
    assert res.status.value == "errored" and "none of the zone files" in res.reason


@pytest.mark.parametrize(
    ("dns", "needle"),
    [
        ({"stage": "done"}, "stage"),
        ({"zone_file": ["x"]}, "unknown [dns] option"),
        ({"nameservers": ["[::1"]}, "IPv6"),
        ({"nameservers": ["127.0.0.1:99999"]}, "port"),
        ({"lifetime": 0}, "lifetime"),
        ({"zone_files": ["a.zone"], "nameservers": ["127.0.0.1"]}, "not both"),
        ({"outlook_anywhere_host": "not a host"}, "outlook_anywhere_host"),
    ],
)
def test_bad_dns_tables_stop_the_run(h, dns, needle):
    with pytest.raises(ConfigError) as exc:
        h.run(["contoso.com"], dns, select=["PF310"])
    assert needle in str(exc.value)


def test_no_dns_configuration_skips_dns_checks(h):
    report = h.run(["contoso.com"], {}, select=["PF31", "PF32", "PF33", "PF34"])
    assert {r.status.value for r in report.results} == {"skipped"}
    assert "--zone-file" in h.result(report, "PF310").reason


def test_sample_data_run_shows_tenant_and_dns_findings_offline_and_follows_the_schema(h):
    import json

    import jsonschema
    from conftest import SAMPLE_DATA

    config = {"tenant": {"domains_file": str(SAMPLE_DATA / "tenant/domains-graph.json")},
              "dns": {"zone_files": [str(p) for p in sorted((SAMPLE_DATA / "dns").glob("*.zone"))],
                      "stage": "migrating"}}
    report = preflight.check_batch(sorted(SAMPLE_DATA.glob("*.csv")), config)
    found = {(f.code, f.domain) for f in report.findings if f.code.startswith("PF3")}
    assert {("PF300", "tailspintoys.com"), ("PF311", "fabrikam.com"), ("PF321", "fabrikam.com"),
            ("PF322", "tailspintoys.com"), ("PF330", "contoso.com")} <= found
    assert not any(r.status.value == "errored" for r in report.results), report.results
    kinds = {i["kind"]: i for i in report.inputs}
    assert kinds["dns"]["mode"] == "zone-files" and kinds["tenant"]["format"] == "graph"
    schema = json.loads((SAMPLE_DATA.parent / "src/preflight/schema/report.schema.json").read_text())
    jsonschema.validate(report.to_dict(), schema)
    # and a failed source too
    report = h.run(["contoso.com"], {"nameservers": ["127.0.0.1:9"], "lifetime": 0.2, "stage": "cutover"})
    jsonschema.validate(report.to_dict(), schema)


def test_system_resolver_is_used_without_nameservers(monkeypatch):
    import dns.resolver

    from preflight.config import Config
    from preflight.registry import SourceError
    from preflight.sources.dns import LiveSource, source_from_config

    class FakeResolver:
        configured = True

        def __init__(self, configure=True):
            if configure and not FakeResolver.configured:
                raise dns.resolver.NoResolverConfiguration("no /etc/resolv.conf")
            self.nameservers = ["192.0.2.53"] if configure else []

    monkeypatch.setattr(dns.resolver, "Resolver", FakeResolver)
    src = source_from_config(Config(dns={"live": True, "timeout": 1, "lifetime": 4}))
    assert isinstance(src, LiveSource) and (src.timeout, src.lifetime) == (1.0, 4.0)
    assert src.describe()["nameservers"] == ["192.0.2.53"] and src.describe()["mode"] == "live"
    FakeResolver.configured = False
    with pytest.raises(SourceError, match="--dns-server"):
        source_from_config(Config(dns={"stage": "migrating"}))
