"""SARIF 2.1.0 (OASIS): one run, one rule per check that ran, one result per finding.

File findings carry a physical location (``region.startLine`` is the physical
line); directory and DNS findings carry a logical location (the DN or domain).
Skipped and errored checks become tool execution notifications.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from .. import registry
from .._version import __version__
from ..model import Report, Severity, Status

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    """``artifactLocation.uri`` must be a URI reference (RFC 3986): an absolute
    path becomes a ``file:`` URI, a relative one is percent-encoded (spaces,
    non-ASCII) with ``/`` separators."""
    if re.match(r"^[A-Za-z]:[\\/]", path) or path.startswith("\\\\"):
        return PureWindowsPath(path).as_uri()
    if path.startswith("/"):
        return PurePosixPath(path).as_uri()
    return quote(path.replace("\\", "/"), safe="/")


def _rule(check: registry.Check) -> dict[str, Any]:
    return {
        "id": check.code,
        "name": check.name,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.doc.strip()},
        "help": {"text": check.explain(), "markdown": check.explain()},
        "defaultConfiguration": {"level": _LEVEL[check.severity]},
        "properties": {"area": check.area},
    }


def render(report: Report, **_: object) -> str:
    codes = sorted({r.code for r in report.results} | {f.code for f in report.findings})
    rules = [_rule(registry.get(c)) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for f in report.findings:
        text = f.message + (f" Fix: {f.fix}" if f.fix else "")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": text},
        }
        if f.path is not None:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.path)}}
            if f.line is not None:
                physical["region"] = {"startLine": f.line}
            result["locations"] = [{"physicalLocation": physical}]
        elif f.dn or f.domain:
            logical = {"name": f.dn or f.domain, "kind": "object" if f.dn else "namespace"}
            result["locations"] = [{"logicalLocations": [logical]}]
        props = {k: v for k, v in (("row", f.row), ("column", f.column), ("attribute", f.attribute),
                                   ("record", f.record), ("suggestedValue", f.suggested_value)) if v is not None}
        if props:
            result["properties"] = props
        results.append(result)
    notes = [
        {
            "level": "error" if r.status is Status.ERRORED else "note",
            "message": {"text": f"{r.code} {r.status.value}{f' for {r.subject}' if r.subject else ''}: {r.reason}"},
            "associatedRule": {"id": r.code, "index": index[r.code]},
        }
        for r in report.results
        if r.status in (Status.SKIPPED, Status.ERRORED)
    ]
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "preflight", "version": __version__, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": not any(r.status is Status.ERRORED for r in report.results),
                        "toolExecutionNotifications": notes,
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
