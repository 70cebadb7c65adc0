"""SARIF 2.1.0 (OASIS) for GitHub code scanning and other SARIF viewers.

One run, one rule per check that ran, one result per finding, and one result
per cause of errored checks. What code scanning needs, and how it is met:

- **Every result has a physical location** (code scanning refuses a result
  without an artifact location, and one such result sinks the upload): the
  rule of :mod:`preflight.formatters.locations` (its own row; else the batch
  row that led to it; else the batch file, the source file, the configuration
  or the workflow file). The location's ``message`` says which rule placed it
  when it is not the finding's own row. A file-level finding is on line 1.
- **URIs are relative to the repository root** (``root``: ``--sarif-root``,
  else the git top level of the current folder, else the current folder) with
  ``uriBaseId`` ``%SRCROOT%``; files outside the root keep an absolute
  ``file:`` URI.
- **Line numbers follow SARIF's line breaks** (CR LF and LF, SARIF 2.1.0
  section 3.30.2, ``run.newlineSequences`` default): preflight counts a lone CR
  as a line break (as Excel for Mac and Python's csv module do), so the lines
  of a file with lone CRs (listed in its input's ``lone_cr_lines``) are
  renumbered.
- ``partialFingerprints`` (``preflightFinding/v1``) hash the rule, file and the
  finding's subject (domain, DN, attribute, column, value; the row only when
  nothing else names it), not the message or row, so an alert is tracked
  across runs while rows move.
- ``automationDetails.id`` is ``preflight/<areas>/`` (the areas whose checks
  ran: ``batch``, ``directory``, ``dns``, ``idfix``), one category per kind of
  run.
- Errored checks are ``toolExecutionNotifications`` (one per check and
  subject), set ``executionSuccessful`` to false, **and** give one error
  result per cause, so a viewer shows them. Skipped checks are notifications
  of level ``note``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from .. import registry
from .._version import __version__
from ..model import Finding, Report, Severity, Status
from .locations import (SRCROOT, SURROGATE_RE, Locator, errored_groups, fallback_locations, locate, repository_root,
                        rows_by_subject)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The project's home page; rule pages are ``<HOMEPAGE>/rules/<code>`` (the text ``--explain`` prints).
HOMEPAGE = "https://example.invalid/your-mirror-of/preflight"
FINGERPRINT = "preflightFinding/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(check: registry.Check) -> dict[str, Any]:
    page = check.explain()
    return {
        "id": check.code,
        "name": check.name,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.doc.strip()},
        "helpUri": f"{HOMEPAGE}/rules/{check.code}",
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": _LEVEL[check.severity]},
        "properties": {"area": check.area, "tags": [check.area]},
    }


def _fingerprint(uri: str, f: Finding, seen: dict[str, int]) -> str:
    subject = [f.domain, f.dn, f.attribute, f.column, f.record, f.value]
    if not any(subject):
        subject.append(str(f.row or f.line or ""))
    key = "\x1f".join([f.code, uri, *(s or "" for s in subject)])
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    seen[digest] += 1
    return f"{digest}:{seen[digest]}"


def render(report: Report, *, root: str | os.PathLike[str] | None = None,
           config_file: str | os.PathLike[str] | None = None, **_: object) -> str:
    """The report as a SARIF 2.1.0 log (JSON text).

    Args:
        root: the repository root the URIs are relative to (default: the git
            top level of the current folder, else the current folder).
        config_file: the configuration file of the run, a location of last
            resort (see the module docstring).
    """
    cwd = Path(os.getcwd())
    base = Path(os.path.abspath(root)) if root else repository_root(cwd)
    loc = Locator(report, base, cwd)
    fallback = fallback_locations(config_file)
    index = rows_by_subject(report)

    codes = sorted({r.code for r in report.results} | {f.code for f in report.findings})
    rules = [_rule(registry.get(c)) for c in codes]
    rule_index = {c: i for i, c in enumerate(codes)}
    seen: dict[str, int] = defaultdict(int)

    def location(path: str, line: int | None, why: str | None) -> dict[str, Any]:
        artifact = loc.artifact(path)
        physical = {"artifactLocation": artifact, "region": {"startLine": loc.line(path, line) if line else 1}}
        out: dict[str, Any] = {"physicalLocation": physical}
        if why:
            out["message"] = {"text": f"Located at {why}."}
        return out

    results = []
    for f in report.findings:
        path, _row, line, why = locate(f, report, fallback=fallback, index=index)
        where = location(path, line, why)
        named = f.dn or f.domain
        text = f.message + (f" ({named})" if why and named and named not in f.message else "")
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": rule_index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": text + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [where],
            "partialFingerprints": {FINGERPRINT: _fingerprint(where["physicalLocation"]["artifactLocation"]["uri"], f, seen)},
        }
        if f.dn or f.domain:
            result["locations"][0]["logicalLocations"] = [
                {"name": f.dn or f.domain, "kind": "object" if f.dn else "namespace"}]
        related = [location(r["path"], r.get("line"), None) for r in f.related if r.get("path")]
        if related:
            result["relatedLocations"] = [dict(r, id=i) for i, r in enumerate(related, 1)]
        props = {k: v for k, v in (("row", f.row), ("column", f.column), ("attribute", f.attribute),
                                   ("record", f.record), ("suggestedValue", f.suggested_value)) if v is not None}
        if props:
            result["properties"] = props
        results.append(result)

    for reason, group in errored_groups(report.results):
        first = group[0]
        subjects = {r.subject for r in group}
        if len(subjects) == 1 and first.subject:
            path, why = first.subject, None
        else:
            path, _row, _line, why = locate(Finding(first.code, first.name, Severity.ERROR, reason), report, fallback=fallback)
        where = location(path, None, why)
        checks = ", ".join(dict.fromkeys(r.code for r in group))
        digest = hashlib.sha256(f"errored\x1f{checks}\x1f{where['physicalLocation']['artifactLocation']['uri']}".encode())
        results.append({
            "ruleId": first.code,
            "ruleIndex": rule_index[first.code],
            "level": "error",
            "message": {"text": f"{len(group)} check(s) errored and did not run ({checks}): {reason}"},
            "locations": [where],
            "partialFingerprints": {FINGERPRINT: f"{digest.hexdigest()[:32]}:1"},
            "properties": {"status": "errored", "checks": [r.code for r in group]},
        })

    notes = [
        {
            "level": "error" if r.status is Status.ERRORED else "note",
            "message": {"text": f"{r.code} {r.status.value}{f' for {r.subject}' if r.subject else ''}: {r.reason}"},
            "associatedRule": {"id": r.code, "index": rule_index[r.code]},
        }
        for r in report.results
        if r.status in (Status.SKIPPED, Status.ERRORED)
    ]
    areas = {registry.get(r.code).area for r in report.results if r.status is not Status.SKIPPED}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "preflight",
            "fullName": f"preflight {__version__}: Exchange staged migration pre-flight checks",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": HOMEPAGE,
            "rules": rules,
        }},
        "automationDetails": {"id": f"preflight/{'+'.join(sorted(areas)) or 'none'}/"},
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
        "invocations": [
            {
                "executionSuccessful": not any(r.status is Status.ERRORED for r in report.results),
                "toolExecutionNotifications": notes,
            }
        ],
        "results": results,
    }
    if report.started:
        run["invocations"][0]["startTimeUtc"] = report.started.replace("+00:00", "Z")
    sarif = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    text = json.dumps(sarif, indent=2, ensure_ascii=False)
    # a lone surrogate (an undecodable byte of a file name) cannot be encoded: write it as visible text
    return SURROGATE_RE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text) + "\n"
