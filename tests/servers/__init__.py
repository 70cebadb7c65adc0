"""Real servers for the tests (Samba AD DC, BIND 9, OpenLDAP, nginx), each started by the tests
in a temporary folder on loopback."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen) -> None:
    """Stop a server the tests started: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
