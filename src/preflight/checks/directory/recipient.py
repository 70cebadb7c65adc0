"""What kind of recipient a directory object is, and whether staged migration
moves it: PF210 (not a mailbox), PF211 (hidden from the GAL), PF212 (UM enabled),
PF213 (account disabled), PF214 (linked mailbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Problem, check

if TYPE_CHECKING:
    import pandas as pd

#: msExchRecipientTypeDetails values (Exchange 2007) and their names.
RECIPIENT_TYPES = {
    0x1: "user mailbox", 0x2: "linked mailbox", 0x4: "shared mailbox", 0x8: "legacy mailbox",
    0x10: "room mailbox", 0x20: "equipment mailbox", 0x40: "mail contact", 0x80: "mail user",
    0x100: "mail-enabled universal distribution group", 0x200: "mail-enabled non-universal group",
    0x400: "mail-enabled universal security group", 0x800: "dynamic distribution group",
    0x1000: "public folder", 0x2000: "system attendant mailbox", 0x4000: "system mailbox",
    0x8000: "mail forest contact", 0x10000: "user (not mail-enabled)", 0x20000: "contact (not mail-enabled)",
}
#: Types a staged migration moves: user, linked, shared, legacy, room and equipment mailboxes.
MIGRATABLE = frozenset({0x1, 0x2, 0x4, 0x8, 0x10, 0x20})
#: Mailboxes whose account is disabled by design (linked, shared, room, equipment).
DISABLED_BY_DESIGN = frozenset({0x2, 0x4, 0x10, 0x20})


def recipient_kind(objects: pd.DataFrame) -> pd.Series:
    """The recipient type of each object as a phrase ("user mailbox", "mail user", …).

    msExchRecipientTypeDetails when present (Exchange 2007); otherwise, as
    Exchange 2003 marks them: contacts and groups by objectClass, a mailbox by
    homeMDB or msExchHomeServerName, a mail-enabled user by mail/targetAddress.
    """
    import pandas as pd

    classes = objects["objectClass"]
    kind = pd.Series("user (not mail-enabled)", index=objects.index, dtype=object)
    mail_enabled = (objects["mail"] != "") | (objects["targetAddress"] != "")
    kind[mail_enabled.to_numpy(dtype=bool)] = "mail user"
    mailbox = (objects["homeMDB"] != "") | (objects["msExchHomeServerName"] != "")
    kind[mailbox.to_numpy(dtype=bool)] = "user mailbox (Exchange 2003)"
    for cls, name in (("contact", "mail contact"), ("group", "mail-enabled group"), ("publicfolder", "public folder")):
        kind[classes.map(lambda t, c=cls: c in t).to_numpy(dtype=bool)] = name
    types = objects["msExchRecipientTypeDetails"]
    known = types.notna().to_numpy(dtype=bool)
    kind[known] = types[known].map(lambda v: RECIPIENT_TYPES.get(int(v), f"recipient type {int(v)}"))
    return kind


def is_mailbox(objects: pd.DataFrame) -> pd.Series:
    """True where staged migration moves the object (a mailbox of a migratable type)."""
    types = objects["msExchRecipientTypeDetails"]
    kind = recipient_kind(objects)
    legacy = types.isna() & (kind == "user mailbox (Exchange 2003)")
    return (types.isin(MIGRATABLE).fillna(False) | legacy).astype(bool)


def mailbox_attributes(objects: pd.DataFrame) -> tuple[str, ...]:
    """The attributes :func:`is_mailbox` reads for ``objects``: objectClass, and
    homeMDB where an object has no msExchRecipientTypeDetails (an Exchange 2003
    mailbox is told by its homeMDB)."""
    if objects["msExchRecipientTypeDetails"].isna().any():
        return ("objectClass", "homeMDB")
    return ("objectClass",)


def _where(rows: pd.DataFrame, **extra) -> dict:
    return {"path": rows["path"], "row": int(rows["row"]), "line": int(rows["line"]), "column": "EmailAddress",
            "dn": rows["dn"], **extra}


@check("PF210", "directory-not-a-mailbox", severity="error")
def not_a_mailbox(batch_directory):
    """A batch row names a directory object that is not a mailbox (a contact, group, mail user or public folder).

    Why: a staged migration moves mailboxes only (user, linked, shared, room and
    equipment mailboxes). Contacts, groups and mail-enabled users reach Exchange
    Online through directory synchronization; a row naming one fails in the batch.

    Fix: remove the row from the batch. If the object should have a mailbox,
    mailbox-enable it on premises first (Enable-Mailbox), then add it to a later batch.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server 2003
    and 2007 to Microsoft 365 or Office 365" (what a staged migration moves);
    msExchRecipientTypeDetails values of the Exchange 2007 schema.
    """
    bd = batch_directory
    rows = bd.resolved()
    bd.require(*mailbox_attributes(rows))
    if rows.empty:
        return
    kind = recipient_kind(rows)
    bad = rows[~is_mailbox(rows).to_numpy()]
    for _, r in bad.iterrows():
        yield Problem(
            f"{r['address']} belongs to {r['dn']}, a {kind[_]}, not a mailbox: staged migration moves mailboxes only",
            attribute="msExchRecipientTypeDetails" if not _isna(r["msExchRecipientTypeDetails"]) else "objectClass",
            value=r["address"], fix="remove the row; mailbox-enable the object first if it should move",
            **_where(r))


def _isna(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


@check("PF211", "directory-hidden-from-gal", severity="error")
def hidden_from_gal(batch_directory):
    """The mailbox is hidden from address lists (msExchHideFromAddressLists is TRUE).

    Why: the migration of a mailbox hidden from the global address list (GAL) fails.

    Fix: unhide it before the batch starts
    (``Set-Mailbox <identity> -HiddenFromAddressListsEnabled $false``), wait for the
    offline address book to update, and hide it again in Exchange Online after the
    migration if it should stay hidden.

    Source: Microsoft Learn, "Perform a staged migration…": "the migration of
    mailboxes that are hidden from address lists fails".
    """
    batch_directory.require("msExchHideFromAddressLists")
    rows = batch_directory.resolved()
    hidden = rows[rows["msExchHideFromAddressLists"].fillna(False).to_numpy(dtype=bool)]
    for _, r in hidden.iterrows():
        yield Problem(
            f"{r['address']}: the mailbox {r['dn']} is hidden from address lists; its migration will fail",
            attribute="msExchHideFromAddressLists", value="TRUE",
            fix="Set-Mailbox -HiddenFromAddressListsEnabled $false before the batch; hide it again afterwards",
            **_where(r))


@check("PF212", "directory-um-enabled", severity="error")
def um_enabled(batch_directory):
    """The mailbox is enabled for Unified Messaging (msExchUMEnabledFlags bit 0x1,
    or a UM dial plan link).

    Why: UM must be disabled on a mailbox before it is migrated.

    Fix: note the mailbox's UM settings (extension, dial plan, PIN policy), run
    ``Disable-UMMailbox <identity>`` before the batch, and enable UM again in
    Exchange Online after the migration.

    Source: Microsoft Learn, "Perform a staged migration…" (disable UM before
    migrating; it can be re-enabled after); the Exchange schema's
    msExchUMEnabledFlags and msExchUMRecipientDialPlanLink.
    """
    rows = batch_directory.resolved()
    flags = rows["msExchUMEnabledFlags"]
    batch_directory.require(*(("msExchUMRecipientDialPlanLink",) if flags.isna().any() else ()))
    by_flag = (flags.fillna(0).astype("int64") & 1).astype(bool)
    by_link = flags.isna() & (rows["msExchUMRecipientDialPlanLink"] != "")
    for _, r in rows[(by_flag | by_link).to_numpy(dtype=bool)].iterrows():
        attr = "msExchUMEnabledFlags" if not _isna(r["msExchUMEnabledFlags"]) else "msExchUMRecipientDialPlanLink"
        value = str(r[attr])
        yield Problem(
            f"{r['address']}: the mailbox {r['dn']} is enabled for Unified Messaging ({attr} = {value})",
            attribute=attr, value=value,
            fix="Disable-UMMailbox before the batch; enable UM again in Exchange Online after the migration",
            **_where(r))


@check("PF213", "directory-account-disabled", severity="warning")
def account_disabled(batch_directory):
    """The user account of a user mailbox is disabled (userAccountControl bit 0x2).

    Why: staged migration creates a mail-enabled user in Microsoft 365 from each
    on-premises account; a disabled account usually means a leaver, whose
    mailbox may not need a license and a migration slot. Linked, shared, room
    and equipment mailboxes have disabled accounts by design and are not reported.

    Fix: confirm the mailbox should move; if not, remove the row. If it should
    move as a shared mailbox, convert it first.

    Source: Microsoft Learn, userAccountControl flags (ACCOUNTDISABLE 0x0002);
    msExchRecipientTypeDetails of the Exchange 2007 schema.
    """
    rows = batch_directory.resolved()
    batch_directory.require("userAccountControl", "msExchRecipientTypeDetails", *mailbox_attributes(rows),
                            *(("hasMasterAccountSid",) if rows["msExchRecipientTypeDetails"].isna().any() else ()))
    rows = rows[is_mailbox(rows).to_numpy()]
    disabled = (rows["userAccountControl"].fillna(0).astype("int64") & 2).astype(bool)
    by_design = rows["msExchRecipientTypeDetails"].isin(DISABLED_BY_DESIGN).fillna(False).astype(bool)
    linked_2003 = rows["msExchRecipientTypeDetails"].isna() & rows["hasMasterAccountSid"].fillna(False).astype(bool)
    for _, r in rows[(disabled & ~by_design & ~linked_2003).to_numpy(dtype=bool)].iterrows():
        yield Problem(
            f"{r['address']}: the account {r['dn']} is disabled (userAccountControl {int(r['userAccountControl'])})",
            attribute="userAccountControl", value=str(int(r["userAccountControl"])),
            fix="confirm the mailbox should move; remove the row, or convert it to a shared mailbox first",
            **_where(r))


@check("PF214", "directory-linked-mailbox", severity="warning")
def linked_mailbox(batch_directory):
    """The mailbox is a linked mailbox (msExchRecipientTypeDetails 2, or an
    Exchange 2003 mailbox with msExchMasterAccountSid).

    Why: a linked mailbox is used by an account of another (account) forest; in
    Microsoft 365 its user signs in with the cloud identity created by the
    migration, not the account-forest account, and permissions granted to the
    external account do not carry over.

    Fix: plan the sign-in identity of the user (directory sync from the account
    forest or a cloud password), and re-grant permissions after the migration.

    Source: Exchange 2007 schema, msExchRecipientTypeDetails (LinkedMailbox = 2)
    and msExchMasterAccountSid; Microsoft Learn, "Perform a staged migration…".
    """
    rows = batch_directory.resolved()
    batch_directory.require(*mailbox_attributes(rows),
                            *(("hasMasterAccountSid",) if rows["msExchRecipientTypeDetails"].isna().any() else ()))
    rows = rows[is_mailbox(rows).to_numpy()]
    types = rows["msExchRecipientTypeDetails"]
    linked = (types == 2).fillna(False) | (types.isna() & rows["hasMasterAccountSid"].fillna(False))
    for _, r in rows[linked.astype(bool).to_numpy()].iterrows():
        attr = "msExchRecipientTypeDetails" if not _isna(r["msExchRecipientTypeDetails"]) else "msExchMasterAccountSid"
        yield Problem(
            f"{r['address']}: {r['dn']} is a linked mailbox (its user signs in from another forest)",
            attribute=attr, fix="plan the user's Microsoft 365 sign-in identity; re-grant permissions afterwards",
            **_where(r))
