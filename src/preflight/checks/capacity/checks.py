"""PF700–PF703: each batch's size and estimated hours, batches longer than the window,
mailboxes over the Exchange Online quota, and batch mailboxes without statistics."""

from __future__ import annotations

from ...registry import Missing, Problem, check
from .providers import GIB


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
