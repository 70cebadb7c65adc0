"""Providers of the capacity data.

``mailbox_stats``
    the :class:`~preflight.sources.mailbox_stats.MailboxStats` named by
    ``[capacity] mailbox_stats`` (``--mailbox-stats``). Missing when none is given.
``batch_mailboxes``
    :class:`BatchMailboxes`: each batch row that resolves to one directory object, with
    that mailbox's statistics (``None`` when the export has no row for it).
``capacity_options``
    the ``[capacity]`` options, validated: ``gb_per_hour`` (the slow and fast migration
    rates, GB per hour; default 10 and 14), ``window_hours`` (the time one batch may take;
    ``None`` when not set), ``target_quota_gb`` (default 50), ``max_concurrent_migrations``
    (the migration endpoint's MaxConcurrentMigrations, a number or ``"Unlimited"``; ``None``
    when not stated) and ``mapi_session_limit`` (MAPI sessions one user may open on a mailbox
    server; default 32).
``batch_row_count``
    the mailbox rows of the run's batch files (``None`` when no batch file is given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...registry import Missing, SourceError, provider

#: Microsoft's estimate of a staged migration's throughput, GB per hour (slow, fast).
DEFAULT_GB_PER_HOUR = (10.0, 14.0)
#: The smallest Exchange Online primary mailbox quota of a licence that carries a mailbox
#: for an office worker (Exchange Online Plan 1, Microsoft 365 Business Basic/Standard, E1).
DEFAULT_TARGET_QUOTA_GB = 50.0
GIB = 2**30
#: MAPI sessions Exchange 2003 SP1 and later allow one user by default ("Maximum Allowed
#: Sessions Per User", 0x20; Microsoft KB 842022).
DEFAULT_MAPI_SESSION_LIMIT = 32


@dataclass(frozen=True)
class CapacityOptions:
    gb_per_hour: tuple[float, float] = DEFAULT_GB_PER_HOUR
    window_hours: float | None = None
    target_quota_gb: float = DEFAULT_TARGET_QUOTA_GB
    max_concurrent_migrations: float | None = None  # math.inf for "Unlimited"
    mapi_session_limit: int = DEFAULT_MAPI_SESSION_LIMIT

    def hours(self, size_bytes: int) -> tuple[float, float]:
        """Estimated hours to move ``size_bytes``: (at the fast rate, at the slow rate)."""
        gb = size_bytes / GIB
        slow, fast = self.gb_per_hour
        return gb / fast, gb / slow


@dataclass(frozen=True)
class Mailbox:
    """A batch row resolved to one directory object, and its statistics (``None``: no row)."""

    path: str
    row: int
    line: int
    address: str
    dn: str
    legacy_dn: str
    stats: dict[str, Any] | None


@dataclass
class BatchMailboxes:
    """Resolved batch rows by batch file, in file and row order."""

    files: dict[str, list[Mailbox]] = field(default_factory=dict)


def _number(value: Any, key: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0):
        raise SourceError(f"[capacity] {key} must be a positive number, not {value!r}")
    return float(value)


@provider("capacity_options")
def capacity_options(config) -> CapacityOptions:
    opts = config.capacity
    rates = opts.get("gb_per_hour", DEFAULT_GB_PER_HOUR)
    if isinstance(rates, (int, float)) and not isinstance(rates, bool):
        rates = (rates, rates)
    if not isinstance(rates, (list, tuple)) or len(rates) != 2:
        raise SourceError(f"[capacity] gb_per_hour must be a number or two numbers (slow, fast), not {rates!r}")
    slow, fast = sorted(_number(r, "gb_per_hour") for r in rates)
    window = opts.get("window_hours")
    concurrent = opts.get("max_concurrent_migrations")
    if isinstance(concurrent, str) and concurrent.strip().casefold() == "unlimited":
        concurrent = math.inf
    elif concurrent is not None:
        concurrent = _count(concurrent, "max_concurrent_migrations")
    return CapacityOptions(
        gb_per_hour=(slow, fast),
        window_hours=None if window is None else _number(window, "window_hours"),
        target_quota_gb=_number(opts.get("target_quota_gb", DEFAULT_TARGET_QUOTA_GB), "target_quota_gb"),
        max_concurrent_migrations=concurrent,
        mapi_session_limit=int(_count(opts.get("mapi_session_limit", DEFAULT_MAPI_SESSION_LIMIT), "mapi_session_limit")),
    )


def _count(value: Any, key: str) -> float:
    """A whole number of at least 1 (``[capacity] key``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourceError(f"[capacity] {key} must be a whole number of at least 1, not {value!r}")
    return float(value)


@provider("batch_row_count")
def batch_row_count(batches=None) -> int | None:
    """The mailbox rows (non-blank records after the header) of the run's batch files."""
    return None if batches is None else sum(len(bf.mailbox_records) for bf in batches)


@provider("mailbox_stats")
def mailbox_stats(config):
    source = config.capacity.get("mailbox_stats")
    if not source:
        raise Missing("no mailbox statistics given (--mailbox-stats FILE: a Get-MailboxStatistics or "
                      "WMI Exchange_Mailbox export)")
    from ...sources.mailbox_stats import read_mailbox_stats

    return read_mailbox_stats(config.path(source), str(config.capacity.get("size_unit", "KB")))


@provider("batch_mailboxes")
def batch_mailboxes(batch_directory, mailbox_stats) -> BatchMailboxes:
    import pandas as pd

    stats = mailbox_stats.by_legacy_dn()
    rows = batch_directory.resolved()
    out = BatchMailboxes()
    for r in rows.sort_values(["path", "row"]).itertuples(index=False):
        legacy = "" if pd.isna(r.legacyExchangeDN) else str(r.legacyExchangeDN)
        out.files.setdefault(r.path, []).append(Mailbox(
            path=r.path, row=int(r.row), line=int(r.line), address=r.address, dn=r.dn, legacy_dn=legacy,
            stats=stats.get(legacy.casefold()) if legacy else None))
    return out
