"""The check registry and the data providers checks ask for.

A check is one function, registered with :func:`check`. It asks for the data
it needs by the names of its parameters (as pycodestyle does): the runner
supplies them. Built-in names:

``config``
    the run's :class:`preflight.config.Config`.
``batches``
    every batch file checked in this run (list of
    :class:`preflight.sources.batch_csv.BatchFile`); with none given the check
    is skipped, with one that cannot be read it is errored.
``reference``
    batch files already committed (``batch_folder`` in config), compared with
    but not checked themselves (possibly none).
``batch``, ``raw``, ``text``, ``records``, ``header``, ``rows``, ``addresses``, ``address_keys``, ``frame``
    one batch file and its successive layers (bytes, decoded text, CSV records,
    header, mailbox rows in plain lists, the EmailAddress values stripped, and
    normalized for comparison; the rows as a pandas frame, which imports pandas). A check
    that asks for one of these runs once per batch file.

Any other name is a *provider*: a function registered with :func:`provider`
that builds the data from other names (a directory source from ``config``, for
instance). When data is absent a provider or check raises :class:`Missing`
(the check is then *skipped* with the reason); when a source fails it raises
:class:`SourceError` (the check is *errored* with the reason).

A check yields :class:`Problem` objects; the runner turns them into
:class:`preflight.model.Finding` with the check's code, name and severity.

Check docstrings follow ruff's rule pages: a first line saying what the check
finds, then ``Why:``, ``Fix:`` and ``Source:`` paragraphs, then examples that
the test suite runs (``Okay: <input>`` must give no finding,
``PF121: <input>`` must give that code; ``\\n`` in the input is a newline; a
``[key=value]`` after the code sets a config option for that example).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable, Iterator

from .model import Severity

#: Names the runner supplies per batch file.
FILE_DATA = frozenset({"batch", "raw", "text", "records", "header", "rows", "frame", "addresses", "address_keys"})
#: Names the runner supplies once per run.
RUN_DATA = frozenset({"config", "batches", "reference"})

CODE_RE = re.compile(r"^PF\d{3}$")


class Missing(Exception):
    """The data a check needs is absent: the check is skipped with this reason."""


class SourceError(Exception):
    """A source failed (unreadable file, server down, bad credentials): the
    checks that need it are errored with this reason. The message must never
    contain a secret."""


@dataclass(frozen=True)
class Problem:
    """What a check yields: a message and where. The runner adds code, name,
    severity, and the batch file's path when the check runs per file."""

    message: str
    path: str | None = None
    row: int | None = None
    line: int | None = None
    column: str | None = None
    dn: str | None = None
    attribute: str | None = None
    object_class: str | None = None
    domain: str | None = None
    record: str | None = None
    value: str | None = None
    fix: str | None = None
    suggested_value: str | None = None
    related: tuple[dict[str, Any], ...] = ()
    metrics: dict[str, float] | None = None


@dataclass(frozen=True)
class Check:
    """A registered check: stable ``code`` (``PF`` + 3 digits; the first digit
    is the area), slug ``name``, ``area``, default ``severity``, the data it
    ``needs`` (its parameter names) and its documentation."""

    code: str
    name: str
    area: str
    severity: Severity
    func: Callable[..., Iterable[Problem]]
    needs: tuple[str, ...]
    doc: str = field(repr=False)

    @property
    def title(self) -> str:
        """The docstring's first paragraph on one line (what the check finds), as plain text."""
        first = self.doc.strip().split("\n\n", 1)[0]
        return _plain(" ".join(first.split())) if first else self.name

    def explain(self) -> str:
        """The rule page printed by ``--explain``: header, then the docstring as
        plain text (code in single backquotes), its examples as the files they stand for."""
        head = f"{self.code} ({self.name})"
        meta = f"Area: {self.area}. Default severity: {self.severity.value}. Needs: {', '.join(self.needs)}."
        prose, examples = [], []
        for line in self.doc.strip().splitlines():
            m = _EXAMPLE_RE.match(line.strip())
            if m:
                examples.append(_render_example(m))
            else:
                prose.append(_plain(line))
        body = "\n".join(prose).rstrip()
        if examples:
            body += "\n\nExamples (files as they would be written; the test suite runs them):\n" + "\n".join(examples)
        return f"{head}\n{'=' * len(head)}\n\n{meta}\n\n{body}\n"

    def examples(self) -> list[tuple[str, dict[str, str], str]]:
        """The docstring's examples as ``(expected, options, input)``:
        ``expected`` is ``"Okay"`` or a code; ``input`` has ``\\n`` expanded."""
        out = []
        for line in self.doc.splitlines():
            m = _EXAMPLE_RE.match(line.strip())
            if m:
                opts = dict(kv.split("=", 1) for kv in (m["opts"] or "").split(",") if kv.strip())
                opts = {k.strip(): v.strip() for k, v in opts.items()}
                out.append((m["kind"], opts, _unescape(m["input"])))
        return out


def _plain(text: str) -> str:
    """reStructuredText literals (````x````) as single backquotes, the docstrings' other code style."""
    return re.sub(r"``(.+?)``", r"`\1`", text)


def _render_example(m: re.Match[str]) -> str:
    """One docstring example as a rule page shows it: what it gives, then its lines indented
    (``\\n`` becomes a line break; ``\\t``, ``\\r`` and ``\\xHH`` stay as written, being invisible)."""
    verdict = "no finding" if m["kind"] == "Okay" else m["kind"]
    if m["opts"]:
        verdict += f" (with {', '.join(kv.strip().replace('=', ' = ') for kv in m['opts'].split(','))})"
    text = m["input"]
    lines = text.split("\\n")
    if not _unescape(text).strip():
        shown = ["(an empty file)"] if not text else ["(white space and line breaks only)"]
    else:
        shown = [line if line.strip() else "(blank line)" for line in lines]
        if shown and shown[-1] == "(blank line)" and not lines[-1]:  # a final line break
            shown.pop()
    return f"  {verdict}:\n" + "".join(f"      {line}\n" for line in shown).rstrip("\n")


def _unescape(text: str) -> str:
    r"""Expand the escapes examples use: ``\n``, ``\t``, ``\r`` and ``\xHH``."""
    text = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")


_EXAMPLE_RE = re.compile(r"^(?P<kind>Okay|PF\d{3})(?:\s*\[(?P<opts>[^\]]*)\])?:\s?(?P<input>.*)$")

_CHECKS: dict[str, Check] = {}
_PROVIDERS: dict[str, Callable[..., Any]] = {}


def check(code: str, name: str, *, severity: Severity | str, area: str | None = None):
    """Register the decorated function as a check.

    Args:
        code: stable code, ``PF`` and three digits (``PF1xx`` batch CSV,
            ``PF2xx`` directory, ``PF3xx`` tenant and DNS, ``PF4xx`` IdFix).
        name: slug, e.g. ``"csv-row-limit"``.
        severity: default severity of its findings.
        area: defaults to the package the check lives in (``checks/<area>/``).

    Raises:
        ValueError: malformed code, a code or name registered twice, or no docstring.
    """
    if not CODE_RE.match(code):
        raise ValueError(f"check code {code!r} is not PF + 3 digits")

    def register(func: Callable[..., Iterable[Problem]]):
        doc = inspect.getdoc(func) or ""
        if not doc:
            raise ValueError(f"check {code} has no docstring")
        if code in _CHECKS or any(c.name == name for c in _CHECKS.values()):
            raise ValueError(f"check {code} / {name} is registered twice")
        params = tuple(inspect.signature(func).parameters)
        mod_area = func.__module__.split(".")[-2] if ".checks." in func.__module__ else "misc"
        _CHECKS[code] = Check(code, name, area or mod_area, Severity(severity), func, params, doc)
        return func

    return register


def provider(name: str):
    """Register the decorated function as the provider of data ``name``.

    Its parameters are resolved like a check's, so a provider may ask for
    ``config``, ``batches`` or another provider's data. It raises
    :class:`Missing` when the data was not asked for (no source configured) and
    :class:`SourceError` when the source fails.
    """

    def register(func: Callable[..., Any]):
        if name in _PROVIDERS or name in FILE_DATA or name in RUN_DATA:
            raise ValueError(f"data name {name!r} is provided twice")
        _PROVIDERS[name] = func
        return func

    return register


@functools.cache
def load() -> None:
    """Import every module under :mod:`preflight.checks` once, registering its checks."""
    from . import checks

    for info in pkgutil.walk_packages(checks.__path__, checks.__name__ + "."):
        importlib.import_module(info.name)


def providers() -> dict[str, Callable[..., Any]]:
    load()
    return dict(_PROVIDERS)


def all_checks() -> list[Check]:
    """Every registered check, sorted by code."""
    load()
    return [_CHECKS[c] for c in sorted(_CHECKS)]


def get(code_or_name: str) -> Check:
    """The check with this code (any case) or slug name.

    Raises:
        KeyError: no such check.
    """
    load()
    key = code_or_name.strip()
    if key.upper() in _CHECKS:
        return _CHECKS[key.upper()]
    for c in _CHECKS.values():
        if c.name == key.lower():
            return c
    raise KeyError(code_or_name)


def _matches(c: Check, selector: str) -> bool:
    s = selector.strip()
    if not s:
        return False
    if s.upper() == "ALL":
        return True
    return c.code.startswith(s.upper()) or c.name == s.lower()


def select(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> list[Check]:
    """The checks chosen by code prefixes or names, as ruff's ``--select``/``--ignore``.

    ``select=None`` means all; ``"PF1"`` selects every batch-CSV check.

    Raises:
        KeyError: a selector that matches no check (a typo must not silently select
            nothing), or a selection that leaves no check to run (an empty
            ``select``, or an ``ignore`` that removes every selected check).
    """
    checks = all_checks()
    chosen = checks
    select = None if select is None else list(select)
    ignore = list(ignore or ())
    for label, selectors in (("select", select), ("ignore", ignore)):
        for s in selectors or ():
            if not any(_matches(c, s) for c in checks):
                raise KeyError(f"--{label} {s}: no check has this code prefix or name")
    if select is not None:
        if not select:
            raise KeyError("--select is empty: it selects no check (leave it out to run every check)")
        chosen = [c for c in checks if any(_matches(c, s) for s in select)]
    if ignore:
        chosen = [c for c in chosen if not any(_matches(c, s) for s in ignore)]
    if not chosen:
        raise KeyError(f"--ignore {','.join(ignore)} leaves no check to run")
    return chosen


def iter_data_names(names: Iterable[str]) -> Iterator[str]:
    """``names`` and, through providers, every name they depend on."""
    seen: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        yield n
        if n in _PROVIDERS:
            stack.extend(inspect.signature(_PROVIDERS[n]).parameters)
