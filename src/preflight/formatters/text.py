"""Human-readable text: findings grouped by file (or by object/domain), then a summary.

Colour (``color=True``) goes through rich's markup; plain text never imports rich.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import Finding, Report, Severity, Status
from .locations import errored_groups, no_surrogates, subject, where

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


#: Findings of one check shown per group (file, domain, directory); the rest are counted.
MAX_PER_CHECK = 10


def render(report: Report, *, color: bool = False, max_per_check: int | None = MAX_PER_CHECK, **_: object) -> str:
    """The report as lines of text; ``color`` adds ANSI colour (via rich).

    At most ``max_per_check`` findings of one check are listed per file (or
    domain); a line counts the others (``None`` or 0: list all).
    """
    esc = _escaper(color)
    out: list[str] = []
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[subject(f)].append(f)
    for name in sorted(groups, key=lambda g: (g == "run", g)):
        out.append(esc(name, "bold"))
        shown: dict[str, int] = defaultdict(int)
        for f in sorted(groups[name], key=lambda f: (f.row or 0, f.code)):
            shown[f.code] += 1
            if max_per_check and shown[f.code] > max_per_check:
                continue
            place = where(f)
            sev = esc(f"{f.severity.value:<7}", _STYLE[f.severity])
            out.append(f"  {place + '  ' if place else ''}{esc(f.code, 'bold')} {sev} {esc(f.message, None)}")
            if f.fix:
                out.append(f"      fix: {esc(f.fix, 'dim')}")
        for code, n in shown.items():
            if max_per_check and n > max_per_check:
                more = f"  … and {n - max_per_check} more {code} finding(s) here (--max-per-check 0, or --format json, lists all)"
                out.append(esc(more, "dim"))
        out.append("")
    not_run = [r for r in report.results if r.status in (Status.SKIPPED, Status.ERRORED)]
    errored = [r for r in not_run if r.status is Status.ERRORED]
    for reason, group in errored_groups(errored):
        subjects = list(dict.fromkeys(r.subject for r in group if r.subject))
        scope = f" ({', '.join(subjects)})" if subjects else ""
        codes = list(dict.fromkeys(r.code for r in group))
        checks = f"{group[0].code} {group[0].name}" if len(codes) == 1 else ", ".join(codes)
        out.append(esc(f"errored: {checks}{scope}: {reason}", "bold red"))
    counts = report.counts()
    fc, cc = counts["findings"], counts["checks"]
    summary = (
        f"{fc['error']} error(s), {fc['warning']} warning(s), {fc['info']} info; "
        f"checks: {cc['passed']} passed, {cc['failed']} failed, {cc['skipped']} skipped, {cc['errored']} errored"
        f" ({report.duration:.2f} s)"
    )
    out.append(esc(summary, "bold"))
    skipped = sorted({r.reason for r in not_run if r.status is Status.SKIPPED and r.reason})
    if skipped:
        out.append(esc("skipped because: " + "; ".join(skipped), "dim"))
    return no_surrogates("\n".join(out) + "\n")


def _escaper(color: bool):
    if not color:
        return lambda text, style: text
    from rich.console import Console
    from rich.text import Text

    console = Console(force_terminal=True, color_system="standard", width=10_000, highlight=False)

    def esc(text: str, style: str | None) -> str:
        with console.capture() as cap:
            console.print(Text(text, style=style or ""), end="", soft_wrap=True)
        return cap.get()

    return esc
