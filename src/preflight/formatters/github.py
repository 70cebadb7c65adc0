"""GitHub Actions workflow commands (``::error file=…,line=…::message``), which
annotate the file and line in a pull request."""

from __future__ import annotations

from ..model import Report, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, **_: object) -> str:
    lines = []
    for f in report.findings:
        props = []
        if f.path is not None:
            props.append(f"file={_prop(f.path)}")
            if f.line is not None:
                props.append(f"line={f.line}")
        props.append(f"title={_prop(f'{f.code} {f.name}')}")
        where = f" ({f.dn or f.domain})" if f.path is None and (f.dn or f.domain) else ""
        message = f.message + where + (f" Fix: {f.fix}" if f.fix else "")
        lines.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)
