"""Issue 16's LDAP faults on the real servers, beside those tests/ad/test_ldap_source.py and
tests/ad/test_paging.py already cover (wrong password, untrusted CA, host name mismatch, nothing listening,
a page size or total the server refuses): each ends *errored* with its reason — never passed, never a hang
past the configured timeout — through the Python API, and with exit 1 through the command line.
Also LDAP-injection values in EmailAddress find nothing they should not.

Tests taking ``backend`` run once per backend (ldap3, python-ldap when installed).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import ldap3
import pytest
from conftest import BIND_PASSWORD_ENV

import preflight
from ad import scenario
from preflight.registry import SourceError
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory.ldap import LdapSource
from servers import slapd


def batch(*addresses: str):
    return parse_batch(("EmailAddress\n" + "".join(a + "\n" for a in addresses)).encode(), "wave.csv")


@pytest.fixture
def live(live_directory, backend):
    """The Samba DC's options for ``backend`` (python-ldap cannot verify DC1.contoso.com at 127.0.0.1, so there
    it runs with verification off, as in test_ldap_source.py)."""
    config = {**live_directory, "base_dn": scenario.BASE_DN, "backend": backend}
    if backend == "python-ldap":
        del config["tls_server_name"], config["ca_file"]
        config["insecure_no_tls_verify"] = True
    return config


def errored(config: dict, *secrets: str) -> list[str]:
    """Run the directory checks on one row; assert every one is errored, none passed; return the reasons."""
    report = preflight.run_batches([batch("ann.lee@contoso.com")], {"directory": config}, select=["PF2"])
    assert report.results and {r.status.value for r in report.results} == {"errored"}
    assert report.findings == []
    reasons = [r.reason or "" for r in report.results]
    for secret in secrets:
        assert not any(secret in r for r in reasons)
    return reasons


def cli(tmp_path, config: dict, env: dict | None = None) -> tuple[int, dict, str]:
    (tmp_path / "wave.csv").write_text("EmailAddress\nann.lee@contoso.com\n")
    args = [sys.executable, "-m", "preflight", str(tmp_path / "wave.csv"), "--select", "PF2", "--format", "json",
            "--directory", config["source"], "--bind-user", config["bind_user"], "--password-env",
            config["password_env"], "--receive-timeout", "2", "--connect-timeout", "2"]
    if config.get("ca_file"):
        args += ["--ca-file", config["ca_file"]]
    if config.get("tls_server_name"):
        args += ["--tls-server-name", config["tls_server_name"]]
    proc = subprocess.run(args, check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_unknown_bind_user(live):
    (reason, *_) = errored({**live, "bind_user": "nobody.here@contoso.com"})
    assert "bind as nobody.here@contoso.com failed" in reason and "invalidCredentials" in reason


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_anonymous_bind_is_never_tried(live, samba_dc, monkeypatch):
    """The DC refuses anonymous searches; a configuration without a password ends errored before any bind
    (preflight never falls back to an anonymous bind, whose empty answers would look like "no object")."""
    conn = ldap3.Connection(ldap3.Server("127.0.0.1", port=samba_dc.ldap_port, get_info=ldap3.NONE), auto_bind=True)
    try:  # precondition: this server refuses an anonymous search
        assert not conn.search(scenario.BASE_DN, "(mail=ann.lee@contoso.com)", attributes=["mail"])
        assert conn.result["description"] == "operationsError"
    finally:
        conn.unbind()
    monkeypatch.setenv(BIND_PASSWORD_ENV, "")
    (reason, *_) = errored(live)
    assert f"environment variable {BIND_PASSWORD_ENV}" in reason and "is not set or empty" in reason


@pytest.fixture
def frozen(samba_dc):
    """Stops the Samba process (SIGSTOP) when called; lets it go on (SIGCONT) in teardown, whatever happened."""
    pid = samba_dc._process.pid
    stopped = []

    def freeze() -> None:
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)

    yield freeze
    if stopped:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_server_frozen_mid_search(live, frozen):
    src = LdapSource.from_config({**live, "receive_timeout": 2})
    assert len(src.lookup(["sales@contoso.com"])) == 1  # connected, bound, answering
    frozen()
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        src.lookup(["ann.lee@contoso.com"])
    elapsed = time.monotonic() - started
    reason = str(info.value)
    assert "searching DC=contoso,DC=com" in reason and "no answer within 2 s (timed out)" in reason
    assert elapsed < 2 + 3  # the configured timeout, not a hang


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_server_frozen_before_connecting(live, frozen):
    """Frozen before the first byte: the TCP connection is accepted by the kernel, nothing answers."""
    frozen()
    started = time.monotonic()
    reasons = errored({**live, "receive_timeout": 1, "connect_timeout": 1})
    assert "timed out" in reasons[0]
    assert time.monotonic() - started < 10


@pytest.fixture(scope="module")
def plain_slapd():
    """OpenLDAP on plain ldap:// with no TLS configured: it refuses StartTLS."""
    with slapd.start_slapd(slapd.mailbox_entries(3), tls=False) as server:
        yield server


def test_starttls_refused(plain_slapd, backend, monkeypatch):
    monkeypatch.setenv("SLAPD_PW", plain_slapd.reader_password)
    config = plain_slapd.config("SLAPD_PW", backend=backend)
    del config["ca_file"]
    assert config["source"].startswith("ldap://")
    reasons = errored(config, plain_slapd.reader_password)
    assert "StartTLS failed, refusing to continue without TLS" in reasons[0]
    assert "protocol" in reasons[0].lower()  # the server's answer: no such extended operation


@pytest.fixture(scope="module")
def strict_slapd():
    with slapd.start_slapd(slapd.mailbox_entries(300)) as server:
        yield server


def test_size_limit_below_a_page(strict_slapd, backend, monkeypatch):
    """An account whose page size limit (100) is below the page asked for (1,000): errored, not cut."""
    monkeypatch.setenv("SLAPD_PW", strict_slapd.reader_password)
    config = strict_slapd.config("SLAPD_PW", backend=backend, bind_user=slapd.STRICT_DN)
    addresses = [slapd.mailbox_address(i) for i in range(300)]
    report = preflight.run_batches([batch(*addresses)], {"directory": config}, select=["PF2"])
    assert {r.status.value for r in report.results} == {"errored"} and report.findings == []
    assert all("adminLimitExceeded" in (r.reason or "") for r in report.results)


# -- through the command line -----------------------------------------------------------------------------------


def test_cli_wrong_password(tmp_path, live_directory, samba_dc):
    code, report, stderr = cli(tmp_path, live_directory, {BIND_PASSWORD_ENV: "Wrong-Passw0rd-xyz!"})
    assert code == 1 and report["findings"] == []
    assert {c["status"] for c in report["checks"]} == {"errored"}
    assert all("invalidCredentials" in c["reason"] for c in report["checks"])
    assert "Wrong-Passw0rd-xyz!" not in json.dumps(report) + stderr
    assert samba_dc.admin_password not in json.dumps(report) + stderr


def test_cli_nothing_listening(tmp_path, live_directory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, report, _ = cli(tmp_path, {**live_directory, "source": f"ldaps://127.0.0.1:{port}"})
    assert code == 1 and {c["status"] for c in report["checks"]} == {"errored"}
    assert all("connection refused" in c["reason"] for c in report["checks"])


def test_cli_starttls_refused(tmp_path, plain_slapd):
    config = plain_slapd.config("SLAPD_PW")
    del config["ca_file"]
    code, report, _ = cli(tmp_path, config, {"SLAPD_PW": plain_slapd.reader_password})
    assert code == 1 and {c["status"] for c in report["checks"]} == {"errored"}
    assert all("StartTLS failed" in c["reason"] for c in report["checks"])


def test_cli_server_frozen(tmp_path, live_directory, frozen):
    frozen()
    started = time.monotonic()
    code, report, _ = cli(tmp_path, live_directory)
    assert code == 1 and {c["status"] for c in report["checks"]} == {"errored"}
    assert all("timed out" in c["reason"] for c in report["checks"])
    assert time.monotonic() - started < 30


# -- LDAP injection in EmailAddress -----------------------------------------------------------------------------

INJECTIONS = ["*)(objectClass=*", "a*@contoso.com", "ann.lee@contoso.com\x00", "\x00", "*", "ann.lee@contoso.co*",
              "*@contoso.com", "ann.lee@contoso.com)(mail=*"]


@pytest.mark.filterwarnings("ignore:INSECURE")
@pytest.mark.parametrize("value", INJECTIONS, ids=repr)
def test_injection_values_find_nothing(live, value):
    with LdapSource.from_config(live) as src:
        found = src.lookup([value])
        assert len(found) == 0


def test_injection_rows_resolve_to_nothing(live_directory):
    """Through the batch: the valid-looking ones are looked up (and find nothing: PF200), the rest fail PF131."""
    rows = ["a*@contoso.com", "*)(objectClass=*", "ann.lee@contoso.co*", "*@contoso.com"]
    report = preflight.run_batches([batch(*rows)], {"directory": {**live_directory, "base_dn": scenario.BASE_DN}},
                                   select=["PF131", "PF200", "PF201"])
    by_row = {}
    for f in report.findings:
        by_row.setdefault(f.row, set()).add(f.code)
    assert by_row[2] == {"PF200"}  # a*@contoso.com: valid syntax, no such object (not every "a…" mailbox)
    assert all("PF200" not in codes or codes == {"PF200"} for codes in by_row.values())
    assert not any(f.dn for f in report.findings)  # no object was matched to any row
