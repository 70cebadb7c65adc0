"""The result model: :class:`Finding`, :class:`CheckResult` and :class:`Report`.

Everything a formatter or an embedding tool reads is here. ``Report.to_dict()``
produces JSON that follows the schema shipped as
``preflight/schema/report.schema.json`` (``SCHEMA_VERSION`` below).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA_VERSION = "1.0"


class Severity(str, enum.Enum):
    """How bad a finding is. Ordered: ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Status(str, enum.Enum):
    """What happened to one check on one subject.

    ``skipped``: the data the check needs was not given (the reason says which).
    ``errored``: the source of that data failed, or the check itself raised.
    Neither is ever counted as passed.
    """

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERRORED = "errored"


@dataclass(frozen=True)
class Finding:
    """One problem, located as precisely as the data allows.

    Location fields are ``None`` when they do not apply:

    - files: ``path``; ``row`` is the spreadsheet row number (the header is row 1,
      as Excel shows it); ``line`` is the 1-based physical line where the record
      starts (it differs from ``row`` after a quoted multi-line field);
      ``column`` is the CSV column name.
    - directory objects: ``dn`` (distinguished name), ``attribute``, and
      ``object_class`` (the object's most specific class: user, contact, group).
    - DNS/tenant: ``domain`` and ``record`` (e.g. ``"MX"``).

    ``value`` is the offending value where it is safe to show; it is never set
    from the Password column. ``fix`` is the suggested remedy, and
    ``suggested_value`` a replacement value where one can be proposed.
    ``metrics`` holds the numbers behind a measuring finding (a batch's ``bytes``
    and estimated ``hours_fast``/``hours_slow``, PF700), for reports to chart.
    """

    code: str
    name: str
    severity: Severity
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; location keys that are ``None`` are left out."""
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
        }
        location = {k: getattr(self, k) for k in _LOCATION_KEYS if getattr(self, k) is not None}
        if location:
            out["location"] = location
        for key in ("value", "fix", "suggested_value"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.related:
            out["related"] = [dict(r) for r in self.related]
        if self.metrics:
            out["metrics"] = dict(self.metrics)
        return out


_LOCATION_KEYS = ("path", "row", "line", "column", "dn", "attribute", "object_class", "domain", "record")


@dataclass(frozen=True)
class CheckResult:
    """The status of one check on one subject (a batch file, or the whole run
    when ``subject`` is ``None``). ``reason`` is set for skipped and errored."""

    code: str
    name: str
    status: Status
    subject: str | None = None
    reason: str | None = None
    findings: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name, "status": self.status.value}
        for key in ("subject", "reason"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["findings"] = self.findings
        return out


@dataclass
class Report:
    """The verdict of one run.

    Attributes:
        version: preflight's version.
        inputs: one mapping per input read (``{"kind": "batch", "path": ..., ...}``).
        results: one :class:`CheckResult` per (check, subject).
        findings: every :class:`Finding`, in check order then input order.
        duration: wall time of the run, in seconds.
        started: ISO 8601 UTC timestamp of the start.
        fail_on: the lowest severity that fails the run (the config's
            ``fail_on``), the default of :meth:`exit_code`.
    """

    version: str
    inputs: list[dict[str, Any]] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    duration: float = 0.0
    started: str = ""
    fail_on: str = "error"

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"findings": {"error": n, "warning": n, "info": n}, "checks": {"passed": n, ...}}``."""
        by_sev = {s.value: 0 for s in Severity}
        for f in self.findings:
            by_sev[f.severity.value] += 1
        by_status = {s.value: 0 for s in Status}
        for r in self.results:
            by_status[r.status.value] += 1
        return {"findings": by_sev, "checks": by_status}

    def worst(self) -> Severity | None:
        """The highest severity among the findings, or ``None`` when there are none."""
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def has_findings(self, at_least: Severity | str = Severity.ERROR) -> bool:
        """True when a finding is at or above ``at_least``."""
        threshold = Severity(at_least).rank
        return any(f.severity.rank >= threshold for f in self.findings)

    def checked_nothing(self) -> bool:
        """True when no check ran: every result is skipped (its data was not given), or there is none."""
        return all(r.status is Status.SKIPPED for r in self.results)

    def exit_code(self, fail_on: Severity | str | None = None) -> int:
        """The exit code of the run; the CLI exits with exactly this.

        - 2: nothing was checked (every check was skipped: its data was not given);
        - 1: a check errored (its source failed, so the run proves nothing), or a
          finding is at or above ``fail_on``;
        - 0: otherwise.

        Args:
            fail_on: ``"error"``, ``"warning"`` or ``"info"``; ``None`` (default)
                uses the run's configured :attr:`fail_on`.

        Raises:
            ValueError: ``fail_on`` is not a severity.
        """
        threshold = Severity(self.fail_on if fail_on is None else fail_on)
        if any(r.status is Status.ERRORED for r in self.results) or self.has_findings(threshold):
            return 1
        return 2 if self.checked_nothing() else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping following ``report.schema.json`` (version ``SCHEMA_VERSION``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "preflight", "version": self.version},
            "started": self.started,
            "duration_seconds": round(self.duration, 6),
            "inputs": self.inputs,
            "summary": self.counts(),
            "checks": [r.to_dict() for r in self.results],
            "findings": [f.to_dict() for f in self.findings],
        }


FINDING_FIELDS = tuple(f.name for f in fields(Finding))
