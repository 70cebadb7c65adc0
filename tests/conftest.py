"""Shared test helpers. Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
# tests/servers/ holds the real-server helpers (Samba AD DC, BIND 9, OpenLDAP).
sys.path.insert(0, str(Path(__file__).resolve().parent))
