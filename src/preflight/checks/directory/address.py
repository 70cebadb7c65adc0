"""Does each batch row's EmailAddress name exactly one object, by its
WindowsEmailAddress? PF200 (no object), PF201 (several objects), PF202 (not the
mailbox's WindowsEmailAddress), PF203 (mail and primary SMTP address disagree)."""

from __future__ import annotations

from ...registry import Problem, check


def primary_smtp(proxies: tuple[str, ...]) -> str:
    """The primary SMTP address (the ``SMTP:`` upper-case proxy), or ""."""
    return next((p[5:] for p in proxies if p.startswith("SMTP:")), "")


def _where(r) -> dict:
    return {"path": r["path"], "row": int(r["row"]), "line": int(r["line"]), "column": "EmailAddress"}


@check("PF200", "directory-no-object", severity="error")
def no_object(batch_directory):
    """No directory object carries the row's EmailAddress (as ``mail`` or an ``smtp:`` proxy address).

    Why: the batch resolves each row to an on-premises mailbox by its address;
    a row that matches none fails with "the user could not be found".

    Fix: correct the address (a typo, an old domain, a leaver), or remove the row.

    Source: Microsoft Learn, "Perform a staged migration…": the EmailAddress
    column holds the primary SMTP address of the on-premises mailbox.
    """
    bd = batch_directory
    bd.require()
    missing = bd.rows[~bd.rows.index.isin(bd.matches["rid"])]
    for _, r in missing.iterrows():
        yield Problem(f"{r['address']}: no directory object has this address (mail or proxyAddresses)",
                      value=r["address"], fix="correct the address or remove the row", **_where(r))


@check("PF201", "directory-address-ambiguous", severity="error")
def ambiguous(batch_directory):
    """The row's EmailAddress is carried by more than one directory object.

    Why: an address must identify one recipient. Two objects with the same
    proxy address break directory synchronization (a duplicate-attribute
    error) and the batch cannot tell which mailbox to move.

    Fix: remove the address from every object but the mailbox that should
    own it (Set-Mailbox -EmailAddresses @{remove=…} or ADSI Edit), then run the
    check again.

    Source: Microsoft Learn, "Prepare directory attributes for synchronization"
    (proxyAddresses must be unique); IdFix duplicate rule.
    """
    bd = batch_directory
    bd.require()
    counts = bd.matches["rid"].value_counts()
    for rid in sorted(counts[counts > 1].index):
        r = bd.rows.loc[rid]
        dns = bd.objects.loc[bd.matches.loc[bd.matches["rid"] == rid, "oid"], "dn"].tolist()
        yield Problem(f"{r['address']} is on {len(dns)} directory objects: {'; '.join(dns)}",
                      attribute="proxyAddresses", value=r["address"],
                      related=tuple({"dn": d} for d in dns),
                      fix="keep the address on one object only", **_where(r))


@check("PF202", "directory-not-windows-email-address", severity="error")
def not_windows_email_address(batch_directory):
    """The row's EmailAddress is a secondary address of the mailbox, not its
    WindowsEmailAddress (the ``mail`` attribute).

    Why: Microsoft: the email address of the mail-enabled user created in
    Microsoft 365 must match the WindowsEmailAddress of the on-premises
    mailbox; a secondary proxy address in the batch makes the mailbox fail.

    Fix: replace the value with the mailbox's WindowsEmailAddress (the message
    names it; it is normally the primary SMTP address).

    Source: Microsoft Learn, "Perform a staged migration…" (the mail-enabled
    user's address must match the WindowsEmailAddress).
    """
    batch_directory.require()
    rows = batch_directory.resolved()
    mail = rows["mail"].str.strip()
    wrong = rows[(mail != "") & (mail.str.casefold() != rows["key"])]
    for _, r in wrong.iterrows():
        yield Problem(f"{r['address']} is a secondary address of {r['dn']}; its WindowsEmailAddress is {r['mail']}",
                      dn=r["dn"], attribute="mail", value=r["address"], suggested_value=r["mail"],
                      fix=f"use {r['mail']} in the batch", **_where(r))


@check("PF203", "directory-mail-not-primary-smtp", severity="warning")
def mail_not_primary(batch_directory):
    """The mailbox's ``mail`` attribute differs from its primary SMTP proxy address (``SMTP:``).

    Why: Exchange keeps ``mail`` equal to the primary SMTP address; when they
    disagree (an edit in ADSI Edit, a failed email address policy) directory
    sync and the migration pick different addresses for one mailbox.

    Fix: let the email address policy set both, or make ``mail`` and the
    ``SMTP:`` proxy address the same (Set-Mailbox -PrimarySmtpAddress).

    Source: Microsoft Learn, "Perform a staged migration…" (WindowsEmailAddress);
    Exchange recipient attributes (mail, proxyAddresses).
    """
    batch_directory.require()
    rows = batch_directory.resolved()
    primary = rows["proxyAddresses"].map(primary_smtp).astype("string").str.strip()
    mail = rows["mail"].str.strip()
    bad = rows[((mail != "") & (primary != "") & (mail.str.casefold() != primary.str.casefold())).to_numpy(dtype=bool)]
    for i, r in bad.iterrows():
        yield Problem(f"{r['address']}: {r['dn']} has mail {r['mail']} but primary SMTP address {primary[i]}",
                      dn=r["dn"], attribute="proxyAddresses", value=str(primary[i]),
                      fix="make mail and the SMTP: proxy address the same (Set-Mailbox -PrimarySmtpAddress)",
                      **_where(r))
