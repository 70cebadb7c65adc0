"""Shared test helpers. Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
# tests/servers/ holds the real-server helpers (Samba AD DC, BIND 9, OpenLDAP).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

#: Fixtures that start a real server or browser: a test that uses one (directly or through
#: another fixture) is marked ``servers`` (``pytest -m "not servers"`` leaves it out).
SERVER_FIXTURES = frozenset({"samba_dc", "bind_server", "slapd_server", "nginx_server", "browser"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(scope="session")
def samba_dc():
    """One real Samba AD DC for the whole run (its LDAP ports are fixed), loaded with
    the directory scenario (tests/ad/scenario.py) and, when present, the IdFix objects
    (``ENTRIES`` of tests/idfix/objects.py)."""
    from ad import scenario
    from servers.samba import start_samba_dc

    entries = list(scenario.ENTRIES)
    try:
        from idfix import objects as idfix_objects
    except ImportError:
        pass
    else:
        entries += idfix_objects.ENTRIES
    dc = start_samba_dc()
    try:
        dc.add_objects(entries)
        yield dc
    finally:
        dc.stop()


#: The environment variable the live-directory tests put the bind password in.
BIND_PASSWORD_ENV = "PREFLIGHT_TEST_BIND_PASSWORD"


@pytest.fixture
def live_directory(samba_dc, monkeypatch):
    """The ``[directory]`` options that read the Samba DC over LDAPS, certificate verified."""
    monkeypatch.setenv(BIND_PASSWORD_ENV, samba_dc.admin_password)
    return {"source": f"ldaps://{samba_dc.host}:{samba_dc.ldaps_port}", "bind_user": samba_dc.admin_upn,
            "password_env": BIND_PASSWORD_ENV, "ca_file": str(samba_dc.ca_file),
            "tls_server_name": samba_dc.tls_server_name}


@pytest.fixture(params=["ldap3", "python-ldap"])
def backend(request):
    """Each LDAP backend of LdapSource (python-ldap: when the fast-ldap extra is installed)."""
    if request.param == "python-ldap":
        pytest.importorskip("ldap")
    return request.param
