"""The DNS source's parts that need no server: names, options, zone-file answers, caching."""

from __future__ import annotations

import pytest

from preflight.checks.dns import stage as stage_checks
from preflight.checks.dns.common import (
    DnsRecords,
    DomainDns,
    spf_authorizes_exo,
    spf_targets,
)
from preflight.registry import SourceError
from preflight.sources import dns as dnssrc
from preflight.sources.dns import MX, NOANSWER, NXDOMAIN, OK, SRV, Answer
from preflight.sources.dns_zone import ZoneSource, zone_origin


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Contoso.COM. ", "contoso.com"),
        ("bücher.com", "xn--bcher-kva.com"),
        ("BÜCHER.com", "xn--bcher-kva.com"),
        ("xn--bcher-kva.com", "xn--bcher-kva.com"),
        ("contoso", None),
        ("contoso.local", None),
        ("contoso.com>", None),
        ("-bad.com", None),
        ("1.2.3.4", None),
        ("", None),
    ],
)
def test_normalize_domain(value, expected):
    assert dnssrc.normalize_domain(value) == expected


def test_batch_domains_are_distinct_normalized_and_located(h):
    from preflight.sources.batch_csv import parse_batch

    text = ("EmailAddress,Password\n ANN@Contoso.com ,x\nbob@contoso.com.,y\nMia <mia@contoso.com>,z\n"
            "no-at,w\nzoe@Bücher.com,v\n")
    one = parse_batch(text.encode(), "one.csv")
    two = parse_batch(b"EmailAddress\ncarl@fabrikam.com\ndan@CONTOSO.com\n", "two.csv")
    doms = dnssrc.batch_domains([one, two])
    assert list(doms) == ["contoso.com", "xn--bcher-kva.com", "fabrikam.com"]
    assert doms["contoso.com"].files == {"one.csv": (2, 2, 2), "two.csv": (1, 3, 3)}
    assert doms["contoso.com"].where() == "2 addresses in one.csv, 1 in two.csv"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:15353", ("127.0.0.1", 15353)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("ns1.contoso.com:53", ("ns1.contoso.com", 53)),
    ],
)
def test_parse_nameserver(spec, expected):
    assert dnssrc.parse_nameserver(spec) == expected


@pytest.mark.parametrize("spec", ["", "[::1", "[::1]x", "host:0", "host:port"])
def test_parse_nameserver_rejects(spec):
    with pytest.raises(ValueError):
        dnssrc.parse_nameserver(spec)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("contoso.com.zone", "contoso.com"), ("contoso.com.dns", "contoso.com"), ("db.contoso.com", "contoso.com"),
     ("Contoso.COM", "contoso.com"), ("zone.txt", None)],
)
def test_zone_origin_from_the_file_name(name, expected):
    assert zone_origin(name, "@ IN SOA a b 1 2 3 4 5\n") == expected


def test_zone_origin_line_wins(h):
    assert zone_origin("whatever.zone", "; x\n$TTL 300\n$ORIGIN Fabrikam.com.\n") == "fabrikam.com"
    # a $ORIGIN after the first record names a subdomain, not the zone
    text = "$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n$ORIGIN _msdcs.contoso.com.\n"
    assert zone_origin("contoso.com.dns", text) == "contoso.com"


def test_windows_dns_server_file_without_origin(tmp_path):
    zone = tmp_path / "contoso.com.dns"
    zone.write_text(";  Database file contoso.com.dns for contoso.com zone.\n"
                    "@ IN SOA dc1.contoso.com. hostmaster.contoso.com. ( 5 900 600 86400 3600 )\n"
                    "@ IN NS dc1.contoso.com.\n@ 3600 MX 10 mail.contoso.com.\n"
                    "$ORIGIN _tcp.contoso.com.\n_autodiscover 600 SRV 0 0 443 mail.contoso.com.\n")
    got = ZoneSource([zone]).lookup([("contoso.com", "MX"), ("_autodiscover._tcp.contoso.com", "SRV")])
    assert got[("contoso.com", "MX")].ttl == 3600
    assert got[("_autodiscover._tcp.contoso.com", "SRV")].records == (SRV(0, 0, 443, "mail.contoso.com"),)


def test_zone_file_without_origin_and_undeducible_name_is_a_source_error(tmp_path):
    bad = tmp_path / "zone.txt"
    bad.write_text("$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n")
    with pytest.raises(SourceError, match=r"\$ORIGIN"):
        ZoneSource([bad])


def test_two_files_for_one_zone_is_a_source_error(h, tmp_path):
    copy = tmp_path / "db.contoso.com"
    copy.write_text(h.ZONES["contoso.com"].read_text().replace("$ORIGIN contoso.com.\n", ""))
    with pytest.raises(SourceError, match="two zone files for contoso.com"):
        ZoneSource([h.ZONES["contoso.com"], copy])


def test_zone_answers_as_an_authoritative_server(h):
    src = ZoneSource(h.ZONE_FILES)
    got = src.lookup([
        ("contoso.com", "MX"),
        ("CONTOSO.com.", "MX"),
        ("nope.contoso.com", "MX"),
        ("_tcp.contoso.com", "SRV"),
        ("_autodiscover._tcp.contoso.com", "SRV"),
        ("autodiscover.contoso.com", "A"),
        ("autodiscover.adatum.com", "A"),
        ("a.www.litware.com", "A"),
        ("www.litware.com", "A"),
        ("contoso.com", "TXT"),
    ])
    assert got[("contoso.com", "MX")] == Answer("contoso.com", "MX", OK,
                                                 (MX(10, "mail.contoso.com"), MX(20, "mail2.contoso.com")), 300)
    assert src.queries == 9  # the two spellings of contoso.com MX are one query
    assert got[("nope.contoso.com", "MX")].status == NXDOMAIN
    assert got[("_tcp.contoso.com", "SRV")].status == NOANSWER  # empty non-terminal
    assert got[("_autodiscover._tcp.contoso.com", "SRV")].records == (SRV(0, 0, 443, "mail.contoso.com"),)
    assert got[("autodiscover.contoso.com", "A")].records == ("198.51.100.25",)  # CNAME chased in the zone
    assert got[("autodiscover.adatum.com", "A")].status == NOANSWER  # CNAME out of the zones
    assert got[("a.www.litware.com", "A")].records == ("198.51.100.41",)  # wildcard
    assert got[("www.litware.com", "A")].status == NOANSWER
    assert got[("contoso.com", "TXT")].records == ("MS=ms48213977", "v=spf1 mx include:_spf.contoso.com -all")
    src.lookup([("contoso.com", "MX"), ("contoso.com", "TXT")])
    assert src.queries == 9  # cached
    desc = src.describe()
    assert desc["mode"] == "zone-files" and "wingtiptoys.com" in desc["errors"]


def test_long_txt_strings_are_joined(tmp_path):
    zone = tmp_path / "relecloud.com.zone"
    zone.write_text('$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
                    '@ IN TXT "v=spf1 include:spf.protection" ".outlook.com -all"\n')
    (ans,) = ZoneSource([zone]).lookup([("relecloud.com", "TXT")]).values()
    assert ans.records == ("v=spf1 include:spf.protection.outlook.com -all",)


def _txt(name, *records, status=OK):
    from preflight.sources.dns_chain import Chain

    return Chain(name, ("TXT",), (name,), end=(Answer(name, "TXT", status, records),), status=status)


def test_spf_parsing():
    assert spf_targets("v=spf1 mx +include:A.com ?include:b.com include:%{d}.x -all redirect=c.com.") == [
        "a.com", "c.com"]
    ok = _txt("b.com", "v=spf1 include:spf.protection.outlook.com -all")
    assert spf_authorizes_exo("d.com", ["v=spf1 include:b.com -all"], {"b.com": ok}).found
    no = spf_authorizes_exo("d.com", ["v=spf1 mx -all"], {})
    assert not no.found and not no.failed and not no.unknown and not no.problems
    missing = spf_authorizes_exo("d.com", ["v=spf1 include:b.com -all"], {})
    assert not missing.found and missing.failed[0].name == "b.com"


def test_spf_include_loops_are_reported_not_passed():
    # b.com includes itself; c.com includes the domain being checked: both are SPF permerrors
    loop = _txt("b.com", "v=spf1 include:b.com -all")
    res = spf_authorizes_exo("d.com", ["v=spf1 include:b.com -all"], {"b.com": loop})
    assert not res.found and res.problems == ["SPF include loop (d.com -> b.com -> b.com): SPF fails (permerror)"]
    back = _txt("c.com", "v=spf1 include:d.com -all")
    res = spf_authorizes_exo("d.com", ["v=spf1 include:c.com -all"], {"c.com": back})
    assert "d.com -> c.com -> d.com" in res.problems[0]


def test_spf_include_outside_the_zone_files_is_unknown_and_a_direct_include_settles_it(h, tmp_path):
    from preflight.sources.dns_chain import follow

    src = ZoneSource(h.ZONE_FILES)
    chains = follow(src, ["zohomail.com"], ("TXT",))
    res = spf_authorizes_exo("d.com", ["v=spf1 include:zohomail.com ~all"], chains)
    assert not res.found and not res.failed and [c.target for c in res.unknown] == ["zohomail.com"]
    res = spf_authorizes_exo("d.com", ["v=spf1 include:zohomail.com include:spf.protection.outlook.com ~all"], chains)
    assert res.found


def test_follow_goes_to_the_end_of_each_chain_in_zone_files(h):
    from preflight.sources.dns_chain import follow

    src = ZoneSource(h.ZONE_FILES)
    chains = follow(src, [*h.CHAINS, "mail.elsewhere.net", "autodiscover.wingtiptoys.com"],
                    known=lambda n: n == "autodiscover.outlook.com")
    assert {n: (c.status, list(c.names)) for n, c in chains.items() if n in h.CHAINS} == h.CHAINS
    assert chains["autodiscover.adatum.com"].known and not chains["autodiscover.adatum.com"].end
    assert chains["autodiscover.margiestravel.com"].records == ("198.51.100.95",)
    assert chains["autodiscover.fourthcoffee.com"].why() == (
        "CNAME loop (autodiscover.fourthcoffee.com -> ad2.fourthcoffee.com -> autodiscover.fourthcoffee.com)")
    assert chains["mail.elsewhere.net"].status == "unknown"  # the files cannot tell
    assert chains["autodiscover.wingtiptoys.com"].status == "error"  # its zone does not load
    assert "does not load" in chains["autodiscover.wingtiptoys.com"].why()
    # each hop once: CNAME and the wanted types per name, answers cached in the source
    before = src.queries
    assert follow(src, h.CHAINS, known=lambda n: n == "autodiscover.outlook.com") == {n: chains[n] for n in h.CHAINS}
    assert src.queries == before


def test_follow_bounds_a_long_chain(tmp_path):
    from preflight.sources.dns_chain import MAX_ALIASES, follow

    zone = tmp_path / "relecloud.com.zone"
    hops = "".join(f"h{i} IN CNAME h{i + 1}\n" for i in range(20))
    zone.write_text(f"$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.1\n{hops}h20 IN A 192.0.2.1\n")
    (chain,) = follow(ZoneSource([zone]), ["h0.relecloud.com"]).values()
    assert chain.status == "loop" and len(chain.aliases) == MAX_ALIASES + 1
    assert chain.why().startswith(f"more than {MAX_ALIASES} CNAME records in a row")


def _domain(mx_ttl, authoritative):
    from preflight.sources.dns import DomainUse

    d = "contoso.com"
    mx = Answer(d, "MX", OK, (MX(10, "mail.contoso.com"),), mx_ttl, authoritative)
    absent = Answer("autodiscover." + d, "CNAME", NOANSWER)
    return DnsRecords({d: DomainDns(d, DomainUse(d), mx, Answer(d, "TXT", NOANSWER), absent,
                                    Answer("autodiscover." + d, "A", NOANSWER),
                                    Answer("_autodiscover._tcp." + d, "SRV", NXDOMAIN))},
                      stage="cutover", org_domains=frozenset({d}))


def test_pf332_ttl_from_a_cache_errors_unless_it_is_already_too_high():
    # A cache's TTL is at most the zone's: above 300 it proves the problem...
    assert [p.value for p in stage_checks.cutover_ttl(_domain(3000, False))] == ["3000"]
    # ...at or below 300 it proves nothing: errored, never passed.
    with pytest.raises(SourceError, match="caching resolver"):
        list(stage_checks.cutover_ttl(_domain(120, False)))
    assert list(stage_checks.cutover_ttl(_domain(120, True))) == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("contoso-com.mail.protection.outlook.com", "Exchange Online"),
        ("contoso-com.o-v1.mx.microsoft", "Exchange Online"),
        ("mail.contoso.com", "on-premises"),
        ("contoso.com", "on-premises"),
        ("mail.notcontoso.com", "other"),
        ("eu-smtp-inbound-1.mimecast.com", "other"),
    ],
)
def test_mx_classification(host, expected):
    from preflight.checks.dns.common import classify_mx

    assert classify_mx(host, {"contoso.com", "fabrikam.com"}) == expected
