"""Has each batch user an Exchange Online licence? PF620 (while migrating: a
warning), PF621 (at stage complete: an error)."""

from __future__ import annotations

from typing import Any

from ...registry import Missing, Problem, check
from ...sources import dns as dnssrc
from .providers import BatchCloud, describe_object

_FIX = ("assign a licence with an Exchange Online plan (Exchange Online Plan 1 or 2, Microsoft 365 Business, E3/E5, F3) "
        "in the admin center, or by group-based licensing; check the plan is not turned off in the licence")


def _unlicensed(bc: BatchCloud) -> list[tuple[Any, str]]:
    """``(row, why)`` for each batch row whose Entra ID user has no licence with an Exchange Online plan.

    Raises:
        Missing: no Graph users export, no assignedLicenses in it, or no /subscribedSkus export.
    """
    if "entra" not in bc.views:
        raise Missing("licences come from a Graph /users or Get-MgUser export (assignedLicenses); none given")
    if bc.skus is None:
        raise Missing("which licences carry Exchange Online comes from a Graph /subscribedSkus export; none given")
    out = []
    counts = bc.counts("entra")
    single = bc.single("entra")
    if single["licences"].isna().any():
        raise Missing("the Graph users export has no assignedLicenses (add it to $select / -Property)")
    for _, r in single.iterrows():
        unknown, turned_off = [], []
        licensed = False
        for sku_id, disabled in r["licences"]:
            sku = bc.skus.get(sku_id)
            if sku is None:
                unknown.append(sku_id)
            elif sku.exchange_plans - disabled:
                licensed = True
            elif sku.exchange_plans:
                turned_off.append(sku.part_number)
        if licensed:
            continue
        if unknown:
            why = f"its licence SKU(s) {', '.join(unknown)} are not in the /subscribedSkus export, so preflight cannot tell"
        elif turned_off:
            why = f"the Exchange Online plan is turned off in its {', '.join(turned_off)} licence"
        elif r["licences"]:
            names = ", ".join(bc.skus[s].part_number for s, _ in r["licences"])
            why = f"none of its licences ({names}) has an Exchange Online plan"
        else:
            why = "it has no licence"
        out.append((r, f"the Entra ID user {describe_object(r)} has no Exchange Online licence: {why}"))
    carried = set(bc.matches["rid"].tolist())
    for rid in counts.index[counts.to_numpy() == 0]:
        if rid in carried:  # carried by a recipient but no Graph user: it cannot be licensed
            r = bc.rows.loc[rid]
            out.append((r, "no user of the Graph users export carries this address, so no licence reaches it"))
    return out


def _problems(bc: BatchCloud, stage_note: str):
    for r, why in _unlicensed(bc):
        yield Problem(f"{r['address']}: {why}{stage_note}", attribute="assignedLicenses", fix=_FIX,
                      path=r["path"], row=int(r["row"]), line=int(r["line"]), column="EmailAddress", value=r["address"])


@check("PF620", "cloud-no-exchange-licence", severity="warning")
def no_licence(batch_cloud, config):
    """The batch user has no Exchange Online licence (while migrating: a warning).

    Why: after its mailbox moves, a user needs a licence with an Exchange
    Online service plan (`EXCHANGE_S_STANDARD`, `EXCHANGE_S_ENTERPRISE`,
    `EXCHANGE_S_DESKLESS`, …; not `EXCHANGE_S_FOUNDATION`, which non-mail SKUs
    carry) within the 30-day grace period, or the mailbox is disabled. A plan
    turned off in the licence (`disabledPlans`) does not count.

    Fix: assign a licence with an Exchange Online plan (directly or by
    group-based licensing) once the mailbox is migrated, within 30 days.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" ("assign licenses … the mailbox is disabled when the grace
    period (30 days) ends"); Microsoft Graph, user assignedLicenses and
    subscribedSku servicePlans; "Product names and service plan identifiers
    for licensing".

    Needs a Graph users export with assignedLicenses and the /subscribedSkus
    export. Applies until the migration is complete; at `--stage complete`
    PF621 reports the same as an error.
    """
    if dnssrc.dns_options(config).get("stage") == "complete":
        raise Missing("at stage complete PF621 reports missing licences")
    yield from _problems(batch_cloud, " (assign one within 30 days of the migration)")


@check("PF621", "cloud-no-exchange-licence-complete", severity="error")
def no_licence_complete(batch_cloud, config):
    """The migration is complete and the user still has no Exchange Online licence.

    Why: the 30-day grace period after the move is running out or over; the
    mailbox is disabled when it ends (see PF620 for what counts as a licence).

    Fix: assign a licence with an Exchange Online plan now.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (licence grace period of 30 days).

    Applies at `--stage complete` (skipped at other stages).
    """
    stage = dnssrc.dns_options(config).get("stage")
    if stage != "complete":
        raise Missing(f"applies at stage complete; the stage is {stage or 'not given'}")
    yield from _problems(batch_cloud, "")
