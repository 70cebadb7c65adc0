"""Fixtures of the tenant and DNS tests: the scenario zones, a BIND 9 server
serving them on 127.0.0.1 at a high port (session), and helpers that run the
PF3xx checks over a batch of given domains, live or from the zone files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from servers import bind

import preflight
from preflight.sources.batch_csv import parse_batch

ZONES_DIR = Path(__file__).resolve().parent / "zones"
ZONE_FILES = sorted(ZONES_DIR.glob("*.zone"))
#: Scenario zones: name -> zone file. wingtiptoys.com does not load (CNAME and other data).
ZONES = {p.name[: -len(".zone")]: p for p in ZONE_FILES}
BROKEN = ("wingtiptoys.com",)
#: Chains in the scenario zones, followed to A or AAAA: name -> (status, names on the way).
CHAINS = {
    "autodiscover.fourthcoffee.com": ("loop", ["autodiscover.fourthcoffee.com", "ad2.fourthcoffee.com",
                                               "autodiscover.fourthcoffee.com"]),
    "autodiscover.cohovineyard.com": ("loop", ["autodiscover.cohovineyard.com"] * 2),
    "autodiscover.margiestravel.com": ("ok", ["autodiscover.margiestravel.com", "ad.margiestravel.com",
                                              "web.margiestravel.com"]),
    "mx1.lucernepublishing.com": ("loop", ["mx1.lucernepublishing.com", "mx2.lucernepublishing.com",
                                           "mx1.lucernepublishing.com"]),
    "mx3.lucernepublishing.com": ("nxdomain", ["mx3.lucernepublishing.com"]),
    "owa.lucernepublishing.com": ("noanswer", ["owa.lucernepublishing.com"]),
    "autodiscover.adatum.com": ("ok", ["autodiscover.adatum.com", "autodiscover.outlook.com"]),
    "mail.contoso.com": ("ok", ["mail.contoso.com"]),
}


def batch(*domains: str, name: str = "batch.csv"):
    """A batch file with two mailboxes per domain (the checks run per distinct domain)."""
    rows = [f"{user}@{d},Pa55word!{user}" for d in domains for user in ("ann", "bob")]
    return parse_batch(("EmailAddress,Password\n" + "\n".join(rows) + "\n").encode(), name)


def run(domains: Iterable[str], dns: dict[str, Any] | None = None, *, tenant: dict[str, Any] | None = None,
        select: Iterable[str] = ("PF3",), directory: dict[str, Any] | None = None):
    config: dict[str, Any] = {"directory": directory} if directory else {}
    if dns is not None:
        config["dns"] = dns
    if tenant is not None:
        config["tenant"] = tenant
    return preflight.run_batches([batch(*domains)], config, select=list(select))


def zone_config(**extra: Any) -> dict[str, Any]:
    return {"zone_files": [str(p) for p in ZONE_FILES], **extra}


def result(report, code: str):
    (res,) = [r for r in report.results if r.code == code]
    return res


def findings(report, code: str):
    return [f for f in report.findings if f.code == code]


@pytest.fixture(scope="session")
def bind_server():
    """BIND 9 serving every scenario zone on 127.0.0.1 at a free high port;
    wingtiptoys.com fails to load (SERVFAIL)."""
    zones = {name: path.read_text() for name, path in ZONES.items() if name not in BROKEN}
    broken = {name: ZONES[name].read_text() for name in BROKEN}
    server = bind.start_bind(zones, port=bind.free_udp_port(), broken_zones=broken)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dead_port() -> int:
    """A UDP port on 127.0.0.1 where no server listens (queries time out)."""
    return bind.free_udp_port()


@pytest.fixture
def live_config(bind_server):
    """The ``[dns]`` table that queries the BIND server."""

    def make(**extra: Any) -> dict[str, Any]:
        return {"nameservers": [f"{bind_server.host}:{bind_server.port}"], "lifetime": 3.0, **extra}

    return make


class Helpers:
    """The module's helpers, for test modules (``conftest`` cannot be imported by name)."""

    ZONES_DIR = ZONES_DIR
    ZONE_FILES = ZONE_FILES
    ZONES = ZONES
    CHAINS = CHAINS
    batch = staticmethod(batch)
    run = staticmethod(run)
    zone_config = staticmethod(zone_config)
    result = staticmethod(result)
    findings = staticmethod(findings)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    return Helpers
