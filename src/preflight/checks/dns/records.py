"""Records every stage needs: MX, Autodiscover, and the Outlook Anywhere host."""

from __future__ import annotations

from ...registry import Problem, check
from .common import Failures, Offline, exo_mx_host, settled_elsewhere


@check("PF310", "mx-missing", severity="error")
def mx_missing(dns_records, dns_chains):
    """A batch domain has no MX record that routes mail.

    Why: senders deliver to the hosts of the domain's MX records; with none
    (or only a null MX `0 .`, or only Microsoft's `ms….msv1.invalid`
    verification MX), mail to the domain's mailboxes bounces, before and
    after the migration. Each MX target is classified as Exchange Online
    (`*.mail.protection.outlook.com`, `*.mx.microsoft`), on-premises (a host
    in one of the batch's domains or the Outlook Anywhere host's) or other;
    the stage checks (PF330–PF333) read that. Each MX host is followed
    through its CNAME records to an A or AAAA record: a host that does not
    exist, has no address, or ends in a CNAME loop is reported, as senders
    cannot deliver to it (Exchange Online's hosts are not looked up).

    Fix: add an MX record: to the on-premises server while migrating, to
    `<domain with dots as dashes>.mail.protection.outlook.com` after the last batch;
    give an MX host an A record (an MX must not point to a CNAME, RFC 2181).

    Source: RFC 5321 section 5.1 (MX look-up), RFC 7505 (null MX), RFC 2181
    section 10.3 (MX to an alias); Microsoft Learn, "Add DNS records to connect your domain".

    Example (zone file): `@ 3600 IN MX 10 mail.contoso.com.` with
    `mail IN A 198.51.100.25` passes; no MX record, only `@ IN MX 0 .`, or an
    MX host without an address is reported.
    """
    failures = Failures()
    offline = Offline("whether this MX host resolves", "MX")
    for d in dns_records:
        if failures.add(d.domain, d.mx):
            continue
        hosts = list(dict.fromkeys(h for _, h in sorted(d.mail_mx())))
        if not hosts:
            why = d.mx.describe_absence() if d.mx.absent else "only " + ", ".join(
                "a null MX (RFC 7505)" if m.host == "." else f"the verification MX {m.host}" for m in d.mx.records)
            yield Problem(f"{d.domain} has no MX record routing mail: {why} ({d.use.where()})", domain=d.domain,
                          record="MX", fix=f"Add an MX record for {d.domain} (on-premises while migrating, "
                                           "Exchange Online after the last batch).", related=d.use.related(),
                          suggested_value=exo_mx_host(d.domain) if dns_records.stage == "complete" else None)
            continue
        for host in hosts:
            chain = dns_chains[host]
            if chain.ok or settled_elsewhere(d.domain, chain, failures, offline):
                continue
            yield Problem(f"the MX host {host} of {d.domain} does not resolve: {chain.why()}; senders cannot "
                          f"deliver to it ({d.use.where()})", domain=d.domain, record="MX", value=host,
                          fix=f"Give {host} an A record (or point the MX of {d.domain} to a host that has one).",
                          related=d.use.related())
    yield from offline.problems()
    failures.raise_if_any()


@check("PF311", "autodiscover-missing", severity="error")
def autodiscover_missing(dns_records, dns_chains):
    """A batch domain has no working Autodiscover record (`autodiscover.<domain>` or `_autodiscover._tcp.<domain>` SRV).

    Why: Outlook and mobile clients find a mailbox's server through
    Autodiscover; without it they cannot set up a profile, and after the
    migration they cannot find the mailbox in Exchange Online. The staged
    migration's connection test also uses Autodiscover unless you give the
    server settings by hand. A record whose chain does not end in an address
    (a CNAME loop, a CNAME or SRV record to a host that does not exist or has
    no address) is as good as none: it is reported too.

    Fix: add `autodiscover.<domain>` as a CNAME (or A record) to the
    on-premises Client Access server while migrating, then a CNAME to
    `autodiscover.outlook.com` after the last batch. An SRV record
    `_autodiscover._tcp.<domain>` alone is a fallback Outlook tries last.

    Source: Microsoft Learn, "Autodiscover service in Exchange Server"; "Add DNS
    records to connect your domain" (Autodiscover CNAME); RFC 1034 section
    3.6.2 (CNAME chains), RFC 2782 (SRV targets).

    Example (zone file): `autodiscover 3600 IN CNAME mail.contoso.com.` with
    `mail IN A 198.51.100.25` passes; `autodiscover IN CNAME ad2.contoso.com.`
    with `ad2 IN CNAME autodiscover.contoso.com.` (a loop) is reported.
    """
    failures = Failures()
    offline = Offline("whether Autodiscover resolves through it", "CNAME")
    for d in dns_records:
        if failures.add(d.domain, d.cname, d.srv):
            continue
        chain = dns_chains[d.autodiscover]
        if not settled_elsewhere(d.domain, chain, failures, offline) and chain.broken:
            yield Problem(f"{d.autodiscover} does not resolve: {chain.why()} ({d.use.where()})", domain=d.domain,
                          record="CNAME", value=chain.names[1],
                          fix=f"Make {d.autodiscover} a CNAME to a host with an A record (the on-premises Client "
                              "Access server while migrating, autodiscover.outlook.com after the last batch).",
                          related=d.use.related())
        for target in d.srv_targets():
            srv = dns_chains[target]
            if srv.ok or settled_elsewhere(d.domain, srv, failures, offline):
                continue
            yield Problem(f"the SRV record {d.srv_name} points to {target}, which does not resolve: {srv.why()} "
                          f"({d.use.where()})", domain=d.domain, record="SRV", value=target,
                          fix=f"Point {d.srv_name} to a host with an A record, or remove it.", related=d.use.related())
        if not chain.absent or d.srv_targets():
            continue
        yield Problem(f"{d.domain} has no Autodiscover record: {d.autodiscover} has no CNAME or A record and "
                      f"{d.srv_name} has no SRV record ({d.use.where()})", domain=d.domain, record="CNAME",
                      value=d.autodiscover,
                      suggested_value="autodiscover.outlook.com" if dns_records.stage == "complete" else None,
                      fix=f"Add {d.autodiscover} as a CNAME to the on-premises Client Access server (while "
                          "migrating) or to autodiscover.outlook.com (after the last batch).",
                      related=d.use.related())
    yield from offline.problems()
    failures.raise_if_any()


@check("PF340", "outlook-anywhere-unresolved", severity="error")
def outlook_anywhere_unresolved(dns_outlook_anywhere):
    """The Outlook Anywhere host (`outlook_anywhere_host` in `[dns]`) does not resolve.

    Why: a staged migration's endpoint connects to the on-premises server over
    Outlook Anywhere (RPC over HTTP) by this public host name; if it has no
    address the endpoint cannot be created and no mailbox migrates.

    Fix: publish an A (or AAAA) record for the host in public DNS, pointing to
    the server (or the firewall that publishes it), or correct the name in
    the config (`Get-OutlookAnywhere | fl ExternalHostname` shows it).

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (configure Outlook Anywhere; create a migration endpoint).

    Skipped when no host is configured.
    """
    host, chain = dns_outlook_anywhere
    if chain.ok:
        return
    failures = Failures()
    offline = Offline("whether the Outlook Anywhere host resolves", "A")
    if not settled_elsewhere(host, chain, failures, offline):
        yield Problem(f"the Outlook Anywhere host {host} does not resolve: {chain.why()}", domain=host, record="A",
                      value=host, fix=f"Publish an A record for {host}, or correct outlook_anywhere_host.")
    yield from offline.problems()
    failures.raise_if_any()
