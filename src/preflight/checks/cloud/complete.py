"""After a batch completes (``--stage complete``): what the move left to do on both sides.
PF640 (the on-premises object still has a mailbox), PF641 (the cloud mailbox lacks the X500 of
the old legacyExchangeDN), PF642 (the cloud object has no address in the tenant's routing domain),
PF643 (the on-premises organization is authoritative for the routing domain, or has no route to it).

Each joins a batch row's on-premises object (the directory) with its Exchange Online object
(the Get-Recipient export) through the row's address.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ...registry import Missing, Problem, check, provider
from ...sources import dns as dnssrc
from .providers import BatchCloud, describe_object
from .recipient import is_cloud_mailbox

if TYPE_CHECKING:
    import pandas as pd

    from ...sources.recipients import TenantRecipients
    from ...sources.tenant import TenantDomains
    from ..directory.providers import BatchDirectory

_ONMICROSOFT = ".onmicrosoft.com"
_ROUTING = ".mail.onmicrosoft.com"


def at_stage_complete(config: Any) -> None:
    """Raise :class:`Missing` unless the run is at ``--stage complete``."""
    stage = dnssrc.dns_options(config).get("stage")
    if stage != "complete":
        raise Missing(f"applies after the batch completes (--stage complete); the stage is {stage or 'not given'}")


def _cloud_rows(bc: BatchCloud) -> pd.DataFrame:
    """Rows with exactly one Exchange Online recipient (Get-Recipient), joined with it."""
    if "exchange" not in bc.views:
        raise Missing("the cloud mailbox comes from Get-Recipient (RecipientTypeDetails, EmailAddresses); "
                      "no Get-Recipient export given")
    return bc.single("exchange")


@provider("batch_moved")
def batch_moved(batch_cloud: BatchCloud, batch_directory: BatchDirectory) -> pd.DataFrame:
    """The batch rows whose Exchange Online recipient is a mailbox, each joined with its one
    on-premises object: the directory's columns, and the cloud object's with the suffix ``_cloud``
    (``name_cloud``, ``proxyAddresses_cloud``, ``recipientTypeDetails_cloud``, ``source_cloud``, …)."""
    cloud = _cloud_rows(batch_cloud)
    cloud = cloud[cloud["recipientTypeDetails"].map(is_cloud_mailbox).to_numpy(dtype=bool)]
    cloud = cloud.drop(columns=["address", "line", "key", "oid"]).add_suffix("_cloud")
    onprem = batch_directory.resolved()
    return onprem.merge(cloud, left_on=["path", "row"], right_on=["path_cloud", "row_cloud"])


def _cloud_object(r: Any) -> str:
    return describe_object({"name": r["name_cloud"], "recipientTypeDetails": r["recipientTypeDetails_cloud"],
                            "source": r["source_cloud"], "item": r["item_cloud"], "view": "exchange"})


def _where(r: Any, **extra: Any) -> dict[str, Any]:
    return {"path": r["path"], "row": int(r["row"]), "line": int(r["line"]), "column": "EmailAddress",
            "dn": r["dn"], **extra}


@check("PF640", "complete-onprem-mailbox-not-converted", severity="error")
def onprem_mailbox_not_converted(batch_moved, batch_directory, config):
    """The batch completed, but the user's on-premises object is still a mailbox (it has a homeMDB).

    Why: a staged migration copies the mailbox and forwards mail through the
    on-premises object's targetAddress, but leaves the on-premises mailbox in
    place. Until it is converted to a mail-enabled user, the user has two
    mailboxes: on-premises users, Outlook profiles and Autodiscover can still
    open the old one, and when the on-premises servers are decommissioned the
    mailbox is removed with its proxy addresses, which directory
    synchronization then removes from the cloud mailbox too.

    Fix: convert the on-premises mailbox to a mail-enabled user whose
    targetAddress is the cloud mailbox's address: Microsoft's
    ExportO365UserInfo.ps1 and Exchange2007MBtoMEU.ps1 scripts (Exchange 2007),
    or the Exchange 2003 procedure, which keep the proxy addresses and add the
    old legacyExchangeDN as an X500 address.

    Source: failure cause A-01 of the staged-migration taxonomy; Microsoft
    Learn, "Convert Exchange 2007 mailboxes to mail-enabled users in Exchange
    Online" and "Convert Exchange 2003 mailboxes to mail-enabled users in
    Exchange Online" (after a staged migration).

    Applies at `--stage complete`, with the directory and a Get-Recipient
    export: a row whose cloud recipient is a mailbox and whose on-premises
    object still has a homeMDB.
    """
    at_stage_complete(config)
    batch_directory.require("homeMDB")
    for _, r in batch_moved.iterrows():
        if r["homeMDB"]:
            yield Problem(f"{r['address']}: the mailbox is in Exchange Online ({_cloud_object(r)}), but the "
                          f"on-premises object {r['dn']} is still a mailbox (homeMDB {r['homeMDB']})",
                          attribute="homeMDB", value=r["homeMDB"],
                          fix="convert the on-premises mailbox to a mail-enabled user (Exchange2007MBtoMEU.ps1, or "
                              "the Exchange 2003 procedure) with its targetAddress set to the cloud mailbox",
                          **_where(r))


def _x500(proxies: Any) -> set[str]:
    return {p[5:].strip().casefold() for p in proxies if isinstance(p, str) and p[:5].casefold() == "x500:"}


@check("PF641", "complete-x500-missing", severity="error")
def x500_missing(batch_moved, batch_directory, config):
    """The cloud mailbox lacks an X500 address equal to the on-premises legacyExchangeDN (or an older one).

    Why: Outlook and Exchange address internal mail, meeting requests and the
    nickname cache by the recipient's legacyExchangeDN, not its SMTP address.
    Once the mailbox is in Exchange Online, replies to old mail and entries in
    the users' autocomplete lists name the old legacyExchangeDN; unless the
    cloud mailbox carries it as an `X500:` proxy address they bounce with an
    IMCEAEX non-delivery report (550 5.1.1). The on-premises object's X500
    addresses (legacyExchangeDNs it had before) are needed for the same reason.

    Fix: add the missing value as an X500 address to the on-premises object
    (`Set-MailUser <user> -EmailAddresses @{add='X500:<legacyExchangeDN>'}`, as
    the conversion scripts do) and let directory synchronization carry it to
    the cloud mailbox; then export Get-Recipient again.

    Source: failure cause A-03 of the staged-migration taxonomy; Microsoft
    support, "IMCEAEX non-delivery report when you send email messages to an
    internal user in Office 365" (KB 2807779); Microsoft Learn, "Convert
    Exchange 2007 mailboxes to mail-enabled users" (the X500 proxy).

    Applies at `--stage complete`, with the directory (legacyExchangeDN,
    proxyAddresses) and a Get-Recipient export (EmailAddresses).
    """
    at_stage_complete(config)
    batch_directory.require("legacyExchangeDN")
    for _, r in batch_moved.iterrows():
        needed = {v.strip(): None for v in [r["legacyExchangeDN"]] if isinstance(v, str) and v.strip()}
        needed.update({p[5:].strip(): None for p in r["proxyAddresses"] if p[:5].casefold() == "x500:"})
        have = _x500(r["proxyAddresses_cloud"])
        missing = [v for v in needed if v.casefold() not in have]
        if missing:
            more = f" (and {len(missing) - 1} more X500 address(es) of the on-premises object)" if len(missing) > 1 else ""
            yield Problem(f"{r['address']}: the cloud mailbox {_cloud_object(r)} has no X500 address {missing[0]}"
                          f"{more}: replies to old mail bounce (IMCEAEX)", attribute="proxyAddresses",
                          value=missing[0], suggested_value=f"X500:{missing[0]}",
                          fix=f"add X500:{missing[0]} to the on-premises object's proxyAddresses and let it sync",
                          related=tuple({"value": f"X500:{v}"} for v in missing[1:20]), **_where(r))


@provider("tenant_routing_domain")
def tenant_routing_domain(cloud_recipients: TenantRecipients | None = None,
                          tenant_domains: TenantDomains | None = None) -> str:
    """The tenant's routing domain ``<tenant>.mail.onmicrosoft.com``: named in the tenant's domain export,
    or made from its initial domain ``<tenant>.onmicrosoft.com`` (the domain export, else the domain the
    most cloud addresses use)."""
    objects = cloud_recipients.objects["proxyAddresses"] if cloud_recipients is not None else []
    counts = Counter(a.rpartition("@")[2].strip().casefold() for proxies in objects
                     for a in proxies if a[:5].casefold() == "smtp:" and a.casefold().endswith(_ONMICROSOFT))
    for names in (sorted(tenant_domains.domains) if tenant_domains is not None else [],
                  [d for d, _ in counts.most_common()]):
        for d in names:
            if d.endswith(_ROUTING) and d.count(".") == 3:
                return d
        for d in names:
            if d.endswith(_ONMICROSOFT) and d.count(".") == 2:
                return d[: -len(_ONMICROSOFT)] + _ROUTING
    raise Missing("the tenant's routing domain (<tenant>.mail.onmicrosoft.com) is not known: give the tenant's "
                  "domain export (--tenant-domains), or a Get-Recipient export with the EmailAddresses")


@check("PF642", "complete-no-routing-address", severity="error")
def no_routing_address(batch_cloud, tenant_routing_domain, config):
    """The user's Exchange Online object has no address in the tenant's routing domain (`<tenant>.mail.onmicrosoft.com`).

    Why: mail for a migrated user reaches Exchange Online through the
    on-premises object's targetAddress, an address in the routing domain;
    the cloud mailbox must carry that address, or the forwarded mail is not
    delivered, the conversion scripts find no address to set as the
    targetAddress, and moves fail with "The target mailbox doesn't have an
    SMTP proxy matching '<tenant>.mail.onmicrosoft.com'". The cloud object of
    a synced user takes its addresses from the on-premises proxyAddresses.

    Fix: give the on-premises object an `smtp:` address in the routing domain
    (an email address policy, or `Set-Mailbox`/`Set-MailUser -EmailAddresses
    @{add='smtp:<alias>@<tenant>.mail.onmicrosoft.com'}`), let directory
    synchronization carry it, and point the targetAddress at it.

    Source: failure cause K-06 of the staged-migration taxonomy
    (MicrosoftDocs/OfficeDocs-Exchange issue 1061:
    `MigrationMRSPermanentException`, "The target mailbox doesn't have an SMTP
    proxy matching …"); Microsoft Learn, "Convert Exchange 2007 mailboxes to
    mail-enabled users" (the targetAddress in the service's domain).

    Applies at `--stage complete`, with a Get-Recipient export; the routing
    domain comes from the tenant's domain export, or from its initial domain.
    """
    at_stage_complete(config)
    suffix = "@" + tenant_routing_domain
    for _, r in _cloud_rows(batch_cloud).iterrows():
        addresses = [p[5:] for p in r["proxyAddresses"] if p[:5].casefold() == "smtp:"] + [r["mail"]]
        if not any(isinstance(a, str) and a.strip().casefold().endswith(suffix) for a in addresses):
            alias = r["address"].partition("@")[0]
            yield Problem(f"{r['address']}: the cloud object {describe_object(r)} has no address in the routing "
                          f"domain {tenant_routing_domain}", attribute="EmailAddresses", domain=tenant_routing_domain,
                          suggested_value=f"smtp:{alias}{suffix}",
                          fix=f"add smtp:{alias}{suffix} to the on-premises object's proxyAddresses, let it sync, and "
                              "point its targetAddress at it",
                          path=r["path"], row=int(r["row"]), line=int(r["line"]), column="EmailAddress",
                          value=r["address"])


def _covers(pattern: str, domain: str) -> bool:
    """True when an accepted domain, recipient policy domain or address space (``*``,
    ``contoso.com``, ``*.contoso.com``) takes in ``domain``."""
    pattern = pattern.strip().casefold()
    if pattern == "*" or pattern == domain:
        return True
    return pattern.startswith("*.") and (domain == pattern[2:] or domain.endswith(pattern[1:]))


@check("PF643", "complete-routing-domain-onprem", severity="error")
def routing_domain_onprem(exchange_configuration, tenant_routing_domain, config):
    """The on-premises organization takes the tenant's routing domain as its own, or has no route to it.

    Why: after the batch, mail for a migrated user reaches Exchange Online
    through the on-premises object's targetAddress in the routing domain
    (`<tenant>.mail.onmicrosoft.com`). When the organization is authoritative
    for that domain (an Exchange 2007 accepted domain of type Authoritative,
    or an Exchange 2003 recipient policy address without "This Exchange
    Organization is responsible for all mail delivery to this address"
    cleared), Exchange looks for the recipient at home instead of sending it
    on: the message loops back to the mail user and ends in a non-delivery
    report (5.4.6, a routing loop) or is rejected. Exchange 2007 transport
    sends mail to another organization only through a Send connector whose
    address space covers the domain; without one, mail to the routing domain
    stays queued.

    Fix: make the routing domain non-authoritative on premises (Exchange 2007:
    remove the accepted domain, or `Set-AcceptedDomain -DomainType
    InternalRelay`; Exchange 2003: in the recipient policy, clear "This
    Exchange Organization is responsible for all mail delivery to this
    address"), and route it out: a Send connector (SMTP connector in 2003)
    with the address space `*` or `<tenant>.mail.onmicrosoft.com`, using DNS
    or a smart host that reaches Exchange Online.

    Source: failure cause A-06 of the staged-migration taxonomy; Microsoft
    Learn (Exchange 2007), "Accepted domains" (Authoritative, InternalRelay,
    ExternalRelay) and "Send connectors" (address spaces); Exchange's
    msExchAcceptedDomainFlags (the low two bits: 0 Authoritative, 1
    ExternalRelay, 2 InternalRelay), msExchNonAuthoritativeDomains and
    routingList.

    Applies at `--stage complete`, with the Configuration partition (accepted
    domains, recipient policies, connectors: the README's export command) and
    the tenant's routing domain (`--tenant-domains`, or the Get-Recipient
    export). The missing connector is reported when the organization has an
    Exchange 2007 server (an Exchange 2003 server delivers by DNS without one).
    """
    at_stage_complete(config)
    org = exchange_configuration
    org.require_configuration()
    if not org.routing_read:
        from ...sources.directory.configuration import EXPORT_COMMANDS

        raise Missing("the Configuration partition read holds no recipient policy (msExchRecipientPolicy), so its "
                      f"mail routing is unknown: export it with {EXPORT_COMMANDS[0]}")
    domain = tenant_routing_domain
    accepted = [d for d in org.mail_domains if d.source == "accepted-domain"]
    # With Exchange 2007, accepted domains decide; recipient policies alone are Exchange 2003's.
    for d in accepted or org.mail_domains:
        if d.authoritative and _covers(d.domain, domain):
            what = "accepted domain" if d.source == "accepted-domain" else "recipient policy address"
            yield Problem(f"the on-premises organization is authoritative for the routing domain {domain} "
                          f"({what} {d.domain!r} of {d.name!r}): mail forwarded to migrated users loops (NDR 5.4.6)",
                          dn=d.dn, domain=domain, value=d.domain,
                          attribute="msExchAcceptedDomainFlags" if accepted else "msExchNonAuthoritativeDomains",
                          fix=("make it non-authoritative: Set-AcceptedDomain -DomainType InternalRelay (or remove it)"
                               if accepted else "clear 'This Exchange Organization is responsible for all mail "
                               "delivery to this address' for it in the recipient policy"))
    has_2007 = any(s.version is not None and s.version.major == 8 for s in org.servers)
    if has_2007 and not any(_covers(space, domain) for c in org.connectors for space in c.address_spaces):
        yield Problem(f"no Send connector of the on-premises organization routes to the routing domain {domain} "
                      f"(address spaces: {', '.join(sorted({s for c in org.connectors for s in c.address_spaces})) or 'none'})"
                      ": mail forwarded to migrated users stays queued", domain=domain, attribute="routingList",
                      fix=f"create a Send connector with the address space * or {domain} (DNS, or a smart host that "
                          "reaches Exchange Online)")
