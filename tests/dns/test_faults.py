"""DNS faults on the real BIND 9 server (issue 16): a failed source errors the checks
with its reason and exit 1 — never passed, never a hang past the configured timeout;
a record that is wrong (NXDOMAIN, no MX, a CNAME loop) is a finding, not an error.
Each fault is checked through the Python API and through the CLI (a subprocess)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from preflight.api import check_batch

LIFETIME = 1.0
#: The PF3xx checks that read the domain's records at stage migrating.
DOMAIN_CHECKS = ("PF302", "PF310", "PF311", "PF320", "PF321", "PF322", "PF330", "PF331")


@pytest.fixture
def silent_server():
    """A UDP socket on 127.0.0.1 that receives queries and never answers them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def _batch(tmp_path, *domains):
    path = tmp_path / "wave1.csv"
    path.write_text("EmailAddress,Password\n" + "".join(f"ann@{d},Pa55word!x\n" for d in domains))
    return path


def _cli(batch, server: str, stage: str = "migrating") -> tuple[subprocess.CompletedProcess[str], dict, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "preflight", str(batch), "--dns-server", server, "--stage", stage,
                           "--dns-timeout", str(LIFETIME), "--select", "PF3", "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    return proc, json.loads(proc.stdout), time.perf_counter() - t0


def _statuses(report: dict) -> dict[str, dict]:
    return {c["code"]: c for c in report["checks"]}


@pytest.mark.parametrize(
    ("domain", "needle"),
    [("wingtiptoys.com", "SERVFAIL from 127.0.0.1:"),  # its zone file does not load
     ("tailspintoys.com", "REFUSED from 127.0.0.1:")],  # a zone the server does not serve
)
def test_servfail_and_refused_error_every_domain_check_with_the_reason(h, tmp_path, bind_server, domain, needle):
    server = f"{bind_server.host}:{bind_server.port}"
    report = check_batch([_batch(tmp_path, domain)], {"dns": {"nameservers": [server], "lifetime": LIFETIME,
                                                              "stage": "migrating"}}, select=["PF3"])
    for code in DOMAIN_CHECKS:
        res = h.result(report, code)
        assert res.status.value == "errored", (code, res)
        assert needle in res.reason and domain in res.reason
    assert report.findings == []
    proc, data, _ = _cli(_batch(tmp_path, domain), server)
    assert proc.returncode == 1, proc.stderr
    checks = _statuses(data)
    assert all(checks[c]["status"] == "errored" and needle in checks[c]["reason"] for c in DOMAIN_CHECKS)
    assert "errored" in proc.stderr


@pytest.mark.servers  # a silent socket, and waits for the timeout
def test_a_server_that_never_answers_errors_within_the_timeout(h, tmp_path, silent_server):
    domains = ("contoso.com", "fabrikam.com", "litware.com")
    check_batch([_batch(tmp_path, *domains)], {"dns": h.zone_config()})  # imports pandas and dnspython first
    t0 = time.perf_counter()
    report = check_batch([_batch(tmp_path, *domains)], {"dns": {"nameservers": [silent_server],
                                                                "lifetime": LIFETIME, "stage": "migrating"}},
                         select=["PF3"])
    elapsed = time.perf_counter() - t0
    for code in DOMAIN_CHECKS:
        res = h.result(report, code)
        assert res.status.value == "errored" and f"no answer within {LIFETIME:g} s from {silent_server}" in res.reason
    # one round of concurrent look-ups, each bounded by the lifetime; nothing is asked again
    assert elapsed < 2 * LIFETIME, elapsed  # a second round of waits would take twice the lifetime
    proc, data, elapsed = _cli(_batch(tmp_path, *domains), silent_server)
    assert proc.returncode == 1
    assert all(_statuses(data)[c]["status"] == "errored" for c in DOMAIN_CHECKS)
    assert data["duration_seconds"] < LIFETIME + 5  # with reading the batch and importing pandas and dnspython
    assert elapsed < LIFETIME + 20  # and the interpreter's start


@pytest.mark.parametrize(
    ("domain", "code", "needle"),
    [("nope.contoso.com", "PF310", "the name does not exist (NXDOMAIN)"),
     ("margiestravel.com", "PF310", "has no MX record routing mail: no MX record"),
     ("fourthcoffee.com", "PF311", "CNAME loop (autodiscover.fourthcoffee.com -> ad2.fourthcoffee.com")],
)
def test_wrong_records_are_findings_not_errors(h, tmp_path, bind_server, domain, code, needle):
    server = f"{bind_server.host}:{bind_server.port}"
    report = check_batch([_batch(tmp_path, domain)], {"dns": {"nameservers": [server], "lifetime": LIFETIME,
                                                              "stage": "migrating"}}, select=["PF3"])
    res = h.result(report, code)
    assert res.status.value == "failed"
    assert any(needle in f.message for f in h.findings(report, code))
    assert not [r for r in report.results if r.status.value == "errored"]
    proc, data, _ = _cli(_batch(tmp_path, domain), server)
    assert proc.returncode == 1
    assert _statuses(data)[code]["status"] == "failed"
    assert any(needle in f["message"] for f in data["findings"] if f["code"] == code)
