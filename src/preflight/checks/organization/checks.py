"""PF800–PF808: the Exchange organization (servers and their versions, where the batch
mailboxes live), what staged migration leaves behind (public folders, dynamic distribution
groups, delegates, FullAccess and Send As), Autodiscover SCPs at cutover, the domain's password length."""

from __future__ import annotations

from urllib.parse import urlsplit

from ...registry import Missing, Problem, check
from ..directory.recipient import is_mailbox, mailbox_attributes

#: How many names an inventory finding lists before it counts the rest.
FIRST_NAMES = 10
#: Host names of Exchange Online's Autodiscover: an SCP pointing there does not keep Outlook on premises.
CLOUD_HOSTS = ("outlook.com", "office365.com", "outlook.office365.com")
#: The shortest password Microsoft Entra password hash sync and the cloud accept.
MIN_PASSWORD_LENGTH = 8


def _first(names: list[str]) -> str:
    shown = ", ".join(names[:FIRST_NAMES])
    return shown + (f" and {len(names) - FIRST_NAMES} more" if len(names) > FIRST_NAMES else "")


@check("PF800", "organization-exchange-2010-or-later", severity="error")
def exchange_2010_or_later(exchange_configuration):
    """An Exchange 2010 or later server is in the organization, or a server's version cannot be read.

    Why: Microsoft: "A staged migration can only be run in Exchange 2003 and 2007 environments.
    Staged migrations are not supported in organizations running Exchange 2010 or later." One
    such server in the Configuration partition — a half-finished upgrade, a server never
    uninstalled — and the migration must be a hybrid one. A server whose version cannot be read
    is reported too: the gate does not pass what it cannot tell.

    Fix: use a hybrid migration (the Hybrid Configuration Wizard) instead of a staged one; or,
    if the server is a leftover, uninstall Exchange from it properly (that removes its server
    object). For a server whose version is unknown, check its ``serialNumber`` and
    ``Get-ExchangeServer | Format-Table Name,AdminDisplayVersion``.

    Source: Microsoft Learn, "What you need to know about a staged email migration"
    (Exchange 2003 and 2007 only); the version in ``serialNumber`` ("Version 8.3 (Build 83.6)")
    and the bits of ``versionNumber`` (major in bits 27–22, minor 21–16, build 14–0), as Exchange's
    own ServerVersion reads them.
    """
    exchange_configuration.require_servers()
    for s in exchange_configuration.servers:
        if s.version is None:
            yield Problem(
                f"Exchange server {s.name}: its version cannot be read (serialNumber {s.serial_number!r}, "
                f"versionNumber {s.version_number}): staged migration needs every server to be Exchange 2003 or 2007",
                dn=s.dn, attribute="serialNumber", object_class="msExchExchangeServer", value=s.serial_number,
                fix="check the server's version (Get-ExchangeServer | Format-Table Name,AdminDisplayVersion)")
        elif s.version.hybrid_era:
            yield Problem(
                f"Exchange server {s.name} is {s.version}: staged migration is not supported in an organization "
                "with Exchange 2010 or later; use a hybrid migration",
                dn=s.dn, attribute="serialNumber" if s.serial_number else "versionNumber",
                object_class="msExchExchangeServer", value=s.serial_number or str(s.version_number),
                fix="migrate with a hybrid deployment (Hybrid Configuration Wizard), or uninstall Exchange from "
                    f"{s.name} if it is a leftover")


@check("PF801", "organization-mailbox-server-version", severity="error")
def mailbox_server_version(batch_directory, exchange_configuration):
    """A batch mailbox lives on a server that is not Exchange 2003 or 2007 (or on no known server).

    Why: a staged migration reads each mailbox through Outlook Anywhere from an Exchange 2003
    or 2007 server; a mailbox already moved to an Exchange 2010 or later server (or homed on a
    server no longer in the organization) cannot be migrated by it.

    Fix: move the mailbox back to an Exchange 2003/2007 server, or migrate it with a hybrid
    (remote move) migration; for an unknown server, check the mailbox's ``homeMDB`` and
    ``msExchHomeServerName`` (``Get-Mailbox <user> | Format-List ServerName,Database``).

    Source: Microsoft Learn, "What you need to know about a staged email migration";
    ``msExchHomeServerName`` holds the server's ``legacyExchangeDN``, ``homeMDB`` the store's DN.
    """
    exchange_configuration.require_servers()
    bd = batch_directory
    rows = bd.resolved()
    bd.require("homeMDB", "msExchHomeServerName", *mailbox_attributes(rows))
    rows = rows[is_mailbox(rows).to_numpy()]
    for _, r in rows.iterrows():
        if not (r["homeMDB"] or r["msExchHomeServerName"]):
            continue
        server = exchange_configuration.server_of(r["msExchHomeServerName"], r["homeMDB"])
        where = {"path": r["path"], "row": int(r["row"]), "line": int(r["line"]), "column": "EmailAddress",
                 "dn": r["dn"]}
        if server is None:
            yield Problem(
                f"{r['address']}: its server ({r['msExchHomeServerName'] or r['homeMDB']}) is not an Exchange "
                "server of the Configuration partition: the mailbox cannot be opened for the migration",
                attribute="msExchHomeServerName" if r["msExchHomeServerName"] else "homeMDB",
                value=r["msExchHomeServerName"] or r["homeMDB"],
                fix="check the mailbox's server and database (Get-Mailbox | Format-List ServerName,Database)",
                **where)
        elif server.version is None or not server.version.staged_source:
            what = str(server.version) if server.version else "of unknown version"
            yield Problem(
                f"{r['address']}: its mailbox is on {server.name}, {what}: staged migration moves mailboxes "
                "from Exchange 2003 and 2007 only",
                attribute="msExchHomeServerName", value=r["msExchHomeServerName"] or r["homeMDB"],
                related=({"dn": server.dn},),
                fix="move the mailbox to an Exchange 2003/2007 server, or use a hybrid migration", **where)


@check("PF802", "organization-public-folders", severity="info")
def public_folders(exchange_configuration):
    """The organization has public folders (public folder stores or trees): staged migration leaves them behind.

    Why: Microsoft: staged migrations won't migrate public folders. Users moved to Exchange
    Online cannot open on-premises public folders (cause A-11), and Exchange 2003/2007 public
    folders cannot be migrated to Exchange Online directly.

    Fix: plan the public folders' future before the last batch: copy their content to shared
    mailboxes or Microsoft 365 groups (Outlook/PST export and import, or a third-party tool),
    and recreate mail-enabled folders' addresses there.

    Source: Microsoft Learn, "What you need to know about a staged email migration" (public
    folders are not migrated); the failure taxonomy's cause A-11; public folder stores are
    ``msExchPublicMDB`` and trees ``msExchPFTree`` objects in the Configuration partition.
    """
    exchange_configuration.require_configuration()
    stores = [st for st in exchange_configuration.stores if st.kind == "public"]
    trees = exchange_configuration.public_folder_trees
    if not stores and not trees:
        return
    names = [f"{st.name}" + (f" ({st.server_dn.split(',')[0][3:]})" if st.server_dn else "") for st in stores]
    yield Problem(
        f"{len(stores)} public folder store(s) and {len(trees)} public folder tree(s) in the organization"
        + (f": {_first(names)}" if names else "") + "; staged migration does not move public folders",
        dn=(stores[0].dn if stores else trees[0]), object_class="msExchPublicMDB" if stores else "msExchPFTree",
        metrics={"public_folder_stores": len(stores), "public_folder_trees": len(trees)},
        fix="move public folder content to shared mailboxes or Microsoft 365 groups before the last batch")


@check("PF803", "organization-dynamic-distribution-groups", severity="info")
def dynamic_groups(exchange_configuration, directory):
    """The organization has dynamic (query-based) distribution groups: staged migration does not recreate them.

    Why: Microsoft: staged migrations won't migrate dynamic distribution groups. Their
    filters (an LDAP filter in ``msExchDynamicDLFilter`` on Exchange 2003/2007) do not carry over;
    mail to them keeps reaching only on-premises members' copies of the group until they are recreated.

    Fix: recreate each group in Exchange Online with
    ``New-DynamicDistributionGroup -RecipientFilter`` (the LDAP filter rewritten as an OPATH
    filter), after the batches whose users they include.

    Source: Microsoft Learn, "What you need to know about a staged email migration" (dynamic
    distribution groups are not migrated); objects of class ``msExchDynamicDistributionList``.
    Live, the domain partition is searched for them; from exports, the user export must include
    ``(objectClass=msExchDynamicDistributionList)`` in its filter (README), and an export holding
    none is skipped, not passed (its filter may have left them out).
    """
    groups = exchange_configuration.dynamic_groups
    if groups is None:
        frame = getattr(directory, "frame", None)
        if frame is None:
            raise Missing("the directory source cannot list dynamic distribution groups")
        found = frame[frame["objectClass"].map(lambda c: "msexchdynamicdistributionlist" in c)]
        if found.empty:
            raise Missing("the directory export holds no dynamic distribution group (objectClass="
                          "msExchDynamicDistributionList): if the organization has some, add that class to the "
                          "export's filter (README: The Exchange organization)")
        groups = tuple((dn, name or cn) for dn, name, cn in zip(found["dn"], found["displayName"], found["cn"],
                                                                 strict=True))
    if not groups:
        return
    yield Problem(
        f"{len(groups)} dynamic distribution group(s) in the organization: {_first([n for _, n in groups])}; "
        "staged migration does not recreate them in Exchange Online",
        dn=groups[0][0], object_class="msExchDynamicDistributionList", metrics={"dynamic_groups": len(groups)},
        related=tuple({"dn": dn} for dn, _ in groups[1:FIRST_NAMES]),
        fix="recreate them with New-DynamicDistributionGroup -RecipientFilter in Exchange Online")


@check("PF804", "organization-delegated-permissions", severity="info")
def delegated_permissions(batch_directory, directory):
    """A batch mailbox has delegates (Send on Behalf, ``publicDelegates``): staged migration does not carry them over.

    Why: Microsoft: staged migrations won't migrate delegated permissions granted on a mailbox.
    Each grant must be made again in Exchange Online after the move, or the delegates lose
    access (cause A-09 in the failure taxonomy).

    Fix: after the batch completes, grant each delegate again:
    ``Set-Mailbox <mailbox> -GrantSendOnBehalfTo @{Add="<delegate>"}``. The finding names
    the delegates so the commands can be scripted.

    Source: Microsoft Learn, "What you need to know about a staged email migration" (delegated
    permissions are not migrated); ``publicDelegates`` (Send on Behalf) on the mailbox's user.
    """
    bd = batch_directory
    rows = bd.resolved()
    bd.require("publicDelegates", *mailbox_attributes(rows))
    rows = rows[is_mailbox(rows).to_numpy()]
    rows = rows[rows["publicDelegates"].map(len) > 0]
    if rows.empty:
        return
    delegates = list(dict.fromkeys(d for ds in rows["publicDelegates"] for d in ds))
    found = directory.lookup_dns(delegates)
    address = {dn.casefold(): (mail or cn) for dn, mail, cn in zip(found["dn"], found["mail"], found["cn"],
                                                                   strict=True)}
    for _, r in rows.iterrows():
        names = [address.get(d.casefold(), d) for d in r["publicDelegates"]]
        grant = ",".join(f'"{n}"' for n in names)
        yield Problem(
            f"{r['address']}: Send on Behalf granted to {', '.join(names)}; grant it again in Exchange Online "
            "after the move",
            path=r["path"], row=int(r["row"]), line=int(r["line"]), column="EmailAddress", dn=r["dn"],
            attribute="publicDelegates", value="; ".join(r["publicDelegates"]),
            related=tuple({"dn": d} for d in r["publicDelegates"]),
            fix=f'Set-Mailbox "{r["address"]}" -GrantSendOnBehalfTo @{{Add={grant}}}')


@check("PF805", "organization-autodiscover-scp", severity="warning")
def autodiscover_scp(exchange_configuration, config):
    """At cutover or completion (``--stage cutover|complete``), an Autodiscover SCP still points on premises.

    Why: domain-joined Outlook asks Active Directory for Autodiscover service connection points
    before DNS: an Exchange 2007 SCP in the Configuration partition keeps sending migrated
    users' Outlook to the on-premises server (new profiles fail or open the wrong mailbox)
    although the autodiscover DNS record points to Exchange Online. Auto-detection of the
    migration endpoint also follows SCPs and server names.

    Fix: clear the SCP's URL on each Exchange 2007 Client Access server
    (``Set-ClientAccessServer <server> -AutoDiscoverServiceInternalUri $null``), or have
    Outlook skip SCP lookup (registry value ``ExcludeScpLookup`` = 1 under
    ``HKCU\\Software\\Microsoft\\Office\\<version>\\Outlook\\AutoDiscover``).

    Source: failure taxonomy causes K-05 (SCP takes precedence for domain-joined Outlook) and
    E-06 (bad Autodiscover DNS/SCP); Microsoft Learn, "Find Autodiscover endpoints by using SCP
    lookup in Exchange" (SCP URL keyword ``77378F46-2C66-4aa9-A6A6-3E7A48B19596``).
    """
    stage = (config.dns or {}).get("stage")
    if stage not in ("cutover", "complete"):
        raise Missing("applies at --stage cutover or complete (Outlook uses the SCPs before DNS)")
    exchange_configuration.require_configuration()
    for scp in exchange_configuration.scps:
        if scp.pointer:
            continue
        on_premises = [u for u in scp.urls if not _cloud(u)]
        if on_premises:
            server = scp.dn.split(",")[0][3:]
            yield Problem(
                f"Autodiscover SCP {server} still points to {', '.join(on_premises)}: domain-joined Outlook "
                "finds it before the autodiscover DNS record",
                dn=scp.dn, attribute="serviceBindingInformation", object_class="serviceConnectionPoint",
                value=on_premises[0],
                fix=f"Set-ClientAccessServer {server} -AutoDiscoverServiceInternalUri $null "
                    "(or ExcludeScpLookup on the clients)")


def _cloud(url: str) -> bool:
    host = (urlsplit(url.strip()).hostname or "").casefold()
    return any(host == h or host.endswith("." + h) for h in CLOUD_HOSTS)


@check("PF806", "organization-min-password-length", severity="warning")
def min_password_length(exchange_configuration):
    """The domain's minimum password length (``minPwdLength``) is below 8 characters.

    Why: with password hash sync, users whose on-premises passwords are shorter than 8
    characters have sign-in problems after the move (cause A-13: field reports of failed or
    wrong-password sign-ins); Microsoft Entra ID's own policy asks for 8 to 256 characters, which
    a Password column or a reset in the cloud must meet. Federated (AD FS) domains sign in on
    premises and are not affected.

    Fix: raise the domain's minimum password length to 8 or more (Default Domain Policy, or
    a fine-grained password policy) well before the batches, so users change to longer passwords.

    Source: failure taxonomy cause A-13 (password hash sync needs a policy of at least 8
    characters); Microsoft Entra password policy (8 to 256 characters); the domain head's
    ``minPwdLength``.
    """
    exchange_configuration.require_domains()
    known = [d for d in exchange_configuration.domains if d.min_pwd_length is not None]
    if not known:
        raise Missing("the domain head read has no minPwdLength: add it to the export's attribute list")
    for d in known:
        if d.min_pwd_length is not None and d.min_pwd_length < MIN_PASSWORD_LENGTH:
            yield Problem(
                f"domain {d.dn}: minimum password length is {d.min_pwd_length}, below {MIN_PASSWORD_LENGTH}: "
                "passwords that short fail Exchange Online's policy when password hash sync is used",
                dn=d.dn, attribute="minPwdLength", object_class="domainDNS", value=str(d.min_pwd_length),
                suggested_value=str(MIN_PASSWORD_LENGTH),
                fix=f"set the domain's minimum password length to {MIN_PASSWORD_LENGTH} or more (Default Domain Policy)")


def _grants(batch_directory, mailbox_permissions, right, attribute, command):
    """A finding for each batch mailbox with explicit grants of ``right`` (read from ``attribute``),
    its fix the ``command`` (``{mailbox}``, ``{trustee}``) for each trustee."""
    mailbox_permissions.require(attribute)
    rows = batch_directory.resolved()
    for _, r in rows.iterrows():
        found = [g for g in mailbox_permissions.grants.get(r["dn"].casefold(), ()) if g.right == right]
        if not found:
            continue
        names = [mailbox_permissions.name(g.sid) for g in found]
        yield Problem(
            f"{r['address']}: {'Send As' if right == 'SendAs' else right} granted to {', '.join(names)}; "
            "grant it again in Exchange Online after the move",
            path=r["path"], row=int(r["row"]), line=int(r["line"]), column="EmailAddress", dn=r["dn"],
            attribute=attribute, value="; ".join(g.sid for g in found),
            fix="; ".join(command.format(mailbox=r["address"], trustee=n) for n in names))


@check("PF807", "organization-full-access", severity="info")
def full_access(batch_directory, mailbox_permissions):
    """Others hold FullAccess on a batch mailbox (``msExchMailboxSecurityDescriptor``): staged migration
    does not carry it over.

    Why: Microsoft: staged migrations won't migrate delegated permissions granted on a mailbox.
    Whoever opened the mailbox (an assistant, a shared-mailbox team) loses access after the move
    until FullAccess is granted again in Exchange Online (cause A-09 in the failure taxonomy).

    Fix: after the batch completes, grant it again — the finding names each trustee:
    ``Add-MailboxPermission -Identity <mailbox> -User <trustee> -AccessRights FullAccess``.

    Source: Microsoft Learn, "What you need to know about a staged email migration"; the mailbox
    rights mask of ``msExchMailboxSecurityDescriptor`` (FullAccess ``0x1``), parsed with winacl.
    Only explicit grants to other accounts count (inherited, deny and SELF entries are left out).
    """
    yield from _grants(batch_directory, mailbox_permissions, "FullAccess", "msExchMailboxSecurityDescriptor",
                       'Add-MailboxPermission -Identity "{mailbox}" -User "{trustee}" -AccessRights FullAccess')


@check("PF808", "organization-send-as", severity="info")
def send_as(batch_directory, mailbox_permissions):
    """Others hold Send As on a batch mailbox (the Send-As extended right on ``nTSecurityDescriptor``):
    staged migration does not carry it over.

    Why: Microsoft: staged migrations won't migrate delegated permissions granted on a mailbox.
    Mail sent as the mailbox by its delegates fails after the move until Send As is granted again
    in Exchange Online (cause A-09 in the failure taxonomy).

    Fix: after the batch completes, grant it again — the finding names each trustee:
    ``Add-RecipientPermission -Identity <mailbox> -Trustee <trustee> -AccessRights SendAs``.

    Source: Microsoft Learn, "What you need to know about a staged email migration"; the Send-As
    extended right ``ab721a54-1e2f-11d0-9819-00aa0040529b`` granted by an object ACE with the
    control-access right on the user's ``nTSecurityDescriptor`` (MS-ADTS 5.1.3.2.1), and the SendAs
    bit (``0x2``) of ``msExchMailboxSecurityDescriptor``; parsed with winacl. Explicit grants to
    other accounts only.
    """
    yield from _grants(batch_directory, mailbox_permissions, "SendAs", "nTSecurityDescriptor",
                       'Add-RecipientPermission -Identity "{mailbox}" -Trustee "{trustee}" -AccessRights SendAs')
