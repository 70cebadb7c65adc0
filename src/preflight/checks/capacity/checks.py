"""PF700–PF703: each batch's size and estimated hours, batches longer than the window,
mailboxes over the Exchange Online quota, and batch mailboxes without statistics;
PF704: more concurrent migrations than the migration account's MAPI sessions."""

from __future__ import annotations

import math

from ...registry import Missing, Problem, check
from .providers import GIB, CapacityOptions


def _gb(size_bytes: int) -> str:
    return f"{size_bytes / GIB:,.1f} GB"


@check("PF700", "capacity-batch-estimate", severity="info")
def batch_estimate(batch_mailboxes, capacity_options):
    """Each batch file's mailboxes, total size and estimated hours at 10 to 14 GB per hour.

    Why: Microsoft tells admins to estimate a migration's time from its data volume, at
    about 10 to 14 GB per hour for a staged migration; a batch that takes longer than the
    time you planned delays every wave after it.

    Fix: nothing to fix: plan the batch's start so that it ends within your window, or
    split the batch. Set the rates with
    ``gb_per_hour = [10, 14]`` in ``[tool.preflight.capacity]``.

    Source: the 10–14 GB/h planning figure Microsoft gives for staged migrations
    (Microsoft Learn, Microsoft 365 migration performance and best practices; the figure
    is not verified against a live tenant here: measure a pilot batch and set
    ``gb_per_hour``); mailbox sizes from Get-MailboxStatistics (Exchange 2007) or WMI
    Exchange_Mailbox (Exchange 2003).
    """
    for path, boxes in batch_mailboxes.files.items():
        known = [b.stats["bytes"] for b in boxes if b.stats is not None]
        total = sum(known)
        fast, slow = capacity_options.hours(total)
        rate_slow, rate_fast = capacity_options.gb_per_hour
        unknown = len(boxes) - len(known)
        note = f" ({unknown} without statistics, not counted)" if unknown else ""
        yield Problem(
            f"{len(boxes)} mailbox(es), {_gb(total)}{note}: about {fast:.1f}–{slow:.1f} hours "
            f"at {rate_fast:g}–{rate_slow:g} GB/h",
            path=path, value=f"{total}",
            metrics={"mailboxes": len(boxes), "bytes": total, "without_statistics": unknown,
                     "hours_fast": round(fast, 3), "hours_slow": round(slow, 3)},
        )


@check("PF701", "capacity-batch-over-window", severity="warning")
def batch_over_window(batch_mailboxes, capacity_options):
    """A batch's estimated time at the slower rate exceeds the window you set (``window_hours``).

    Why: a staged batch that runs past its planned window (a weekend, a night) overlaps
    the users' working hours and the next wave; the estimate uses the slower of the two
    rates (10 GB/h by default) so that the window holds on a slow day.

    Fix: split the batch into smaller ones, or widen the window. Set it with ``window_hours`` in ``[tool.preflight.capacity]``
    (or ``--window-hours``).

    Source: the 10–14 GB/h planning figure for staged migrations (see PF700).
    """
    window = capacity_options.window_hours
    if window is None:
        raise Missing("no migration window set (--window-hours, or window_hours in [tool.preflight.capacity])")
    for path, boxes in batch_mailboxes.files.items():
        total = sum(b.stats["bytes"] for b in boxes if b.stats is not None)
        _, slow = capacity_options.hours(total)
        if slow > window:
            yield Problem(
                f"{_gb(total)} takes about {slow:.1f} hours at {capacity_options.gb_per_hour[0]:g} GB/h, "
                f"more than the window of {window:g} hour(s)",
                path=path, value=f"{slow:.1f}",
                fix=f"split the batch so that each part stays within {window:g} hour(s), or widen the window",
            )


@check("PF702", "capacity-mailbox-over-quota", severity="error")
def mailbox_over_quota(batch_mailboxes, capacity_options):
    """A batch mailbox is larger than its Exchange Online mailbox quota (``target_quota_gb``, default 50).

    Why: a mailbox larger than the target quota cannot be moved whole: the migration of
    that mailbox fails, or the user cannot send or receive once it lands. The primary
    mailbox quota is 50 GB with Exchange Online Plan 1, Microsoft 365 Business Basic and
    Standard, and Office 365 E1; 100 GB with Exchange Online Plan 2 and E3/E5.

    Fix: assign a licence with a larger quota (and set ``target_quota_gb = 100``), or have
    the user archive or delete mail (to a PST, or an online archive after the move) until
    the mailbox is under the quota.

    Source: Microsoft Learn, "Exchange Online limits" (mailbox storage limits).
    """
    quota = capacity_options.target_quota_gb * GIB
    for boxes in batch_mailboxes.files.values():
        for b in boxes:
            if b.stats is not None and b.stats["bytes"] > quota:
                yield Problem(
                    f"{b.address}: the mailbox holds {_gb(b.stats['bytes'])}, more than the "
                    f"{capacity_options.target_quota_gb:g} GB Exchange Online quota",
                    path=b.path, row=b.row, line=b.line, column="EmailAddress", dn=b.dn,
                    value=str(b.stats["bytes"]),
                    fix="assign a licence with a larger quota (set target_quota_gb), or reduce the mailbox first",
                )


@check("PF703", "capacity-no-statistics", severity="info")
def no_statistics(batch_mailboxes):
    """A batch mailbox has no row in the mailbox statistics (its size is unknown).

    Why: the batch's estimate leaves it out, so the batch may take longer than shown and
    a mailbox over the quota goes unnoticed. It often means the statistics were exported
    from one server or database only, or the mailbox was created after the export.

    Fix: export the statistics of every server that holds batch mailboxes (run the
    Get-MailboxStatistics or WMI command for each), then check again.

    Source: the mailbox statistics join on legacyExchangeDN (Get-MailboxStatistics
    LegacyExchangeDN, WMI Exchange_Mailbox LegacyDN).
    """
    for boxes in batch_mailboxes.files.values():
        for b in boxes:
            if b.stats is None:
                why = "it has no legacyExchangeDN" if not b.legacy_dn else f"no statistics row has {b.legacy_dn}"
                yield Problem(
                    f"{b.address}: its size is unknown ({why}); the batch estimate leaves it out",
                    path=b.path, row=b.row, line=b.line, column="EmailAddress", dn=b.dn,
                    attribute="legacyExchangeDN", fix="export the mailbox statistics of every server, then check again",
                )


def _concurrency(value: float) -> str:
    return "Unlimited" if math.isinf(value) else f"{value:g}"


def mapi_session_overrun(options: CapacityOptions, mailboxes: int | None) -> tuple[str, str] | None:
    """``(message, fix)`` when one migration account would open more MAPI sessions at once than a user may
    (cause I-02), else ``None``.

    Args:
        options: ``max_concurrent_migrations`` (the endpoint's MaxConcurrentMigrations; must be set) and
            ``mapi_session_limit`` (sessions per user on a mailbox server).
        mailboxes: the most mailboxes that migrate at the same time (the batch rows), or ``None`` when unknown.
    """
    concurrent = options.max_concurrent_migrations
    limit = options.mapi_session_limit
    if concurrent is None:
        return None
    at_once = concurrent if mailboxes is None else min(concurrent, mailboxes)
    if at_once <= limit:
        return None
    stated = _concurrency(concurrent)
    by_rows = f", and the batches hold {mailboxes} mailboxes" if mailboxes is not None else ""
    shown = f"{at_once:g}" if not math.isinf(at_once) else "an unlimited number of"
    message = (f"the migration endpoint moves up to {stated} mailboxes at once (MaxConcurrentMigrations{by_rows}): "
               f"its one migration account opens at least {shown} MAPI sessions, more than the {limit} one user may "
               "open on an Exchange 2003/2007 mailbox server; the moves beyond it fail (MapiExceptionSessionLimit, "
               "event 9646)")
    fix = (f"lower the endpoint's concurrency to {limit} or less (Set-MigrationEndpoint <name> "
           f"-MaxConcurrentMigrations {limit}), or spread the batches over more endpoints, each with its own migration "
           "account; or raise 'Maximum Allowed Sessions Per User' on the mailbox servers (Microsoft KB 842022) and "
           "set mapi_session_limit to it")
    return message, fix


@check("PF704", "capacity-mapi-session-limit", severity="warning")
def mapi_session_limit(capacity_options, batch_row_count):
    """The endpoint's concurrent migrations exceed the MAPI sessions one account may open (32 by default).

    Why: a staged migration reads every mailbox through the migration
    endpoint's one account, with at least one MAPI session per mailbox it
    moves at once; the endpoint's MaxConcurrentMigrations sets how many. Since
    Exchange 2003 SP1 a mailbox server allows one user 32 MAPI sessions by
    default ("Maximum Allowed Sessions Per User"); beyond it the store closes
    the sessions ("…exceeded the maximum of 32 objects of type 'session'",
    event 9646) and the moves fail or stall with `MapiExceptionSessionLimit`.
    With batch files given, no more mailboxes than their rows move at once.
    The limit applies per mailbox server: mailboxes spread over several
    servers meet it later.

    Fix: set the endpoint's MaxConcurrentMigrations to at most the limit
    (`Set-MigrationEndpoint <name> -MaxConcurrentMigrations 32`), or spread
    the batches over more endpoints, each with its own migration account; or
    raise the limit on the mailbox servers (registry value "Maximum Allowed
    Sessions Per User", Microsoft KB 842022) and state it as
    `mapi_session_limit` in `[tool.preflight.capacity]`.

    Source: failure cause I-02 of the staged-migration taxonomy; Microsoft KB
    842022 (event 9646, the default of 0x20 = 32 sessions per user); the
    endpoint's MaxConcurrentMigrations (`New-MigrationEndpoint`,
    `Get-MigrationEndpoint`).

    Needs the endpoint's MaxConcurrentMigrations: `max_concurrent_migrations`
    in `[tool.preflight.capacity]` or `--max-concurrent-migrations N` (as
    `Get-MigrationEndpoint | Format-List Identity, MaxConcurrentMigrations`
    shows it); skipped without it.
    """
    if capacity_options.max_concurrent_migrations is None:
        raise Missing("the endpoint's MaxConcurrentMigrations is not stated (--max-concurrent-migrations N, or "
                      "max_concurrent_migrations in [tool.preflight.capacity]; Get-MigrationEndpoint shows it)")
    found = mapi_session_overrun(capacity_options, batch_row_count)
    if found:
        message, fix = found
        yield Problem(message, attribute="MaxConcurrentMigrations", fix=fix,
                      value=_concurrency(capacity_options.max_concurrent_migrations),
                      suggested_value=str(capacity_options.mapi_session_limit))
