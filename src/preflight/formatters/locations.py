"""Where a finding is shown when a format needs a file and line for each
(SARIF, GitHub annotations, JUnit), and the grouping of errored checks.

The location of a finding, in order (:func:`locate`):

1. its own file and line (batch CSV findings);
2. the first related row with a file (the batch row that led to it: the
   first row whose address uses the domain, the other batch's row);
3. the first batch row of the domain or object: the row whose address uses
   the domain, or that resolved to the object (the batch inputs' ``domains``
   and ``objects``), or the row of another finding about it;
4. the batch file checked (the domains and objects are those of its
   addresses; no row is known); without a batch, for a directory object the
   directory export it was read from (the sources do not record the DN's line
   yet), for a domain the tenant domain list;
5. the configuration file, then the GitHub Actions workflow file
   (``GITHUB_WORKFLOW_REF``), then the repository root.

Lines are physical lines as preflight counts them (a lone CR ends a line, as
in Python's csv module); :meth:`Locator.line` renumbers them the way SARIF and
editors do (CR LF and LF only, SARIF 2.1.0 section 3.30.2).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from ..model import CheckResult, Finding, Report, Status

SRCROOT = "%SRCROOT%"
#: The location of last resort: the repository root (SARIF), the workspace (annotations).
REPOSITORY_ROOT = "."


def repository_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The git top level of ``start`` (default: the current folder): the nearest
    folder upwards holding ``.git`` (a folder, or a file in a worktree); else ``start``."""
    here = Path(os.path.abspath(start or os.getcwd()))
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _uri(path: str) -> str:
    """``artifactLocation.uri`` must be a URI reference (RFC 3986): an absolute
    path becomes a ``file:`` URI, a relative one is percent-encoded (spaces,
    non-ASCII, control characters) with ``/`` separators."""
    if re.match(r"^[A-Za-z]:[\\/]", path) or path.startswith("\\\\"):
        return PureWindowsPath(path).as_uri()
    if path.startswith("/"):
        return PurePosixPath(path).as_uri()
    return quote(path.replace("\\", "/"), safe="/", errors="surrogateescape")


class Locator:
    """Maps paths to artifact locations relative to ``root``, and lines to SARIF lines."""

    def __init__(self, report: Report, root: Path, cwd: Path):
        self.root, self.cwd = root, cwd
        self.lone_cr: dict[str, list[int]] = {}
        for i in report.inputs:
            if i.get("path") and i.get("lone_cr_lines"):
                self.lone_cr[self._abs(i["path"])] = sorted(i["lone_cr_lines"])

    def _abs(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.cwd, path))

    def artifact(self, path: str) -> dict[str, Any]:
        if path == REPOSITORY_ROOT:
            return {"uri": ".", "uriBaseId": SRCROOT}
        full = self._abs(path)
        try:
            rel = os.path.relpath(full, self.root)
        except ValueError:  # another drive (Windows)
            rel = os.pardir
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            return {"uri": _uri(full)}
        return {"uri": _uri(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}

    def line(self, path: str, line: int) -> int:
        """``line`` (lone CR counted as a break) as SARIF counts it (CR LF and LF only)."""
        lone = self.lone_cr.get(self._abs(path))
        return line - bisect_left(lone, line) if lone else line


Where = tuple[str, "int | None", "int | None", "str | None"]
Index = dict[tuple[str, str], tuple[str, "int | None", "int | None"]]


def locate(f: Finding, report: Report, *, fallback: list[tuple[str, str]] | None = None,
           index: Index | None = None) -> Where:
    """Where a finding is shown: ``(path, row, line, why)``; row and line may be
    ``None``; ``why`` says which rule of the module docstring placed it
    (``None``: its own row)."""
    if f.path is not None:
        return f.path, f.row, f.line, None
    for r in f.related:
        if r.get("path"):
            return r["path"], r.get("row"), r.get("line"), "the batch row that led to this finding"
    index = index if index is not None else rows_by_subject(report)
    for key in (("domain", f.domain), ("dn", f.dn)):
        if key[1] and key in index:
            path, row, line = index[key]
            what = "the domain" if key[0] == "domain" else "the object"
            return path, row, line, f"the first batch row of {what} (the finding has no row of its own)"
    batches = [i["path"] for i in report.inputs if i.get("kind") == "batch" and i.get("path")]
    if len(batches) == 1:
        return batches[0], None, None, "the batch file checked (the finding has no row of its own)"
    kinds = ("directory",) if f.dn else ("tenant",) if f.domain else ()
    for i in report.inputs:
        if i.get("kind") in kinds and i.get("path"):
            return i["path"], None, None, f"the {i['kind']} source file (the source does not record lines)"
    if batches:
        return batches[0], None, None, "the first batch file checked (the finding has no row of its own)"
    for path, why in fallback or ():
        return path, None, None, why
    return REPOSITORY_ROOT, None, None, "the repository root: the run read no file"


def rows_by_subject(report: Report) -> Index:
    """The first batch row of each domain and object (the batch inputs' ``domains``
    and ``objects``), and of each domain and DN that a finding with a row names."""
    out: Index = {}
    for i in report.inputs:
        if i.get("kind") == "batch":
            for kind, key in (("domain", "domains"), ("dn", "objects")):
                for name, r in (i.get(key) or {}).items():
                    out.setdefault((kind, name), (i["path"], r.get("row"), r.get("line")))
    for f in report.findings:
        rows = [(f.path, f.row, f.line)] if f.path else [
            (r["path"], r.get("row"), r.get("line")) for r in f.related if r.get("path")]
        for kind, name in (("domain", f.domain), ("dn", f.dn)):
            if name and rows:
                out.setdefault((kind, name), rows[0])
    return out


def fallback_locations(config_file: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    out = []
    if config_file:
        out.append((str(config_file), "the configuration file that named the source"))
    ref = os.environ.get("GITHUB_WORKFLOW_REF", "")  # owner/repo/.github/workflows/x.yml@refs/heads/main
    m = re.match(r"^[^/]+/[^/]+/(.+?)@", ref)
    if m:
        out.append((m.group(1), "the workflow that ran preflight"))
    return out


def where(f: Finding, *, with_object: bool = False) -> str:
    """A finding's place for a human report: ``row N``, ``line N`` (when it differs), the DN,
    ``[column or attribute]``, the DNS record. The DN and the record are left out for a finding in a
    file (its group names the file) unless ``with_object``."""
    parts = []
    if f.row is not None:
        parts.append(f"row {f.row}")
    if f.line is not None and f.line != f.row:
        parts.append(f"line {f.line}")
    show_object = with_object or f.path is None
    if show_object and f.dn:
        parts.append(f.dn)
    if f.column or f.attribute:
        parts.append(f"[{f.column or f.attribute}]")
    if show_object and f.record:
        parts.append(f.record)
    return " ".join(parts)


def subject(f: Finding) -> str:
    """What a human report groups a finding under: its file, else ``domain <name>``, else
    ``directory`` (an object's finding), else ``run``."""
    if f.path is not None:
        return f.path
    if f.domain:
        return f"domain {f.domain}"
    if f.dn:
        return "directory"
    return "run"


def errored_groups(results: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """Errored results grouped by reason, in first-seen order: ``[(reason, results)]``."""
    groups: dict[str, list[CheckResult]] = {}
    for r in results:
        if r.status is Status.ERRORED:
            groups.setdefault(r.reason or "no reason given", []).append(r)
    return list(groups.items())


SURROGATE_RE = re.compile("[\ud800-\udfff]")


def no_surrogates(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a file name, kept by
    Python's surrogateescape) written as visible ``\\udcff`` escapes, so the
    report can be encoded as UTF-8."""
    return SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
