"""nginx (Debian package ``nginx-light``) as a test HTTPS endpoint: one process,
foreground, everything under a temp dir, one ``server`` block per site on a free
high port of 127.0.0.1. ``start_nginx(sites)`` returns a server with ``ports``
(site name -> port) and ``stop()``."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from servers import stop_process


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of the call."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(sites: dict[str, str]) -> SimpleNamespace:
    """Start nginx with one ``server`` per site: ``sites`` maps a name to the
    block's body (``ssl_certificate``, ``location``s...); the ``listen`` line is
    added. Waits until every port accepts (20 s at most).

    Raises RuntimeError with the tail of the error log when nginx exits or does not listen."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    work = Path(tempfile.mkdtemp(prefix="preflight-nginx-"))
    ports = {name: free_tcp_port() for name in sites}
    temps = "\n".join(f"    {t}_temp_path {work}/{t};" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    servers = "\n".join(f"  server {{\n    listen 127.0.0.1:{ports[name]} ssl;\n{body}\n  }}" for name, body in sites.items())
    (work / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n  access_log {work}/access.log;\n{temps}\n  default_type text/plain;\n{servers}\n}}\n")
    proc = subprocess.Popen([nginx, "-c", str(work / "nginx.conf"), "-p", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    pending = set(ports.values())
    while pending:
        for port in sorted(pending):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                pending.discard(port)
            except OSError:
                pass
        if pending and (proc.poll() is not None or time.monotonic() > deadline):
            proc.kill()
            proc.wait()
            log = (work / "error.log").read_text() if (work / "error.log").exists() else ""
            shutil.rmtree(work, ignore_errors=True)
            raise RuntimeError(f"nginx did not start: {log[-2000:]}")
        time.sleep(0.05)

    def stop() -> None:
        stop_process(proc)
        shutil.rmtree(work, ignore_errors=True)

    return SimpleNamespace(host="127.0.0.1", ports=ports, work=work, stop=stop)
