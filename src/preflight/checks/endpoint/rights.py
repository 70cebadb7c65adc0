"""Migration account rights (PF540-PF545): can ``--migration-account`` open every batch mailbox,
write each user's ``targetAddress``, and last the migration; permission entries of deleted users.

Data names (providers here): ``migration_account`` (the name given), ``migration_rights``
(:class:`preflight.sources.rights.Rights`, read from the directory source: live DC or ldifde LDIF)
and ``store_dacls`` (the mailbox stores' DACLs from the Exchange organization data,
``exchange_configuration``; None when the Configuration partition was not given).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ...registry import Missing, Problem, check, provider
from ...sources.endpoint import endpoint_options
from .access import CONTROL_ACCESS, FULL_ACCESS, RECEIVE_AS, WRITE_PROPERTY, Decision, with_self
from .access import check as access_check

GRANT_FULL_ACCESS = ("Add-MailboxPermission -Identity '{dn}' -User '{account}' -AccessRights FullAccess "
                     "-InheritanceType All (Exchange 2007; Exchange 2003: Active Directory Users and Computers, "
                     "Exchange Advanced > Mailbox Rights > Full mailbox access), or Receive As on its database: "
                     "Add-ADPermission -Identity '<database>' -User '{account}' -ExtendedRights Receive-As")
GRANT_TARGET_ADDRESS = ("Add-ADPermission -Identity '{dn}' -User '{account}' -AccessRights WriteProperty "
                        "-Properties targetAddress (or for the whole OU: dsacls \"<OU DN>\" /I:S /G "
                        "\"{account}:WP;targetAddress;user\")")


@provider("migration_account")
def migration_account(config):
    account = endpoint_options(config).get("migration_account")
    if not account:
        raise Missing("no migration account given (--migration-account, or [tool.preflight.endpoint] migration_account)")
    return account


def batch_mailboxes(batch_directory) -> Any:
    """The batch rows that resolve to one mailbox (rows of :meth:`BatchDirectory.resolved`)."""
    from ..directory.recipient import is_mailbox, mailbox_attributes

    resolved = batch_directory.resolved()
    batch_directory.require(*mailbox_attributes(resolved))
    return resolved[is_mailbox(resolved).to_numpy(dtype=bool)]


@provider("migration_rights")
def migration_rights(directory, migration_account, batch_directory=None):
    from ...sources.rights import rights_reader

    dns: list[str] = []
    if batch_directory is not None:
        dns = list(dict.fromkeys(batch_mailboxes(batch_directory)["dn"]))
    return rights_reader(directory).read(migration_account, dns)


@provider("store_dacls")
def store_dacls(exchange_configuration=None):
    """Mailbox store DN (case-folded) -> its decoded DACL, or the reason it is unknown (a ``str``);
    None when no Configuration partition was given."""
    from ...sources.rights import UndecodableDescriptor, decode_dacl

    if exchange_configuration is None or not exchange_configuration.configuration_read:
        return None
    out: dict[str, Any] = {}
    for store in exchange_configuration.stores:
        if store.kind != "mailbox":
            continue
        if store.descriptor is None:
            out[store.dn.casefold()] = (f"the Configuration partition read holds no nTSecurityDescriptor of {store.dn} "
                                        "(add nTSecurityDescriptor to the export's -l list; live: the account may not "
                                        "read it)")
            continue
        try:
            out[store.dn.casefold()] = decode_dacl(store.descriptor)
        except UndecodableDescriptor as exc:
            out[store.dn.casefold()] = f"the nTSecurityDescriptor of {store.dn} cannot be decoded: {exc}"
    return out


def _where(row: Any) -> dict[str, Any]:
    return {"path": row.path, "row": int(row.row), "line": int(row.line), "column": "EmailAddress", "dn": row.dn}


def _token(rights) -> frozenset[str]:
    from ...registry import SourceError

    if rights.account.token is None:
        raise SourceError(rights.account.token_error or "the migration account's groups could not be read")
    return rights.account.token


def _full_access(rights, user, token) -> tuple[Decision, str]:
    """FullAccess in the mailbox's descriptor, and what the message says of it."""
    if "msExchMailboxSecurityDescriptor" in user.errors:
        why = user.errors["msExchMailboxSecurityDescriptor"]
        return Decision(False), f"its msExchMailboxSecurityDescriptor cannot be read: {why}"
    if not user.has_mailbox_sd:
        return Decision(False), "it has no msExchMailboxSecurityDescriptor, so no FullAccess can be seen"
    decision = access_check(user.mailbox, with_self(token, rights.account.dn, user.dn), FULL_ACCESS)
    return decision, f"FullAccess is {'granted' if decision.granted else 'not granted'}: {decision.because()}"


@check("PF540", "endpoint-account-mailbox-access", severity="error")
def mailbox_access(migration_rights, batch_directory, store_dacls):
    """The migration account cannot open a batch mailbox: no FullAccess on it, no Receive As on its store.

    Why: the migration service logs on to every mailbox of the batch as the account of the
    migration endpoint (``New-MigrationEndpoint -ExchangeOutlookAnywhere -MailboxPermission``).
    Microsoft asks for FullAccess on each mailbox, or Receive As on the mailbox databases (both
    with WriteProperty on ``targetAddress``, PF542). A mailbox the account cannot open fails in
    the batch, found one mailbox at a time by ``Test-MigrationServerAvailability``. Membership of
    Domain Admins alone does not decide it: Exchange denies Receive As to the admin groups at the
    organization object, inherited downwards. preflight reads the effective ACEs (explicit and
    inherited, in DACL order: a deny before an allow) of the mailbox's
    ``msExchMailboxSecurityDescriptor`` and of its store's (``homeMDB``) ``nTSecurityDescriptor``
    in the Configuration partition (which holds the ACEs inherited from the storage group,
    server, administrative group and organization), for the account and every group it is in
    (``tokenGroups`` on a live DC; ``memberOf`` followed to its end in an export). A mailbox
    whose store's descriptor was not read is not decided: the check is then skipped, with the
    count. Note: on Exchange 2003 the store's own copy of the mailbox's permissions is
    authoritative and can differ from AD's.

    Fix: grant FullAccess on the mailbox
    (``Add-MailboxPermission -Identity <mailbox> -User <account> -AccessRights FullAccess``),
    or Receive As on its database
    (``Add-ADPermission -Identity <database> -User <account> -ExtendedRights Receive-As``);
    remove a deny that names the account or one of its groups. Use a dedicated account outside
    the admin groups.

    Source: learn.microsoft.com/exchange/mailbox-migration/assign-permissions-for-migration;
    New-MigrationEndpoint (``-MailboxPermission``); KB 821897 (the organization-level deny);
    causes E-07 and E-08 of ../shared/staged-failures.md.
    """
    migration_rights.require("mailbox_sd")
    undecided, findings = _mailbox_access(migration_rights, batch_directory, store_dacls)
    yield from findings
    if undecided:
        raise Missing(f"{undecided} batch mailbox(es) are not opened by FullAccess, and Receive As on their mailbox "
                      f"stores is unknown: {_why_unknown(store_dacls)}")


def _why_unknown(store_dacls) -> str:
    if store_dacls is None:
        return ("the Configuration partition was not given (live: it is read from the DC; offline: give its export "
                "with nTSecurityDescriptor, README: Migration account rights)")
    reasons = sorted({v for v in store_dacls.values() if isinstance(v, str)})
    return "; ".join(reasons[:3]) or "their stores (homeMDB) are not in the Configuration partition read"


def _mailbox_access(rights, batch_directory, store_dacls) -> tuple[int, list[Problem]]:
    """How many batch mailboxes cannot be decided, and a Problem per mailbox the account cannot open."""
    token = _token(rights)
    account = rights.account
    undecided, problems = 0, []
    for row in batch_mailboxes(batch_directory).itertuples(index=False):
        user = rights.users.get(row.dn.casefold())
        if user is None:
            undecided += 1
            continue
        full, said = _full_access(rights, user, token)
        if full.granted:
            continue
        store = (store_dacls or {}).get(str(row.homeMDB).casefold()) if row.homeMDB else None
        if store is None or isinstance(store, str):
            undecided += 1
            continue
        receive = access_check(store, token, CONTROL_ACCESS, frozenset({RECEIVE_AS}))
        if receive.granted:
            continue
        problems.append(Problem(
            f"{account.name} cannot open the mailbox {row.dn}: {said}; Receive As on its store {row.homeMDB} is "
            f"not granted: {receive.because()}",
            attribute="msExchMailboxSecurityDescriptor", value=row.homeMDB,
            fix=GRANT_FULL_ACCESS.format(dn=row.dn, account=account.name), **_where(row)))
    return undecided, problems


@check("PF541", "endpoint-account-no-mailbox-access", severity="error")
def no_mailbox_access(migration_rights, batch_directory, store_dacls):
    """The migration account can open none of the batch mailboxes (one finding for the run).

    Why: every mailbox of the batch would fail; usually the wrong account, an account in the admin
    groups that Exchange's organization-level deny of Receive As defeats, or rights granted on
    the wrong databases. PF540 names each mailbox.

    Fix: use a dedicated migration account and grant it Receive As on the mailbox databases
    (``Add-ADPermission -Identity <database> -User <account> -ExtendedRights Receive-As``) or
    FullAccess on the mailboxes, plus WriteProperty on targetAddress (PF542).

    Source: learn.microsoft.com/exchange/mailbox-migration/assign-permissions-for-migration;
    causes E-07 and E-08 of ../shared/staged-failures.md.
    """
    migration_rights.require("mailbox_sd")
    undecided, problems = _mailbox_access(migration_rights, batch_directory, store_dacls)
    total = len(batch_mailboxes(batch_directory))
    if problems and not undecided and len(problems) == total:
        account = migration_rights.account
        yield Problem(f"{account.name} can open none of the {total} batch mailbox(es) (PF540 names each)",
                      dn=account.dn, fix="grant Receive As on the mailbox databases or FullAccess on the mailboxes")


@check("PF542", "endpoint-account-target-address", severity="error")
def target_address(migration_rights, batch_directory):
    """The migration account may not write a batch user's ``targetAddress`` (no WriteProperty on it).

    Why: when the batch starts, the migration sets each on-premises user's ``targetAddress`` to
    forward mail to Exchange Online; without WriteProperty on that attribute (in the user's
    ``nTSecurityDescriptor``: the attribute's schemaIDGUID, its property set, or all properties)
    it fails with INSUFF_ACCESS_RIGHTS and mail is not forwarded. Users with ``adminCount=1``
    (members of protected groups, now or once) get their DACL from ``CN=AdminSDHolder`` every
    hour (SDProp), inheritance off: a right granted on their OU never reaches them, one added on
    the user is taken away again; for them preflight reads AdminSDHolder's DACL.

    Fix: grant WriteProperty on targetAddress on the users' OU
    (``dsacls "<OU DN>" /I:S /G "<DOMAIN\\account>:WP;targetAddress;user"``) or per user
    (``Add-ADPermission -Identity <user> -User <account> -AccessRights WriteProperty -Properties targetAddress``);
    for protected users,
    on ``CN=AdminSDHolder,CN=System,<domain>``, or take them out of the protected groups and clear
    adminCount and the protection.

    Source: learn.microsoft.com/exchange/mailbox-migration/assign-permissions-for-migration;
    cause S-08 of ../shared/staged-failures.md.
    """
    migration_rights.require("user_sd", "schema")
    token = _token(migration_rights)
    account = migration_rights.account
    guids = migration_rights.target_address_guids
    for row in batch_mailboxes(batch_directory).itertuples(index=False):
        user = migration_rights.users.get(row.dn.casefold())
        fix = GRANT_TARGET_ADDRESS.format(dn=row.dn, account=account.name)
        if user is None or "nTSecurityDescriptor" in user.errors or not user.has_user_sd:
            why = user.errors.get("nTSecurityDescriptor") if user else None
            yield Problem(f"the nTSecurityDescriptor of {row.dn} could not be read{': ' + why if why else ''}; "
                          f"whether {account.name} may write its targetAddress is unknown",
                          attribute="nTSecurityDescriptor", fix=fix, **_where(row))
            continue
        tokens = with_self(token, account.dn, user.dn)
        if user.admin_count == 1 and migration_rights.has_admin_sd_holder:
            decision = access_check(migration_rights.admin_sd_holder, tokens, WRITE_PROPERTY, guids)
            if not decision.granted:
                yield Problem(f"{row.dn} has adminCount=1: AdminSDHolder's DACL, stamped on it every hour, does not "
                              f"let {account.name} write targetAddress ({decision.because()})",
                              attribute="targetAddress", value="adminCount=1",
                              fix="grant WriteProperty on targetAddress on CN=AdminSDHolder,CN=System,<domain>, or "
                                  "remove the user from the protected groups and clear adminCount", **_where(row))
            continue
        decision = access_check(user.user, tokens, WRITE_PROPERTY, guids)
        if not decision.granted:
            yield Problem(f"{account.name} may not write targetAddress of {row.dn}: {decision.because()}",
                          attribute="targetAddress", fix=fix, **_where(row))


def _account_problem(account, message: str, fix: str, value: str | None = None) -> Problem:
    return Problem(f"migration account {account.name} ({account.dn}): {message}", dn=account.dn, value=value,
                   fix=fix)


@check("PF543", "endpoint-account-unusable", severity="error")
def account_unusable(migration_rights):
    """The migration account cannot log on now: disabled, locked out, its password expired or to
    be changed at next logon, or the account expired.

    Why: every connection of the migration service to the Exchange 2003/2007 server logs on as
    this account; a batch started with it fails at once ("unable to connect to the remote server
    using the credentials provided"), a running one stops syncing.

    Fix: enable or unlock the account, set a new password (and give the endpoint the new one:
    ``Set-MigrationEndpoint -Credentials``), clear "must change password at next logon", extend
    ``accountExpires``.

    Source: cause E-09 of ../shared/staged-failures.md (``pwdLastSet`` vs ``maxPwdAge``,
    ``lockoutTime``, userAccountControl).
    """
    account = migration_rights.account
    now = datetime.now(timezone.utc)
    if account.disabled:
        yield _account_problem(account, "the account is disabled", "enable it (Enable-ADAccount)", "disabled")
    if account.locked:
        yield _account_problem(account, "the account is locked out", "unlock it (Unlock-ADAccount) and find what "
                               "sends the wrong password", "locked")
    if account.must_change:
        yield _account_problem(account, "its password must be changed at the next logon (pwdLastSet = 0)",
                               "set a password the migration endpoint then uses", "pwdLastSet=0")
    elif account.password_expires is not None and account.password_expires <= now:
        yield _account_problem(account, f"its password expired on {account.password_expires:%Y-%m-%d %H:%M} UTC",
                               "set a new password and give it to the endpoint (Set-MigrationEndpoint -Credentials)",
                               "password expired")
    if account.account_expires is not None and account.account_expires <= now:
        yield _account_problem(account, f"the account expired on {account.account_expires:%Y-%m-%d} UTC",
                               "extend accountExpires (Set-ADAccountExpiration)", "account expired")


@check("PF544", "endpoint-account-expiring", severity="warning")
def account_expiring(migration_rights, config):
    """The migration account will stop working within the migration window: its password or the
    account expires within ``migration_window_days`` (default 30).

    Why: a staged migration runs for weeks (incremental syncs every 24 hours until the batch is
    completed); when the account's password expires the endpoint's credentials stop working and
    every batch stops syncing ("unable to connect … using the credentials provided"). The password
    expiry is the DC's ``msDS-UserPasswordExpiryTimeComputed`` (a fine-grained password policy
    included), or in an export without it ``pwdLastSet`` plus the domain's ``maxPwdAge``.

    Fix: set "password never expires" for the migration account for the migration, or change its
    password now and update the endpoint; extend ``accountExpires``.

    Source: cause E-09 of ../shared/staged-failures.md.
    """
    account = migration_rights.account
    if account.password_unknown and not account.must_change:
        raise Missing(account.password_unknown)
    days = endpoint_options(config)["migration_window_days"]
    now = datetime.now(timezone.utc)
    end = now + timedelta(days=days)
    if account.password_expires is not None and now < account.password_expires <= end:
        yield _account_problem(account, f"its password expires on {account.password_expires:%Y-%m-%d} UTC, within "
                               f"the {days}-day migration window", "set password never expires for the migration, "
                               "or change it now and update the endpoint", "password expires")
    if account.account_expires is not None and now < account.account_expires <= end:
        yield _account_problem(account, f"the account expires on {account.account_expires:%Y-%m-%d} UTC, within "
                               f"the {days}-day migration window", "extend accountExpires", "account expires")


@check("PF545", "endpoint-orphaned-mailbox-permissions", severity="warning")
def orphaned_permissions(migration_rights, batch_directory):
    """A batch mailbox's permissions name accounts that no longer exist (deleted users' SIDs).

    Why: the move copies the mailbox's permissions; an entry whose SID resolves to no object is
    counted as a bad item, and enough of them fail the move with
    ``TooManyBadItemsPermanentException``. Only SIDs of the domains read are judged (a SID of
    another forest, such as a linked mailbox's master account, cannot be told deleted).

    Fix: remove the orphaned entries
    (``Get-MailboxPermission <mailbox> | ? {$_.User -like 'S-1-5-21-*'} | Remove-MailboxPermission``;
    Exchange 2003: the Mailbox Rights dialog), or raise the batch's ``BadItemLimit``.

    Source: cause I-05 of ../shared/staged-failures.md (orphaned SIDs in mailbox ACLs).
    """
    migration_rights.require("mailbox_sd", "sids")
    domains = migration_rights.looked_up_domains
    existing = migration_rights.existing_sids
    from ...sources.rights import domain_of

    for row in batch_mailboxes(batch_directory).itertuples(index=False):
        user = migration_rights.users.get(row.dn.casefold())
        if user is None or not user.mailbox:
            continue
        orphans = sorted({a.sid for a in user.mailbox if domain_of(a.sid) in domains and a.sid not in existing
                          and a.sid != user.master_sid})
        count = sum(1 for a in user.mailbox if a.sid in orphans)
        if orphans:
            yield Problem(f"{count} permission entr{'y' if count == 1 else 'ies'} of msExchMailboxSecurityDescriptor "
                          f"name{'s' if count == 1 else ''} deleted account(s): {', '.join(orphans)}",
                          attribute="msExchMailboxSecurityDescriptor", value=str(count),
                          metrics={"orphaned_aces": float(count)},
                          fix="remove them (Remove-MailboxPermission) or raise the batch's BadItemLimit", **_where(row))
