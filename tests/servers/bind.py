"""A BIND 9 server (Debian package `bind9`) for the tests: serves zone texts on
127.0.0.1 at a high port; ``start_bind(zones, port, broken_zones)`` returns a server with
``host``, ``port`` and ``stop()``. Zones in ``broken_zones`` fail to load (SERVFAIL)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import dns.exception
import dns.message
import dns.query

from servers import stop_process


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing listens on at the moment of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return udp.getsockname()[1]


def start_bind(zones: dict[str, str], port: int, broken_zones: dict[str, str] | None = None) -> SimpleNamespace:
    """Start ``named -g`` serving ``zones`` (name -> zone text) and wait until it answers (20 s at most).

    Raises RuntimeError with the tail of named's log when it exits or does not answer."""
    named = shutil.which("named") or "/usr/sbin/named"
    work = Path(tempfile.mkdtemp(prefix="preflight-bind-"))
    conf = [f'options {{ directory "{work}"; listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};',
            f'  recursion no; dnssec-validation no; notify no; pid-file "{work}/named.pid";',
            f'  session-keyfile "{work}/session.key"; managed-keys-directory "{work}"; }};', "controls { };"]
    for name, text in {**zones, **(broken_zones or {})}.items():
        (work / f"{name}.zone").write_text(text)
        conf.append(f'zone "{name}" {{ type primary; file "{work}/{name}.zone"; }};')
    (work / "named.conf").write_text("\n".join(conf) + "\n")
    log = open(work / "named.log", "wb")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen([named, "-g", "-c", str(work / "named.conf"), "-u", "root"], stdout=log,
                            stderr=subprocess.STDOUT)
    probe = dns.message.make_query(next(iter(zones)) + ".", "SOA")
    deadline = time.monotonic() + 20
    while True:
        try:
            dns.query.udp(probe, "127.0.0.1", port=port, timeout=0.2)
            break
        except (OSError, dns.exception.DNSException):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((work / "named.log").read_text()[-2000:]) from None

    def stop() -> None:
        stop_process(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    return SimpleNamespace(host="127.0.0.1", port=port, stop=stop)
