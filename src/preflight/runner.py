"""The runner: supplies each check the data it asks for and records what happened.

It never touches a file or the network itself; sources do, through the
BatchFile objects it is given and the providers checks ask for.
"""

from __future__ import annotations

import inspect
import os
import time
from datetime import datetime, timezone
from typing import Any
from collections.abc import Iterable, Sequence

from . import registry
from ._version import __version__
from .config import Config
from .model import CheckResult, Finding, Report, Status
from .registry import FILE_DATA, Check, Missing, Problem, SourceError
from .sources.batch_csv import BatchFile, lone_cr_lines

_WITHHELD = "(message withheld: it may contain a password)"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text``, or a placeholder when any secret occurs in it.

    A safety net for messages preflight does not write itself (exception
    texts): the whole message is withheld rather than patched. A secret of
    white space only is not looked for: it would withhold every message and
    protect nothing.
    """
    return _WITHHELD if any(s and s.strip() and s in text for s in secrets) else text


class Context:
    """The data of one run, resolved on demand and cached (one source load per run)."""

    def __init__(self, config: Config, batches: Sequence[BatchFile], reference: Sequence[BatchFile] = ()):
        self.config = config
        self.batches = list(batches)
        self.reference = list(reference)
        self._providers = registry.providers()
        self._cache: dict[tuple[str, int | None], tuple[bool, Any]] = {}
        self.secrets: set[str] = set()
        for bf in (*self.batches, *self.reference):
            self.secrets |= bf.passwords()
        bind_password = os.environ.get(str(config.directory.get("password_env") or ""), "")
        if bind_password:
            self.secrets.add(bind_password)
        graph_secret = os.environ.get(str(config.cloud.get("graph_secret_env") or ""), "")
        if graph_secret:  # the live Graph read's client secret
            self.secrets.add(graph_secret)

    def per_file(self, needs: Iterable[str]) -> bool:
        """True when the data named (directly or through providers) is per batch file."""
        return any(n in FILE_DATA for n in registry.iter_data_names(needs))

    def resolve(self, name: str, batch: BatchFile | None = None) -> Any:
        """The value of data ``name`` (for ``batch`` when it is per-file).

        Raises:
            Missing, SourceError: as the source or provider raised them.
        """
        if name == "config":
            return self.config
        if name in ("batches", "reference"):
            # Data a check never had is never passed: no batch file skips, an unreadable one errors.
            files = self.batches if name == "batches" else self.reference
            if name == "batches" and not files:
                raise Missing("no batch file given")
            unread = [bf.errors["raw"] for bf in files if "raw" in bf.errors]
            if unread:
                raise SourceError("; ".join(unread))
            return files
        if name in FILE_DATA:
            if batch is None:
                raise Missing(f"{name} is per batch file")
            return batch.get(name)
        func = self._providers.get(name)
        if func is None:
            raise Missing(f"no source provides {name!r}")
        key = (name, id(batch) if self.per_file([name]) else None)
        if key not in self._cache:
            try:
                args = self._arguments(func, batch)
                self._cache[key] = (True, func(**args))
            except (Missing, SourceError) as exc:
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def _arguments(self, func: Any, batch: BatchFile | None) -> dict[str, Any]:
        """A provider's arguments; a parameter with a default is optional: its
        default stands in when that data is missing (not when its source failed)."""
        args: dict[str, Any] = {}
        for name, param in inspect.signature(func).parameters.items():
            try:
                args[name] = self.resolve(name, batch)
            except Missing:
                if param.default is inspect.Parameter.empty:
                    raise
                args[name] = param.default
        return args

    def sources(self) -> list[dict[str, Any]]:
        """Descriptions of the sources loaded: provider values with ``describe()``
        (not pandas objects, whose ``describe()`` is statistics)."""
        return [v.describe() for ok, v in self._cache.values()
                if ok and hasattr(v, "describe") and not type(v).__module__.startswith("pandas")]


def _result(chk: Check, status: Status, subject: str | None, reason: str | None = None, n: int = 0) -> CheckResult:
    return CheckResult(chk.code, chk.name, status, subject, reason, n)


def run_check(chk: Check, ctx: Context, batch: BatchFile | None = None) -> tuple[CheckResult, list[Finding]]:
    """Run one check on one subject (a batch file, or the run when ``batch`` is None)."""
    subject = batch.path if batch is not None else None
    try:
        args = {name: ctx.resolve(name, batch) for name in chk.needs}
    except Missing as exc:
        return _result(chk, Status.SKIPPED, subject, str(exc)), []
    except SourceError as exc:
        return _result(chk, Status.ERRORED, subject, redact(str(exc), ctx.secrets)), []
    problems: list[Problem] = []
    status, reason = None, None
    try:
        for p in chk.func(**args) or ():
            problems.append(p)
    except Missing as exc:
        status, reason = Status.SKIPPED, str(exc)
    except SourceError as exc:
        status, reason = Status.ERRORED, redact(str(exc), ctx.secrets)
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not hide the other checks
        status, reason = Status.ERRORED, redact(f"internal error: {type(exc).__name__}: {exc}", ctx.secrets)
    findings = [_finding(chk, p, subject) for p in problems]
    if status is None:
        status = Status.FAILED if findings else Status.PASSED
    # Findings yielded before a failure are kept: a check over several domains
    # reports the ones it could look up, and is errored for the rest.
    return _result(chk, status, subject, reason, len(findings)), findings


def _finding(chk: Check, p: Problem, path: str | None) -> Finding:
    return Finding(
        code=chk.code,
        name=chk.name,
        severity=chk.severity,
        message=p.message,
        path=p.path if p.path is not None else path,
        row=p.row,
        line=p.line,
        column=p.column,
        dn=p.dn,
        attribute=p.attribute,
        object_class=p.object_class,
        domain=p.domain,
        record=p.record,
        value=p.value,
        fix=p.fix,
        suggested_value=p.suggested_value,
        related=p.related,
        metrics=p.metrics,
    )


def run(
    checks: Sequence[Check],
    batches: Sequence[BatchFile] = (),
    *,
    config: Config | None = None,
    reference: Sequence[BatchFile] = (),
) -> Report:
    """Run ``checks`` over the batch files (and whatever sources ``config`` names).

    Per-file checks run once per batch file and give one result each; a
    per-file check with no batch file given is skipped. Never raises for bad
    data: problems become findings, absent data skips, failed sources error.
    """
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    ctx = Context(config or Config(), batches, reference)
    report = Report(version=__version__, started=started.isoformat(timespec="seconds"), fail_on=ctx.config.fail_on)
    for chk in checks:
        if ctx.per_file(chk.needs):
            if not ctx.batches:
                report.results.append(_result(chk, Status.SKIPPED, None, "no batch file given"))
            for bf in ctx.batches:
                result, found = run_check(chk, ctx, bf)
                report.results.append(result)
                report.findings.extend(found)
        else:
            result, found = run_check(chk, ctx)
            report.results.append(result)
            report.findings.extend(found)
    report.inputs = [_describe(bf, "batch") for bf in ctx.batches]
    report.inputs += [_describe(bf, "reference") for bf in ctx.reference]
    _add_sources(report.inputs, ctx.sources())
    report.duration = time.perf_counter() - t0
    return report


def _add_sources(inputs: list[dict[str, Any]], described: list[dict[str, Any]]) -> None:
    """Append the sources' descriptions to ``inputs``; a ``batch-rows`` description
    (data derived from the batch rows, by path) is merged into the batch inputs under its ``key``."""
    batches = {i["path"]: i for i in inputs if i["kind"] == "batch"}
    for d in described:
        if d.get("kind") != "batch-rows":
            inputs.append(d)
            continue
        for path, items in d["rows"].items():
            if path in batches:
                batches[path].setdefault(d["key"], {}).update(items)


def _describe(bf: BatchFile, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "path": bf.path}
    if bf.raw is not None:
        out["bytes"] = len(bf.raw)
    if bf.encoding:
        out["encoding"] = bf.encoding
        out["delimiter"] = bf.delimiter
    if bf.records is not None:
        out["records"] = len(bf.records)
    if bf.text and (lone := lone_cr_lines(bf.text)):
        out["lone_cr_lines"] = lone  # lines that SARIF numbers differently (formatters/sarif.py)
    return out
