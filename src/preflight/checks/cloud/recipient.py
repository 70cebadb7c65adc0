"""Does each batch row find the synced mail user that the batch converts? PF600
(no cloud object), PF601 (several), PF602 (a mailbox already), PF603 (another
kind of recipient), PF610 (cloud-only, not synced)."""

from __future__ import annotations

from ...registry import Missing, Problem, check
from ...sources.dns import dns_options
from .providers import BatchCloud, describe_object

_SYNC_FIX = ("check that the user is in Azure AD Connect's sync scope (its OU and group filters) and has no sync "
             "error (Synchronization Service Manager, or Entra Connect Health), then run a delta sync and export again")


def _where(r) -> dict:
    return {"path": r["path"], "row": int(r["row"]), "line": int(r["line"]), "column": "EmailAddress",
            "value": r["address"]}


def is_cloud_mailbox(recipient_type: str) -> bool:
    """True for a mailbox in Exchange Online (UserMailbox, SharedMailbox, RoomMailbox, …; not RemoteUserMailbox)."""
    return recipient_type.endswith("Mailbox") and not recipient_type.startswith("Remote")


def _exchange_view(bc: BatchCloud) -> None:
    if "exchange" not in bc.views:
        raise Missing("the recipient type comes from Get-Recipient (RecipientTypeDetails); no Get-Recipient export given")


@check("PF600", "cloud-no-object", severity="error")
def no_object(batch_cloud):
    """No Exchange Online recipient carries the row's EmailAddress (as its primary SMTP address or an smtp: proxy address).

    Why: a staged migration converts the mail-enabled user that directory
    synchronization (Azure AD Connect) created in Exchange Online into a
    mailbox. With no cloud object carrying the address the row fails ("A
    recipient wasn't found for <address> on the target"): the user is outside
    the sync scope, has a sync error, or sync has not run since it was created.
    When the Get-Recipient export is given, a user present in Entra ID (Graph
    users) but not in it is reported too: its Exchange attributes are not
    synced (Azure AD Connect's directory schema was not refreshed after
    Exchange was installed, or the Exchange attributes are filtered out).

    Fix: check the sync scope and Azure AD Connect's errors; refresh its
    directory schema if Exchange attributes are missing; run a delta sync
    (`Start-ADSyncSyncCycle -PolicyType Delta`), then export the recipients again.

    Source: Microsoft Learn, "What you need to know about a staged email
    migration" (each user needs a synced mail-enabled user before the batch).
    """
    bc = batch_cloud
    view = "exchange" if "exchange" in bc.views else "entra"
    counts = bc.counts(view)
    others = bc.counts("entra") if view == "exchange" and "entra" in bc.views else None
    for rid in counts.index[counts.to_numpy() == 0]:
        r = bc.rows.loc[rid]
        if others is not None and others.loc[rid]:
            user = describe_object(bc.objects_of(rid, "entra").iloc[0])
            message = (f"{r['address']}: no Exchange Online recipient carries this address, though the Entra ID user "
                       f"{user} does: its Exchange attributes are not synced")
            fix = ("refresh Azure AD Connect's directory schema (Exchange attributes), check its attribute filtering, "
                   "run a full sync, then export Get-Recipient again")
        else:
            where = "Exchange Online recipient" if view == "exchange" else "Entra ID user"
            message = f"{r['address']}: no {where} carries this address (primary SMTP or smtp: proxy address)"
            fix = _SYNC_FIX
        yield Problem(message, fix=fix, **_where(r))


@check("PF601", "cloud-address-ambiguous", severity="error")
def ambiguous(batch_cloud):
    """Two or more cloud objects carry the row's EmailAddress.

    Why: an address identifies one recipient in Exchange Online. When a
    cloud-created contact, group, guest or user already holds the address,
    synchronization reports "AttributeValueMustBeUnique" for the synced user
    and the batch cannot tell which recipient to convert.

    Fix: remove the address from the object that should not have it
    (`Set-MailContact`/`Set-Mailbox -EmailAddresses @{remove='smtp:…'}`, or
    delete a stale cloud-only object), let sync complete, then export again.

    Source: Microsoft Learn, "Prepare directory attributes for synchronization"
    and "Identity synchronization and duplicate attribute resiliency".

    Objects are counted within one export kind (Get-Recipient, or Graph users),
    so a user present in both is one object.
    """
    bc = batch_cloud
    reported: set[int] = set()
    for view in ("exchange", "entra"):
        if view not in bc.views:
            continue
        counts = bc.counts(view)
        for rid in counts.index[counts.to_numpy() > 1]:
            if rid in reported:
                continue
            reported.add(rid)
            r = bc.rows.loc[rid]
            objs = [describe_object(o) for _, o in bc.objects_of(rid, view).iterrows()]
            yield Problem(f"{r['address']} is carried by {len(objs)} cloud objects: {'; '.join(objs)}",
                          attribute="EmailAddresses" if view == "exchange" else "proxyAddresses",
                          fix="keep the address on the synced mail user only; remove it from the other objects",
                          **_where(r))


@check("PF602", "cloud-already-mailbox", severity="error")
def already_mailbox(batch_cloud, config):
    """The cloud object that carries the row's EmailAddress is a mailbox already.

    Why: the batch converts a mail user (RecipientTypeDetails MailUser) into a
    mailbox. If the user already has a mailbox in Exchange Online — a licence
    was assigned before the on-premises mailbox's msExchMailboxGuid reached
    the cloud, or a mailbox was created in the cloud — the row fails
    ("…ensure it has RecipientTypeDetails: MailUser"), or mail is split
    between two mailboxes.

    Fix: if the cloud mailbox holds nothing needed, remove its Exchange
    licence (or the mailbox) so the object returns to a mail user — make sure
    the on-premises msExchMailboxGuid syncs, so a licence does not create a
    mailbox again; otherwise export its content first. Then export again.

    Source: Microsoft Learn, "What you need to know about a staged email
    migration" (the batch converts the synced MailUser); Get-Recipient
    (RecipientTypeDetails).

    Needs a Get-Recipient export (Graph users do not show the recipient type).
    Skipped at `--stage complete`, when the batch has made the mail users mailboxes.
    """
    if dns_options(config).get("stage") == "complete":
        raise Missing("at stage complete the batch has made the mail users mailboxes (PF640-PF642 check what is left)")
    _exchange_view(batch_cloud)
    rows = batch_cloud.single("exchange")
    for _, r in rows[rows["recipientTypeDetails"].map(is_cloud_mailbox).to_numpy(dtype=bool)].iterrows():
        yield Problem(f"{r['address']}: the cloud object {describe_object(r)} is a mailbox already; the batch "
                      "converts a mail user", attribute="RecipientTypeDetails", fix=(
                          "remove the cloud mailbox (its licence, once msExchMailboxGuid is synced) so it is a MailUser "
                          "again; export its content first if needed"), **_where(r))


@check("PF603", "cloud-not-mail-user", severity="error")
def not_mail_user(batch_cloud):
    """The cloud object that carries the row's EmailAddress is not a mail user (a contact, group or guest).

    Why: the batch converts the synced mail-enabled user into a mailbox. When
    the only cloud recipient with the address is a mail contact, a group or a
    guest, the synced user did not get the address (or was not created), and
    the row fails.

    Fix: remove or readdress the cloud object that holds the address (a contact
    or group created in the cloud, a guest invited with it), check the synced
    user in Azure AD Connect, then export again.

    Source: Microsoft Learn, "What you need to know about a staged email
    migration"; Get-Recipient (RecipientTypeDetails values).

    Needs a Get-Recipient export. Mailboxes are PF602's.
    """
    _exchange_view(batch_cloud)
    rows = batch_cloud.single("exchange")
    kind = rows["recipientTypeDetails"]
    other = (kind != "MailUser") & ~kind.map(is_cloud_mailbox).astype(bool)
    for _, r in rows[other.to_numpy(dtype=bool)].iterrows():
        yield Problem(f"{r['address']}: the cloud object {describe_object(r)} is a {r['recipientTypeDetails'] or 'recipient'}"
                      ", not the synced mail user the batch converts", attribute="RecipientTypeDetails",
                      fix="remove the address from that object (or the object), check the user's sync, export again",
                      **_where(r))


@check("PF610", "cloud-not-synced", severity="error")
def not_synced(batch_cloud):
    """The cloud object that carries the row's EmailAddress is cloud-only, not synced from the on-premises directory.

    Why: the batch works on the mail user that directory synchronization
    created from the on-premises account (IsDirSynced True;
    onPremisesSyncEnabled true in Graph). A cloud-only object with the
    address is not linked to the on-premises mailbox: the batch cannot convert
    it, and the synced user cannot get the address ("AttributeValueMustBeUnique").

    Fix: delete the cloud-only object (or remove the address from it) so the
    synced user can take the address — or let Azure AD Connect soft-match it
    (same primary SMTP address, once hard-matching is allowed); then run a
    delta sync and export again.

    Source: Microsoft Learn, "What you need to know about a staged email
    migration"; "Azure AD Connect: when you have an existing tenant"
    (soft-matching by SMTP address); Get-Recipient (IsDirSynced), Graph user
    (onPremisesSyncEnabled: null for cloud-only, false once no longer synced).
    """
    bc = batch_cloud
    reported: set[int] = set()
    for view in ("exchange", "entra"):
        if view not in bc.views:
            continue
        rows = bc.single(view)
        cloud_only = rows["dirSynced"].eq(False).fillna(False)
        if view == "exchange":  # users: mail users and mailboxes (a cloud contact or group is PF603's)
            kind = rows["recipientTypeDetails"]
            cloud_only &= (kind == "MailUser") | kind.map(is_cloud_mailbox).astype(bool)
        rows = rows[cloud_only.to_numpy(dtype=bool)]
        for rid, r in rows.iterrows():
            if rid in reported:
                continue
            reported.add(rid)
            what = "IsDirSynced is False" if view == "exchange" else "onPremisesSyncEnabled is not true"
            yield Problem(f"{r['address']}: the cloud object {describe_object(r)} is cloud-only ({what}), not the "
                          "user synced from the on-premises directory",
                          attribute="IsDirSynced" if view == "exchange" else "onPremisesSyncEnabled",
                          fix="delete the cloud-only object or remove the address from it, then sync", **_where(r))
    if not any(v in bc.views for v in ("exchange", "entra")):
        raise Missing("no recipients or users given")
