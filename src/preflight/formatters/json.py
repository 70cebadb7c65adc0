"""JSON: ``Report.to_dict()``, following ``preflight/schema/report.schema.json``."""

from __future__ import annotations

import json

from ..model import Report
from .locations import SURROGATE_RE

#: Above this many findings the JSON is written on one line: Python's indenting encoder is pure
#: Python and about ten times slower than the compact one (a 10^6-object IdFix scan: 2 s against 0.2 s).
PRETTY_MAX_FINDINGS = 10_000


def render(report: Report, **_: object) -> str:
    data = report.to_dict()
    indent = 2 if len(data["findings"]) <= PRETTY_MAX_FINDINGS else None
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    # a lone surrogate (an undecodable byte of a file name) as a JSON escape: UTF-8 cannot encode it
    return SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
