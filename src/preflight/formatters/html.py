"""HTML: one self-contained page per run, for the people who decide (change board,
project manager, helpdesk) rather than the admin at a terminal.

The page is rendered by Jinja2 with autoescaping: every value from a CSV, the
directory, DNS or a tenant export is text, never markup. CSS, the small script
that sorts and filters the findings table, and the charts are inline; a
Content-Security-Policy meta tag forbids every external load (the page works
offline and from a mail attachment). Charts are drawn by matplotlib's SVG
backend at build time, so the page carries no charting script.

Jinja2 and matplotlib are imported only when this format is asked for
(``pip install "preflight[html]"``).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter, defaultdict
from importlib import resources
from typing import Any

from ..model import Finding, Report, Severity, Status
from .locations import no_surrogates, subject, where

#: Findings of one check listed per subject (file, domain, directory); the rest are counted,
#: as in the text report. The JSON report keeps every finding.
MAX_PER_CHECK = 10

_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_COLOURS = {Severity.ERROR: "#c62828", Severity.WARNING: "#ef8f00", Severity.INFO: "#1565c0"}


class HtmlUnavailable(RuntimeError):
    """Jinja2 or matplotlib is not installed (the ``html`` extra)."""


def _figure(title: str, bars: int):
    """A matplotlib figure and axes for a horizontal bar chart of ``bars`` bars (SVG text as text,
    stable element ids)."""
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"   # text stays text: smaller, selectable
    matplotlib.rcParams["svg.hashsalt"] = "preflight"  # stable element ids between runs
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 0.9 + 0.32 * bars))
    ax = fig.subplots()
    ax.set_title(title, loc="left", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _svg(fig, ax) -> str:
    """The finished chart as inline SVG (no XML prolog or DOCTYPE)."""
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _chart(title: str, labels: list[str], counts: dict[Severity, list[int]]) -> str | None:
    """A horizontal stacked bar chart (one bar per label, one colour per severity) as inline SVG;
    ``None`` for fewer than two bars (the tables say it better)."""
    if len(labels) < 2:
        return None
    fig, ax = _figure(title, len(labels))
    left = [0] * len(labels)
    for sev in _SEVERITIES:
        values = counts[sev]
        if any(values):
            ax.barh(labels, values, left=left, color=_COLOURS[sev], label=sev.value)
            left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("findings")
    return _svg(fig, ax)


def _hours_chart(estimates: list[tuple[str, float, float, float]]) -> str | None:
    """Each batch file's estimated hours as a range bar (fast rate to slow rate), labelled with its GB."""
    if not estimates:
        return None
    labels = [_short(p) for p, _, _, _ in estimates]
    fig, ax = _figure("Estimated hours per batch file", len(labels))
    fast = [f for _, _, f, _ in estimates]
    slow = [s for _, _, _, s in estimates]
    ax.barh(labels, fast, color="#1565c0", label="at the fast rate")
    ax.barh(labels, [s - f for f, s in zip(fast, slow, strict=True)], left=fast, color="#90caf9",
            label="up to the slow rate")
    for y, (_, gb, _, s) in enumerate(estimates):
        ax.annotate(f"{gb:,.1f} GB", (s, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(0, max(slow + [0.1]) * 1.3)  # room for the GB labels
    ax.set_xlabel("hours")
    return _svg(fig, ax)


def _short(label: str, limit: int = 48) -> str:
    label = no_surrogates(label)  # an undecodable file name: matplotlib draws text, not bytes
    return label if len(label) <= limit else "…" + label[-(limit - 1):]


def _view(report: Report, fail_on: str, max_per_check: int | None) -> dict[str, Any]:
    from .. import registry

    checks = {c.code: c for c in registry.all_checks()}
    counts = report.counts()
    exit_code = report.exit_code(fail_on)
    errored = [r for r in report.results if r.status is Status.ERRORED]
    skipped = [r for r in report.results if r.status is Status.SKIPPED]

    # one row per batch file: its records, its findings by severity, its checks not run
    files: dict[str, dict[str, Any]] = {}
    for inp in report.inputs:
        if inp.get("kind") == "batch":
            files[inp["path"]] = {"path": inp["path"], "rows": inp.get("records"), "sev": Counter(),
                                  "errored": [], "skipped": []}
    for f in report.findings:
        if f.path in files:
            files[f.path]["sev"][f.severity] += 1
    for r in errored:
        if r.subject in files:
            files[r.subject]["errored"].append(r)
    for r in skipped:
        if r.subject in files:
            files[r.subject]["skipped"].append(r)
    for b in files.values():  # skipped checks of a file, by reason: (reason, codes)
        reasons: dict[str, list[str]] = defaultdict(list)
        for r in b["skipped"]:
            reasons[r.reason or "no reason given"].append(r.code)
        b["skipped"] = sorted(reasons.items())
    threshold = Severity(fail_on).rank
    for b in files.values():
        sev = b["sev"]
        b.update(errors=sev[Severity.ERROR], warnings=sev[Severity.WARNING], infos=sev[Severity.INFO],
                 ready=not b["errored"] and not any(n for s, n in sev.items() if s.rank >= threshold))

    # findings grouped by check, then by subject, the first max_per_check of each listed
    by_check: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        by_check[f.code][subject(f)].append(f)
    groups = []
    table: list[tuple[Finding, str]] = []
    for code in sorted(by_check):
        chk = checks.get(code)
        listed, more = 0, 0
        for place, found in by_check[code].items():
            found.sort(key=lambda f: (f.row or 0, f.line or 0))
            keep = found if not max_per_check else found[:max_per_check]
            more += len(found) - len(keep)
            listed += len(keep)
            table.extend((f, place) for f in keep)
        first = next(iter(by_check[code].values()))[0]
        groups.append({"code": code, "name": first.name, "severity": first.severity.value,
                       "title": chk.title if chk else first.name, "area": chk.area if chk else "",
                       "fix": first.fix, "total": listed + more, "more": more})

    # charts: findings per area and per batch file, stacked by severity
    area_of = {code: (checks[code].area if code in checks else "other") for code in by_check}
    areas = sorted({area_of[f.code] for f in report.findings})
    per_area = {sev: [sum(1 for f in report.findings if f.severity is sev and area_of[f.code] == a) for a in areas]
                for sev in _SEVERITIES}
    batch_paths = [p for p in files if sum(files[p]["sev"].values())]
    per_file = {sev: [files[p]["sev"][sev] for p in batch_paths] for sev in _SEVERITIES}
    estimates = [(f.path, f.metrics["bytes"] / 2**30, f.metrics["hours_fast"], f.metrics["hours_slow"])
                 for f in report.findings
                 if f.path is not None and f.metrics and {"bytes", "hours_fast", "hours_slow"} <= f.metrics.keys()]
    charts = [c for c in (_chart("Findings per area", areas, per_area),
                          _chart("Findings per batch file", [_short(p) for p in batch_paths], per_file),
                          _hours_chart(sorted(estimates))) if c]

    # skipped checks grouped by reason (most are skipped for one reason: a source not given)
    skipped_by_reason: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for r in skipped:
        codes, subjects = skipped_by_reason[r.reason or "no reason given"]
        codes.add(r.code)
        if r.subject:
            subjects.add(r.subject)

    rules = [checks[g["code"]] for g in groups if g["code"] in checks]
    rules += [checks[r.code] for r in errored if r.code in checks and r.code not in by_check]
    return {
        "report": report, "counts": counts, "exit_code": exit_code, "fail_on": fail_on,
        "ready": exit_code == 0, "errored": errored, "skipped": skipped,
        "skipped_by_reason": [(reason, sorted(codes), sorted(subjects))
                              for reason, (codes, subjects) in sorted(skipped_by_reason.items())],
        "files": list(files.values()), "groups": groups, "charts": charts,
        "rows": [{"f": f, "subject": s, "where": where(f, with_object=True)} for f, s in table],
        "rules": sorted({r.code: r for r in rules}.values(), key=lambda r: r.code),
        "max_per_check": max_per_check, "severities": [s.value for s in _SEVERITIES],
        "sources": [i for i in report.inputs if i.get("kind") not in ("batch", "reference")],
    }


def render(report: Report, *, fail_on: str | None = None, max_per_check: int | None = MAX_PER_CHECK, **_: object) -> str:
    """The report as one self-contained HTML page (a ``str``, UTF-8 when written).

    Args:
        fail_on: the lowest severity that fails the run, for the verdict banner (default: the
            run's own, :attr:`Report.fail_on`).
        max_per_check: findings of one check listed per file, domain or directory (``None`` or 0:
            all); the rest are counted ("and M more").

    Raises:
        HtmlUnavailable: Jinja2 or matplotlib is not installed.
    """
    try:
        import jinja2
    except ImportError as exc:  # pragma: no cover - the html extra is part of the test install
        raise HtmlUnavailable('the HTML report needs Jinja2 and matplotlib: pip install "preflight[html]"') from exc
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise HtmlUnavailable('the HTML report needs Jinja2 and matplotlib: pip install "preflight[html]"') from exc

    templates = resources.files(__package__) / "templates"
    script = (templates / "report.js").read_text(encoding="utf-8")
    css = (templates / "report.css").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    template = env.from_string((templates / "report.html.j2").read_text(encoding="utf-8"))
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           "base-uri 'none'; form-action 'none'")
    page = template.render(csp=csp, script=script, css=css, **_view(report, fail_on or report.fail_on, max_per_check))
    return no_surrogates(page)
