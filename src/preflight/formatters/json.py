"""JSON: ``Report.to_dict()``, following ``preflight/schema/report.schema.json``."""

from __future__ import annotations

import json

from ..model import Report


def render(report: Report, **_: object) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
