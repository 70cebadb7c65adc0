"""The endpoint checks offline (``--endpoint-certificate``): every certificate case,
the file formats an admin saves, the options, and that nothing connects.
No server is started here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

import preflight
from endpoint import certs
from endpoint.helpers import codes, run, statuses
from preflight.checks.endpoint.chain import name_matches
from preflight.config import Config, ConfigError
from preflight.sources.endpoint import endpoint_options, parse_target
from preflight.sources.endpoint.certificates import parse_certificates

CERT_CODES = ["PF510", "PF511", "PF512", "PF513", "PF514", "PF515", "PF516", "PF517"]
NETWORK_CODES = ["PF500", "PF518", "PF520", "PF521", "PF530"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    ca, ca_file, cases = certs.make_cases(tmp_path_factory.mktemp("certs"))
    return ca, ca_file, {c.name: c for c in cases}


def offline(case, ca_file, **extra):
    return run({"outlook_anywhere_host": certs.HOST, "certificate": str(case.chain_file), "ca_file": str(ca_file),
                **extra})


def test_every_case_gives_its_findings_and_nothing_else(made):
    _, ca_file, cases = made
    for case in cases.values():
        report = offline(case, ca_file)
        assert codes(report) == case.expected, (case.name, [f.message for f in report.findings])
        st = statuses(report)
        for code in CERT_CODES:
            if code in case.expected:
                assert st[code] == "failed", (case.name, code)
            elif code == "PF510" and case.name == "missing-intermediate":
                assert st[code] == "skipped"  # trust cannot be decided without the intermediate
            else:
                assert st[code] == "passed", (case.name, code, st[code])
        for f in report.findings:
            assert f.domain == certs.HOST and f.path == str(case.chain_file) and f.fix


def test_offline_makes_no_connection_and_says_so(made):
    _, ca_file, cases = made
    report = offline(cases["valid"], ca_file)
    for r in report.results:
        if r.code in ("PF500", "PF520", "PF521"):
            assert r.status.value == "skipped" and "no connection is made" in r.reason, r
    res = {r.code: r for r in report.results}
    assert res["PF518"].status.value == "skipped" and "openssl s_client" in res["PF518"].reason
    assert report.exit_code() == 0 and report.findings == []
    (src,) = [i for i in report.inputs if i["kind"] == "endpoint-certificate"]
    assert src["mode"] == "file" and src["path_end"] == "trusted" and src["chain"][0].startswith("CN=mail.contoso.com")


def test_a_private_ca_is_untrusted_without_the_ca_file(made, tmp_path):
    ca, _, cases = made
    # the server sends host and issuing CA: the root is neither sent nor trusted
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(cases["valid"].chain_file)})
    (f,) = report.findings
    assert f.code == "PF517" and "Preflight Test Root CA" in f.message and "public CA" in f.fix
    assert statuses(report)["PF510"] == "skipped" and report.exit_code() == 1
    # with the root sent too, the chain ends at a root the system does not trust
    full = tmp_path / "full.pem"
    full.write_bytes(certs.pem(*cases["valid"].chain, ca.root))
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(full)})
    (f,) = report.findings
    assert f.code == "PF510" and "Preflight Test Root CA" in f.message and report.exit_code() == 1


def test_without_a_host_the_name_is_not_checked(made):
    _, ca_file, cases = made
    report = run({"certificate": str(cases["wrong-name"].chain_file), "ca_file": str(ca_file)})
    res = {r.code: r for r in report.results}
    assert res["PF511"].status.value == "skipped" and "--outlook-anywhere-host" in res["PF511"].reason
    assert report.findings == []


@pytest.mark.parametrize(("pattern", "host", "ok"), [
    ("mail.contoso.com", "mail.contoso.com", True),
    ("*.contoso.com", "mail.contoso.com", True),
    ("*.contoso.com", "contoso.com", False),
    ("*.contoso.com", "a.mail.contoso.com", False),
    ("*.com", "contoso.com", False),
    ("m*.contoso.com", "mail.contoso.com", False),
    ("*.*.contoso.com", "a.b.contoso.com", False),
    ("owa.contoso.com", "mail.contoso.com", False),
])
def test_name_matching_follows_rfc_6125(pattern, host, ok):
    assert name_matches(pattern, host) is ok


def test_a_certificate_without_subject_alternative_names_fails_the_name_check(made, tmp_path):
    ca, ca_file, _ = made
    leaf = certs.certificate(certs.name(certs.HOST), ca.host_key, ca.issuing.subject, ca.issuing_key, ca=False)
    path = tmp_path / "cn-only.pem"
    path.write_bytes(certs.pem(leaf, ca.issuing))
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(path), "ca_file": str(ca_file)})
    (f,) = report.findings
    assert f.code == "PF511" and "no subject alternative names" in f.message and certs.HOST in f.message


def test_der_pkcs7_and_s_client_files_read_as_pem(made, tmp_path):
    _, ca_file, cases = made
    case = cases["sha1"]
    der = tmp_path / "chain.cer"
    der.write_bytes(b"".join(c.public_bytes(Encoding.DER) for c in case.chain))
    p7b = tmp_path / "chain.p7b"
    p7b.write_bytes(pkcs7.serialize_certificates(case.chain, Encoding.DER))
    p7b_pem = tmp_path / "chain-pem.p7b"
    p7b_pem.write_bytes(pkcs7.serialize_certificates(case.chain, Encoding.PEM))
    s_client = tmp_path / "s_client.txt"
    s_client.write_bytes(b"CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = mail.contoso.com\n"
                         + certs.pem(case.chain[0]) + b" 1 s:CN = Preflight Test Issuing CA\n"
                         + certs.pem(case.chain[1]) + b"---\nSSL-Session:\n    Protocol  : TLSv1.1\n")
    def located(findings):
        return [{**f.to_dict(), "location": {"domain": f.domain}} for f in findings if f.code != "PF518"]

    expected = located(offline(case, ca_file).findings)
    assert [f["code"] for f in expected] == ["PF515"]
    for path in (der, p7b, p7b_pem, s_client):
        report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(path), "ca_file": str(ca_file)})
        assert located(report.findings) == expected, path.name
    # s_client's Protocol line: the TLS version, offline
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(s_client), "ca_file": str(ca_file)})
    (tls,) = [f for f in report.findings if f.code == "PF518"]
    assert tls.value == "TLSv1.1" and tls.path == str(s_client)


@pytest.mark.parametrize(("data", "error"), [
    (b"", "the file is empty"),
    (b"hello, not a certificate\n", "not a certificate"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no certificate in it"),
])
def test_a_file_without_a_certificate_errors_the_certificate_checks(tmp_path, data, error):
    path = tmp_path / "bad.pem"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=error):
        parse_certificates(data)
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": str(path)})
    for code in CERT_CODES:
        r = {r.code: r for r in report.results}[code]
        assert r.status.value == "errored" and str(path) in r.reason and error in r.reason


def test_a_missing_file_errors(tmp_path):
    report = run({"certificate": str(tmp_path / "nope.pem")})
    assert {r.status.value for r in report.results if r.code in CERT_CODES} == {"errored"}
    assert report.exit_code() == 1 and any("cannot read" in r.reason for r in report.results if r.reason)  # errored: 1


def test_no_endpoint_option_skips_the_area_and_imports_nothing_heavy():
    report = preflight.check_batch([os.path.join(ROOT, "sample_data", "wave1-finance.csv")], select=["PF5"])
    assert {r.status.value for r in report.results} == {"skipped"}
    code = ("import sys, preflight; preflight.check_batch(['sample_data/wave1-finance.csv']); "
            "print([m for m in ('ssl', 'cryptography', 'http.client') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(("table", "error"), [
    ({"port": 0}, "port"),
    ({"port": "443"}, "port"),
    ({"outlook_anywhere_host": "not a host"}, "outlook_anywhere_host"),
    ({"connect_timeout": -1}, "connect_timeout"),
    ({"cert_warn_days": 1.5}, "cert_warn_days"),
    ({"connect_to": {"mail.contoso.com": "127.0.0.1:99999"}}, "connect_to"),
    ({"connect_to": "127.0.0.1"}, "connect_to"),
    ({"live": "no"}, "live"),
    ({"hots": "mail.contoso.com"}, r"unknown \[endpoint\] option"),
])
def test_bad_options_are_configuration_errors(table, error):
    with pytest.raises(ConfigError, match=error):
        endpoint_options(Config.from_mapping({"endpoint": table}))
    with pytest.raises(ConfigError):
        run(table)


def test_the_dns_host_is_the_endpoint_host_unless_the_endpoint_table_names_one():
    assert endpoint_options(Config.from_mapping({"dns": {"outlook_anywhere_host": "Mail.Contoso.com."}}))[
        "outlook_anywhere_host"] == "mail.contoso.com"
    opts = endpoint_options(Config.from_mapping({"dns": {"outlook_anywhere_host": "a.contoso.com"},
                                                 "endpoint": {"outlook_anywhere_host": "b.contoso.com"}}))
    assert opts["outlook_anywhere_host"] == "b.contoso.com" and opts["port"] == 443 and opts["cert_warn_days"] == 30


def test_live_false_keeps_the_area_offline():
    report = run({"outlook_anywhere_host": certs.HOST, "live": False})
    assert {r.status.value for r in report.results} == {"skipped"}
    assert any("live = false" in r.reason for r in report.results)


@pytest.mark.parametrize(("spec", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 443)), ("127.0.0.1:8443", ("127.0.0.1", 8443)),
    ("[::1]:8443", ("::1", 8443)), ("::1", ("::1", 443)), ("cas1.contoso.local:443", ("cas1.contoso.local", 443)),
])
def test_connect_to_targets(spec, expected):
    assert parse_target(spec, 443) == expected


def test_cli_offline_exit_codes_and_json(made, tmp_path):
    _, ca_file, cases = made

    def cli(case, *extra):
        proc = subprocess.run([sys.executable, "-m", "preflight", "--outlook-anywhere-host", certs.HOST,
                               "--endpoint-certificate", str(cases[case].chain_file), "--endpoint-ca-file", str(ca_file),
                               "--select", "PF5", "--format", "json", *extra],
                              check=False, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")})
        return proc.returncode, json.loads(proc.stdout) if proc.stdout else None, proc.stderr

    rc, out, _ = cli("valid")
    assert rc == 0 and out["findings"] == []
    rc, out, _ = cli("expired")
    assert rc == 1 and [f["code"] for f in out["findings"]] == ["PF512"]
    assert out["findings"][0]["location"] == {"path": str(cases["expired"].chain_file), "domain": certs.HOST}
    rc, out, _ = cli("expiring")
    assert rc == 0 and [f["code"] for f in out["findings"]] == ["PF514"]  # a warning
    rc, out, _ = cli("expiring", "--fail-on", "warning")
    assert rc == 1
    rc, _, err = cli("valid", "--endpoint-port", "70000")
    assert rc == 2 and "port" in err


def test_sample_chain_shows_the_certificate_checks_offline():
    sample = os.path.join(ROOT, "sample_data", "endpoint", "mail.contoso.com.txt")
    report = run({"outlook_anywhere_host": certs.HOST, "certificate": sample})
    assert codes(report) == {"PF510", "PF518"}, [f.message for f in report.findings]
    assert report.exit_code() == 1


def test_every_endpoint_check_has_a_rule_page():
    checks = [c for c in preflight.list_checks() if c.area == "endpoint"]
    assert [c.code for c in checks] == ["PF500", "PF510", "PF511", "PF512", "PF513", "PF514", "PF515", "PF516",
                                        "PF517", "PF518", "PF520", "PF521", "PF530", "PF540", "PF541", "PF542",
                                        "PF543", "PF544", "PF545"]
    for c in checks:
        page = c.explain()
        for part in ("Why:", "Fix:", "Source:"):
            assert part in page, (c.code, part)
        assert c.name.startswith("endpoint-")


def test_authentication_schemes_are_read_from_every_challenge():
    from preflight.sources.endpoint.live import HttpAnswer

    answer = HttpAnswer("RPC_IN_DATA", "https://mail.contoso.com/rpc/rpcproxy.dll", "ok", 401, "Unauthorized",
                        ('Basic realm="Contoso, Ltd", NTLM', "Negotiate", 'Digest realm="x", qop="auth"', "ntlm"))
    assert answer.schemes() == ("Basic", "NTLM", "Negotiate", "Digest")
    assert answer.summary() == "401 Unauthorized"
