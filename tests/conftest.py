"""Shared test helpers. Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
# tests/servers/ holds the real-server helpers (Samba AD DC, BIND 9, OpenLDAP).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402


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
