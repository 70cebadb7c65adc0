"""GitHub Actions workflow commands (``::error file=…,line=…::message``), which
annotate the file and line in a pull request, and a Markdown job summary.

GitHub shows only the first 10 error, 10 warning and 10 notice annotations of a
step, so the order puts the most useful first: one ``::error`` per cause of
errored checks (the checks that share a reason in one line, each named), then
the first finding of each check code, then the rest. A finding without a file
row is placed by the rule of :func:`preflight.formatters.locations.locate` (the
batch row that led to it, else the batch file or source file), and the object
or domain is named in the message.

:func:`summary` is the Markdown the CLI appends to ``$GITHUB_STEP_SUMMARY``:
the verdict, counts per file and per check, and why checks errored or were
skipped. Every value from a file, the directory or DNS is escaped there, so it
is shown as text, never read as Markdown or HTML.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from ..model import Report, Severity, Status
from .locations import Locator, errored_groups, fallback_locations, locate, no_surrogates, rows_by_subject

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, *, config_file: str | os.PathLike[str] | None = None, **_: object) -> str:
    cwd = os.getcwd()
    lines = []
    for reason, group in errored_groups(report.results):
        checks = ", ".join(dict.fromkeys(r.code for r in group))
        subjects = sorted({r.subject for r in group if r.subject})
        props = [f"file={_prop(subjects[0])}"] if len(subjects) == 1 else []
        props.append(f"title={_prop(f'{len(group)} check(s) errored')}")
        lines.append(f"::error {','.join(props)}::{_data(f'{checks} errored (did not run): {reason}')}")

    lines_of = Locator(report, Path(cwd), Path(cwd))
    fallback, index = fallback_locations(config_file), rows_by_subject(report)
    first: list[str] = []
    rest: list[str] = []
    seen: set[str] = set()
    for f in report.findings:
        path, _row, line, why = locate(f, report, fallback=fallback, index=index)
        props = [f"file={_prop(path)}"]
        if line is not None:
            props.append(f"line={lines_of.line(path, line)}")
        props.append(f"title={_prop(f'{f.code} {f.name}')}")
        subject = f.dn or f.domain
        where = f" ({subject})" if why and subject and subject not in f.message else ""
        message = f.message + where + (f" Fix: {f.fix}" if f.fix else "")
        (rest if f.code in seen else first).append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(message)}")
        seen.add(f.code)
    return no_surrogates("".join(line + "\n" for line in (*lines, *first, *rest)))


# --------------------------------------------------------------------------- job summary

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: object) -> str:
    """``text`` as literal Markdown text: one line, Markdown punctuation
    backslash-escaped and ``<``/``&`` as HTML entities (GitHub renders them as text)."""
    flat = re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]+", " ", no_surrogates(str(text)))
    return _MD_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;").replace("<", "&lt;"))


def verdict(report: Report, fail_on: Severity | str = Severity.ERROR) -> str:
    """``"errored"`` (a check could not run), ``"failed"`` (a finding at or above ``fail_on``) or ``"passed"``."""
    if any(r.status is Status.ERRORED for r in report.results):
        return "errored"
    return "failed" if report.has_findings(fail_on) else "passed"


def summary(report: Report, *, fail_on: Severity | str = Severity.ERROR) -> str:
    """A Markdown job summary: verdict, counts per file and per check, errored
    and skipped reasons (for ``$GITHUB_STEP_SUMMARY``)."""
    counts = report.counts()
    fc, cc = counts["findings"], counts["checks"]
    word = {"passed": "✅ passed", "failed": "❌ failed", "errored": "⚠️ errored"}[verdict(report, fail_on)]
    out = [f"## preflight {word}", "",
           f"{fc['error']} error(s), {fc['warning']} warning(s), {fc['info']} info (failing on {md(Severity(fail_on).value)} "
           f"and above); checks: {cc['passed']} passed, {cc['failed']} failed, {cc['skipped']} skipped, "
           f"{cc['errored']} errored.", ""]

    groups = errored_groups(report.results)
    if groups:
        out += ["### Checks that could not run (errored)", ""]
        out += [f"- **{md(', '.join(dict.fromkeys(r.code for r in g)))}**: {md(reason)}" for reason, g in groups]
        out.append("")

    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    for f in report.findings:
        key = f.path if f.path is not None else (f"domain {f.domain}" if f.domain else "directory" if f.dn else "run")
        by_file[key][f.severity.value] += 1
    if by_file:
        out += ["### Findings per file", "", "| file | errors | warnings | info |", "|---|---:|---:|---:|"]
        for key in sorted(by_file, key=lambda k: (-by_file[k]["error"], k)):
            c = by_file[key]
            out.append(f"| {md(key)} | {c['error']} | {c['warning']} | {c['info']} |")
        out.append("")

    per_check: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for r in report.results:
        per_check[r.code][r.status.value] += 1
        names[r.code] = r.name
    found = Counter(f.code for f in report.findings)
    severity = {f.code: f.severity.value for f in report.findings}
    shown = [c for c in sorted(per_check) if found[c] or per_check[c]["errored"]]
    if shown:
        out += ["### Findings per check", "", "| check | name | severity | findings | errored |", "|---|---|---|---:|---:|"]
        for code in shown:
            out.append(f"| {code} | {md(names[code])} | {severity.get(code, '')} | {found[code]} | "
                       f"{per_check[code]['errored']} |")
        out.append("")

    skipped: dict[str, list[str]] = {}
    for r in report.results:
        if r.status is Status.SKIPPED:
            skipped.setdefault(r.reason or "no reason given", []).append(r.code)
    if skipped:
        out += ["<details><summary>Skipped checks</summary>", ""]
        out += [f"- {md(reason)}: {', '.join(dict.fromkeys(codes))}" for reason, codes in skipped.items()]
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"
