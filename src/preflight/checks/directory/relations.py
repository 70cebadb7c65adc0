"""Do managers, their direct reports and delegates move together? PF220, PF221.

A staged migration gives no cross-premises delegate access: a user in Exchange
Online cannot open the calendar of a manager still on premises, nor act as a
delegate for them. These checks name, for each row's mailbox, the related
mailboxes that are in another batch file of the run, or in none.
"""

from __future__ import annotations

from ...registry import Problem, check, provider
from .address import primary_smtp
from .recipient import is_mailbox, mailbox_attributes

MANAGEMENT = ("manager", "direct report")
DELEGATION = ("delegate", "delegator")


@provider("mailbox_relations")
def mailbox_relations(batch_directory, directory):
    """``[(rid, relation, dn, address, places)]`` for each row's mailbox:
    ``relation`` is "manager", "direct report", "delegate" (publicDelegates or
    msExchDelegateListLink of the row's mailbox) or "delegator" (a mailbox of
    the run that lists the row's mailbox as its delegate); ``places`` are the
    (path, row) of the batch rows that move the related mailbox."""
    bd = batch_directory
    rows = bd.resolved()
    bd.require(*mailbox_attributes(rows))
    rows = rows[is_mailbox(rows).to_numpy()]
    pairs: list[tuple[int, str, str]] = []
    for rid, r in rows.iterrows():
        if r["manager"]:
            pairs.append((rid, "manager", r["manager"]))
        for d in dict.fromkeys((*r["publicDelegates"], *r["msExchDelegateListLink"])):
            pairs.append((rid, "delegate", d))
    by_dn = {dn.casefold(): rid for rid, dn in rows["dn"].items()}
    for rid, relation, other in list(pairs):
        if relation == "delegate" and other.casefold() in by_dn:
            pairs.append((by_dn[other.casefold()], "delegator", rows.loc[rid, "dn"]))
    if not rows.empty:
        reports = directory.lookup_reports(rows["dn"].tolist())
        for _, rep in reports.iterrows():
            rid = by_dn.get(rep["manager"].casefold())
            if rid is not None:
                pairs.append((rid, "direct report", rep["dn"]))
    related_dns = list(dict.fromkeys(dn for _, _, dn in pairs))
    related = directory.lookup_dns(related_dns) if related_dns else bd.objects.iloc[:0]
    bd.require(*mailbox_attributes(related))
    mailboxes = related[is_mailbox(related).to_numpy()] if not related.empty else related
    addr = {dn.casefold(): (m or primary_smtp(p)) for dn, m, p in
            zip(mailboxes["dn"], mailboxes["mail"], mailboxes["proxyAddresses"], strict=True)}
    places = bd.file_of()
    out = []
    for rid, relation, other in dict.fromkeys(pairs):
        key = other.casefold()
        if key in addr:  # related objects that are not mailboxes do not move
            out.append((rid, relation, other, addr[key], places.get(key, [])))
    return out


def _problems(bd, relations, kinds):
    for rid, relation, dn, address, places in relations:
        if relation not in kinds:
            continue
        r = bd.rows.loc[rid]
        if any(path == r["path"] for path, _ in places):
            continue
        where = ("in " + ", ".join(f"{path} row {row}" for path, row in places)) if places else "in no batch file of this run"
        yield Problem(f"{r['address']}: its {relation} {address} ({dn}) moves {where}",
                      path=r["path"], row=int(r["row"]), line=int(r["line"]), column="EmailAddress",
                      value=r["address"], related=({"dn": dn}, *({"path": p, "row": n} for p, n in places)),
                      fix=f"move {address} in the same batch as {r['address']}")


@check("PF220", "directory-manager-moves-apart", severity="warning")
def manager_apart(batch_directory, mailbox_relations):
    """The mailbox's manager or a direct report moves in another batch, or in none.

    Why: during a staged migration there is no cross-premises calendar sharing or
    delegate access: a manager and the people who manage their calendar lose
    access to each other until both have moved.

    Fix: move managers and their direct reports in the same batch, or accept the
    gap for the time between the batches.

    Source: Microsoft Learn, "Perform a staged migration…" (no cross-premises
    permissions; move users who share or delegate together); the ``manager``
    attribute and its back link ``directReports``.
    """
    batch_directory.require("manager")
    yield from _problems(batch_directory, mailbox_relations, MANAGEMENT)


@check("PF221", "directory-delegate-moves-apart", severity="warning")
def delegate_apart(batch_directory, mailbox_relations):
    """A delegate of the mailbox (publicDelegates, msExchDelegateListLink), or a
    mailbox it is a delegate of, moves in another batch, or in none.

    Why: send-on-behalf and full-access delegation do not work across premises
    during a staged migration; the delegate and the delegator should move together.

    Fix: put the delegate and the delegator in the same batch.

    Source: Microsoft Learn, "Perform a staged migration…" (delegate access is not
    available across premises); Exchange attributes publicDelegates
    (send on behalf) and msExchDelegateListLink (automapped full access).
    """
    batch_directory.require("publicDelegates", "msExchDelegateListLink")
    yield from _problems(batch_directory, mailbox_relations, DELEGATION)
