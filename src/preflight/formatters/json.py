"""JSON: ``Report.to_dict()``, following ``preflight/schema/report.schema.json``."""

from __future__ import annotations

import json

from ..model import Report

#: Above this many findings the JSON is written on one line: Python's indenting encoder is pure
#: Python and about ten times slower than the compact one (a 10^6-object IdFix scan: 2 s against 0.2 s).
PRETTY_MAX_FINDINGS = 10_000


def render(report: Report, **_: object) -> str:
    data = report.to_dict()
    indent = 2 if len(data["findings"]) <= PRETTY_MAX_FINDINGS else None
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
