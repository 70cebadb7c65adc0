"""The endpoint checks live, against nginx on 127.0.0.1 with the test certificates:
every certificate case gives the same findings as its chain read offline; TLS 1.0/1.1
only; the RPC proxy's answers; Autodiscover per batch domain; refused and silent
ports; and the whole area costing about one timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from endpoint import certs
from endpoint.helpers import codes, live, run, statuses

CERT_CODES = ["PF510", "PF511", "PF512", "PF513", "PF514", "PF515", "PF516", "PF517"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = ["valid", "wildcard", "self-signed", "untrusted-root", "expired", "not-yet-valid", "expiring", "wrong-name",
         "wildcard-too-deep", "sha1", "rsa1024", "missing-intermediate", "client-auth-only"]


def _comparable(report):
    """Findings as dicts, without the file path (offline findings name the chain file)."""
    return [{**f.to_dict(), "location": {"domain": f.domain}} for f in report.findings]


@pytest.mark.parametrize("case", CASES)
def test_live_certificate_findings_equal_the_saved_chains(nginx_server, pki, case):
    c = pki.cases[case]
    report = run(live(nginx_server.ports[case], pki.ca_file))
    assert codes(report) == c.expected, [f.message for f in report.findings]
    offline = run({"outlook_anywhere_host": certs.HOST, "certificate": str(c.chain_file), "ca_file": str(pki.ca_file)},
                  select=CERT_CODES)
    assert _comparable(report) == _comparable(offline)
    st = statuses(report)
    assert {code: st[code] for code in CERT_CODES} == statuses(offline)
    # the rest of the endpoint is right: reachable, TLS 1.3, 401 Basic and NTLM
    assert st["PF500"] == st["PF518"] == st["PF520"] == st["PF521"] == "passed"
    assert st["PF530"] == "skipped"  # no batch file given
    assert report.exit_code() == (1 if any(f.severity.value == "error" for f in report.findings) else 0)
    (src,) = [i for i in report.inputs if i["kind"] == "endpoint"]
    assert src["tls_version"] == "TLSv1.3" and src["rpcproxy_authentication"] == ["Basic", "NTLM"]


def test_a_correct_setup_passes_every_check(nginx_server, pki):
    report = run(live(nginx_server.ports["valid"], pki.ca_file))
    assert report.findings == []
    assert {r.code: r.status.value for r in report.results if r.status.value != "passed"} == {"PF530": "skipped"}
    assert report.exit_code() == 0


def test_tls_1_0_and_1_1_only_is_a_warning(nginx_server, pki):
    report = run(live(nginx_server.ports["tls10"], pki.ca_file))
    (f,) = report.findings
    assert f.code == "PF518" and f.severity.value == "warning" and f.value == "TLSv1.1" and "TLS 1.1" in f.message
    assert f.domain == certs.HOST and report.exit_code() == 0 and report.exit_code("warning") == 1


def test_s_client_output_of_the_old_server_gives_the_same_tls_finding(nginx_server, pki, tmp_path):
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{nginx_server.ports['tls10']}",
                          "-servername", certs.HOST, "-showcerts", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                         input="", capture_output=True, text=True, timeout=30, check=True).stdout
    saved = tmp_path / "s_client.txt"
    saved.write_text(out)
    offline = run({"outlook_anywhere_host": certs.HOST, "certificate": str(saved), "ca_file": str(pki.ca_file)})
    report = run(live(nginx_server.ports["tls10"], pki.ca_file))
    assert _comparable(offline) == _comparable(report) and codes(offline) == {"PF518"}


RPC = [
    # site, PF520 finding?, PF521 status, words in the PF520 message
    ("rpc-basic", False, "passed", ()),
    ("rpc-ntlm", False, "failed", ()),
    ("rpc-negotiate", True, "skipped", ("401 without a Basic or NTLM challenge", "Negotiate")),
    ("rpc-404", True, "skipped", ("404 Not Found",)),
    ("rpc-500", True, "skipped", ("500 Internal Server Error",)),
    ("rpc-403", True, "skipped", ("403 Forbidden",)),
    ("rpc-200", True, "skipped", ("200 OK",)),
    ("rpc-redirect", True, "skipped", ("302", "https://mail.contoso.com/owa/")),
    ("rpc-closed", True, "skipped", ("closed the connection without answering RPC_IN_DATA",)),
]


@pytest.mark.parametrize(("site", "pf520", "pf521", "words"), RPC, ids=[r[0] for r in RPC])
def test_rpc_proxy_answers(nginx_server, pki, site, pf520, pf521, words):
    report = run(live(nginx_server.ports[site], pki.ca_file), select=["PF520", "PF521"])
    st = statuses(report)
    assert st["PF520"] == ("failed" if pf520 else "passed") and st["PF521"] == pf521
    if pf520:
        (f,) = [f for f in report.findings if f.code == "PF520"]
        assert f.message.startswith(f"RPC_IN_DATA https://{certs.HOST}:{nginx_server.ports[site]}/rpc/rpcproxy.dll?"
                                    f"{certs.HOST}:6001 answered")
        assert all(w in f.message for w in words), f.message
        assert f.fix and f.domain == certs.HOST
    if pf521 == "failed":
        (f,) = [f for f in report.findings if f.code == "PF521"]
        assert f.value == "NTLM" and "-Authentication NTLM" in f.fix and f.severity.value == "warning"
    assert report.exit_code() == (1 if pf520 else 0)


def test_refused_is_a_finding_and_the_rest_errored(refused_port, pki):
    report = run(live(refused_port, pki.ca_file))
    (f,) = report.findings
    assert f.code == "PF500" and "refused" in f.message and f.value == f"{certs.HOST}:{refused_port}"
    st = statuses(report)
    for code in [*CERT_CODES, "PF518", "PF520"]:
        assert st[code] == "errored", code
    assert "PF500" in {r.code: r for r in report.results}["PF520"].reason
    assert report.exit_code() == 1


def test_a_silent_listener_errors_within_the_timeout_and_passes_nothing(silent_port, pki):
    t0 = time.perf_counter()
    report = run(live(silent_port, pki.ca_file, timeout=1.0))
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0, elapsed
    st = statuses(report)
    assert report.findings == []
    assert not [c for c, s in st.items() if s == "passed"]
    for code in ["PF500", *CERT_CODES, "PF518", "PF520"]:
        assert st[code] == "errored", code
    reason = {r.code: r for r in report.results}["PF500"].reason
    assert "no TLS handshake" in reason and "within 1 s" in reason


AUTODISCOVER_DOMAINS = ["contoso.com", "fabrikam.com", "litware.com", "proseware.com"]


def _autodiscover_options(nginx_server, pki, silent_port, refused_port, *, timeout=3.0, host_port=None):
    p = nginx_server.ports
    connect_to = {
        "autodiscover.contoso.com": f"127.0.0.1:{p['autodiscover-401']}",      # 401: detected
        "contoso.com": f"127.0.0.1:{refused_port}",
        "autodiscover.fabrikam.com": f"127.0.0.1:{refused_port}",              # the domain itself answers 200
        "fabrikam.com": f"127.0.0.1:{p['autodiscover-200']}",
        "autodiscover.litware.com": f"127.0.0.1:{p['autodiscover-404']}",      # 404 and refused: by hand
        "litware.com": f"127.0.0.1:{refused_port}",
        "autodiscover.proseware.com": f"127.0.0.1:{p['autodiscover-wrong-name']}",  # certificate for other names
        "proseware.com": f"127.0.0.1:{refused_port}",
        "autodiscover.tailspintoys.com": f"127.0.0.1:{silent_port}",          # no answer: errored
        "tailspintoys.com": f"127.0.0.1:{refused_port}",
    }
    opts = live(host_port or p["valid"], pki.ca_file, timeout=timeout)
    opts["connect_to"].update(connect_to)
    return opts


def test_autodiscover_per_batch_domain(nginx_server, pki, silent_port, refused_port):
    opts = _autodiscover_options(nginx_server, pki, silent_port, refused_port, timeout=1.0)
    report = run(opts, *AUTODISCOVER_DOMAINS, "tailspintoys.com", select=["PF530"])
    found = {f.domain: f for f in report.findings}
    assert set(found) == {"litware.com", "proseware.com"}
    assert "404 Not Found" in found["litware.com"].message and "refused" in found["litware.com"].message
    assert "certificate is not valid for autodiscover.proseware.com" in found["proseware.com"].message
    assert all(f.severity.value == "warning" and "by hand" in f.fix for f in found.values())
    assert found["litware.com"].related[0]["path"] == "batch.csv"
    (res,) = report.results
    assert res.status.value == "errored" and "tailspintoys.com" in res.reason and "within 1 s" in res.reason
    assert "contoso.com" not in res.reason.replace("tailspintoys.com", "")


def test_autodiscover_of_good_domains_passes(nginx_server, pki, silent_port, refused_port):
    opts = _autodiscover_options(nginx_server, pki, silent_port, refused_port)
    report = run(opts, "contoso.com", "fabrikam.com", select=["PF530"])
    assert report.findings == [] and statuses(report) == {"PF530": "passed"}
    (src,) = [i for i in report.inputs if i["kind"] == "endpoint"]
    assert any("401" in a for a in src["autodiscover"]["contoso.com"])
    schema = json.loads((Path(ROOT) / "src/preflight/schema/report.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(report.to_dict())), schema)


def test_the_area_costs_about_one_timeout(nginx_server, pki, silent_port, refused_port):
    # the host and six domains' Autodiscover all silent: 13 probes of 1 s each, at once
    domains = ["a.com", "b.com", "c.com", "d.com", "e.com", "f.com"]
    opts = live(silent_port, pki.ca_file, timeout=1.0)
    opts["connect_to"].update({n: f"127.0.0.1:{silent_port}" for d in domains for n in (d, f"autodiscover.{d}")})
    t0 = time.perf_counter()
    report = run(opts, *domains)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.5, elapsed
    ran = [r for r in report.results if r.status.value != "skipped"]
    assert ran and all(r.status.value == "errored" for r in ran), ran
    assert {r.code: r.status.value for r in report.results}["PF530"] == "errored"


def test_cli_live_exit_codes(nginx_server, pki, tmp_path):
    def cli(site):
        port = nginx_server.ports[site]
        (tmp_path / "preflight.toml").write_text(
            f'[endpoint]\nconnect_to = {{ "{certs.HOST}" = "127.0.0.1:{port}" }}\nconnect_timeout = 3\n'
            "receive_timeout = 3\n")
        proc = subprocess.run([sys.executable, "-m", "preflight", "--outlook-anywhere-host", certs.HOST,
                               "--endpoint-port", str(port), "--endpoint-ca-file", str(pki.ca_file), "--select", "PF5"],
                              check=False, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "src"), "NO_COLOR": "1"})
        return proc.returncode, proc.stdout

    rc, out = cli("valid")
    assert rc == 0, out
    rc, out = cli("rpc-404")
    assert rc == 1 and "PF520" in out and "404 Not Found" in out and f"domain {certs.HOST}" in out
    rc, out = cli("expired")
    assert rc == 1 and "PF512" in out


def test_an_unreadable_ca_file_errors_what_needs_it_and_nothing_else(nginx_server, pki, tmp_path):
    opts = live(nginx_server.ports["valid"], tmp_path / "missing-ca.pem")
    opts["connect_to"]["autodiscover.contoso.com"] = f"127.0.0.1:{nginx_server.ports['autodiscover-401']}"
    opts["connect_to"]["contoso.com"] = f"127.0.0.1:{nginx_server.ports['autodiscover-401']}"
    report = run(opts, "contoso.com")
    st = statuses(report)
    assert st["PF500"] == st["PF518"] == st["PF520"] == "passed"
    for code in [*CERT_CODES, "PF530"]:
        assert st[code] == "errored", code
    reasons = {r.code: r.reason for r in report.results}
    assert "missing-ca.pem" in reasons["PF510"] and "missing-ca.pem" in reasons["PF530"]
