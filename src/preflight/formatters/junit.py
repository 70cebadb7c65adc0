"""JUnit XML (Jenkins' ``junit-10.xsd`` dialect, read by CI test viewers): one
test suite per area, one test case per check and subject.

A test case fails (``<failure>``) only for findings at or above ``fail_on``
(the run's ``--fail-on``, default ``error``); its findings below that are
listed in ``<system-out>``, so a run that exits 0 shows no red test. Each
finding is one line naming its file and row (for a finding without a row of
its own, the location chosen by :func:`preflight.formatters.locations.locate`,
and the object or domain; line breaks in values as ``\\n``). An errored check is an ``<error>`` with the
reason, a skipped one ``<skipped>`` with the reason.

The XML is always well-formed: characters XML 1.0 forbids (C0 controls other
than tab, LF and CR; lone surrogates from undecodable file names; U+FFFE and
U+FFFF) are written as visible escapes (``\\x01``, ``\\udcff``).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .. import registry
from ..model import CheckResult, Finding, Report, Severity, Status
from .locations import fallback_locations, locate, rows_by_subject

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """``text`` with every character XML 1.0 forbids replaced by a visible escape."""
    def esc(m: re.Match[str]) -> str:
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    return _NOT_XML.sub(esc, str(text))


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _assign(report: Report) -> dict[int, list[Finding]]:
    """Each finding under one result: the result of its check for its file, else
    its check's run-level result, else its check's first result."""
    by_key: dict[tuple[str, str | None], int] = {}
    for i, r in enumerate(report.results):
        by_key.setdefault((r.code, r.subject), i)
        by_key.setdefault((r.code, "*"), i)
    out: dict[int, list[Finding]] = {}
    for f in report.findings:
        at = by_key.get((f.code, f.path), by_key.get((f.code, None), by_key.get((f.code, "*"))))
        if at is not None:
            out.setdefault(at, []).append(f)
    return out


def render(report: Report, *, fail_on: Severity | str = Severity.ERROR,
           config_file: str | os.PathLike[str] | None = None, **_: object) -> str:
    threshold = Severity(fail_on)
    areas = {c.code: c.area for c in registry.all_checks()}
    fallback, index = fallback_locations(config_file), rows_by_subject(report)

    def line_of(f: Finding) -> str:
        path, row, line, why = locate(f, report, fallback=fallback, index=index)
        where = [path]
        if row is not None:
            where.append(f"row {row}")
        if line is not None and line != row:
            where.append(f"line {line}")
        if f.column or f.attribute:
            where.append(f"[{f.column or f.attribute}]")
        if f.path is None and (f.dn or f.domain):
            where.append(f"({f.dn or f.domain})")
        placed = f" (located at {why})" if why else ""
        fix = f" Fix: {f.fix}" if f.fix else ""
        text = f"{' '.join(where)}: {f.code} {f.severity.value}: {f.message}{fix}{placed}"
        return text.replace("\r", "\\r").replace("\n", "\\n")  # one line per finding

    findings = _assign(report)
    root = ET.Element("testsuites", name="preflight", time=f"{report.duration:.3f}")
    suites: dict[str, ET.Element] = {}
    for i, r in enumerate(report.results):
        area = areas.get(r.code, "misc")
        suite = suites.get(area)
        if suite is None:
            suite = suites[area] = _el(root, "testsuite", name=f"preflight.{area}")
            if report.started:
                suite.set("timestamp", report.started)
        case = _el(suite, "testcase", classname=r.subject or "run", name=f"{r.code} {r.name}")
        _outcome(case, r, findings.get(i, []), threshold, line_of)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites.values():
        cases = list(suite)
        counts: dict[str, int] = {"tests": len(cases)}
        for kind, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            counts[attr] = sum(1 for c in cases if c.find(kind) is not None)
        for attr, n in counts.items():
            suite.set(attr, str(n))
            if attr in totals:
                totals[attr] += n
    for attr, n in totals.items():
        root.set(attr, str(n))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _outcome(case: ET.Element, r: CheckResult, found: list[Finding], threshold: Severity,
             line_of: Callable[[Finding], str]) -> None:
    if r.status is Status.SKIPPED:
        _el(case, "skipped", message=r.reason or "")
    elif r.status is Status.ERRORED:
        _el(case, "error", r.reason or "", message=r.reason or "", type="errored")
    failing = [f for f in found if f.severity.rank >= threshold.rank]
    below = [f for f in found if f.severity.rank < threshold.rank]
    if failing:
        worst = max((f.severity for f in failing), key=lambda s: s.rank)
        _el(case, "failure", "\n".join(map(line_of, failing)),
            message=f"{len(failing)} finding(s) at or above {threshold.value}", type=worst.value)
    if below:
        _el(case, "system-out", "\n".join(map(line_of, below)))

