"""Stage checks: what MX and Autodiscover should be at each stage of the migration
(``stage`` in ``[dns]``, or ``--stage``: ``migrating``, ``cutover``, ``complete``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Problem, check
from .common import (
    EXCHANGE_ONLINE,
    EXO_AUTODISCOVER,
    ON_PREMISES,
    OTHER,
    TTL_LIMIT,
    DnsRecords,
    DomainDns,
    Failures,
    exo_mx_host,
    settled_elsewhere,
)

if TYPE_CHECKING:
    from ...sources.dns_chain import Chain


def _mx_classes(records: DnsRecords, d: DomainDns) -> list[tuple[str, str]]:
    return [(h, records.classify(h)) for _, h in sorted(d.mail_mx())]


def _autodiscover(d: DomainDns, chains: dict[str, Chain], failures: Failures) -> tuple[str, str, str, bool] | None:
    """``(record type, owner name, where it leads, to Exchange Online)`` of the
    Autodiscover record in use, read to the end of its chain: the CNAME chain
    or A record of ``autodiscover.<domain>``, else the SRV record. None when
    there is none or it does not resolve (PF311's findings), or when a failed
    look-up leaves it unknown (then recorded in ``failures``)."""
    if failures.add(d.domain, d.cname, d.srv):
        return None
    chain = chains[d.autodiscover]
    if settled_elsewhere(d.domain, chain, failures):
        return None
    if chain.ok and chain.aliases:
        return "CNAME", d.autodiscover, " -> ".join(chain.names[1:]), chain.target in EXO_AUTODISCOVER
    if chain.ok:
        return "A", d.autodiscover, ", ".join(chain.records), False
    targets = d.srv_targets()
    if not chain.absent or not targets:
        return None
    ends = [chains[t] for t in targets]
    settled = [settled_elsewhere(d.domain, c, failures) for c in ends]  # notes every failed target
    if any(settled) or not all(c.ok for c in ends):
        return None
    return "SRV", d.srv_name, ", ".join(targets), all(t in EXO_AUTODISCOVER for t in targets)


@check("PF330", "migrating-routing", severity="info")
def migrating_routing(dns_records, dns_chains):
    """While migrating, where a batch domain's MX and Autodiscover point (on-premises, as expected).

    Why: during a staged migration, mail and Outlook keep going to the
    on-premises server; it forwards mail for migrated mailboxes (their
    TargetAddress) to Exchange Online. This finding records the routing the
    batch starts from, so a run before each batch shows it has not changed.

    Fix: nothing while migrating. After the last batch, point MX to Exchange
    Online and Autodiscover to autodiscover.outlook.com (stage `complete`).

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (route email directly to Microsoft 365 after the last batch).

    Applies at stage `migrating` (skipped at other stages). MX or Autodiscover
    already in Exchange Online is PF331's.
    """
    dns_records.require_stage("migrating")
    failures = Failures()
    for d in dns_records:
        if not failures.add(d.domain, d.mx) and d.mx.ok:
            hosts = [(h, c) for h, c in _mx_classes(dns_records, d) if c != EXCHANGE_ONLINE]
            if hosts and len(hosts) == len(d.mail_mx()):
                yield Problem(f"MX of {d.domain} points {_where(hosts)}, as expected while migrating",
                              domain=d.domain, record="MX", value=", ".join(h for h, _ in hosts))
        ad = _autodiscover(d, dns_chains, failures)
        if ad is not None and not ad[3]:
            kind, owner, shown, _ = ad
            yield Problem(f"Autodiscover of {d.domain} ({kind} {owner}) points on-premises ({shown}), as expected "
                          "while migrating", domain=d.domain, record=kind, value=shown)
    failures.raise_if_any()


_PHRASE = {ON_PREMISES: "on-premises", OTHER: "to another host (outside Exchange Online and the batch's domains)",
           EXCHANGE_ONLINE: "to Exchange Online"}


def _where(hosts: list[tuple[str, str]]) -> str:
    classes = [c for c in (ON_PREMISES, OTHER, EXCHANGE_ONLINE) if any(c == k for _, k in hosts)]
    return f"{' and '.join(_PHRASE[c] for c in classes)} ({', '.join(h for h, _ in hosts)})"


@check("PF331", "migrating-routed-to-cloud", severity="warning")
def migrating_routed_to_cloud(dns_records, dns_chains):
    """While migrating, a batch domain's MX or Autodiscover already points to Exchange Online.

    Why: in a staged migration the mailboxes not yet migrated are still on
    premises. Mail that Exchange Online receives for them has nowhere to go
    (their cloud objects are mail users that point back to the same domain),
    and Outlook sent to Exchange Online by Autodiscover cannot open an
    on-premises mailbox.

    Fix: keep MX and Autodiscover on-premises until the last batch has
    completed, then change both (stage `cutover`, then `complete`).

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (change MX and Autodiscover after all mailboxes are migrated).

    Applies at stage `migrating`.
    """
    dns_records.require_stage("migrating")
    failures = Failures()
    for d in dns_records:
        if not failures.add(d.domain, d.mx) and d.mx.ok:
            cloud = [h for h, c in _mx_classes(dns_records, d) if c == EXCHANGE_ONLINE]
            if cloud:
                yield Problem(f"MX of {d.domain} already points to Exchange Online ({', '.join(cloud)}) while "
                              "mailboxes are still on-premises", domain=d.domain, record="MX",
                              value=", ".join(cloud), fix="Point MX on-premises until the last batch completes.")
        ad = _autodiscover(d, dns_chains, failures)
        if ad is not None and ad[3]:
            kind, owner, shown, _ = ad
            yield Problem(f"Autodiscover of {d.domain} ({kind} {owner}) already points to Exchange Online "
                          f"({shown}) while mailboxes are still on-premises", domain=d.domain,
                          record=kind, value=shown,
                          fix=f"Point {owner} on-premises until the last batch completes.")
    failures.raise_if_any()


def _ttl(seconds: int) -> str:
    if seconds % 86400 == 0:
        n = seconds // 86400
        return f"{seconds} s ({n} day{'s' if n != 1 else ''})"
    if seconds % 3600 == 0:
        n = seconds // 3600
        return f"{seconds} s ({n} hour{'s' if n != 1 else ''})"
    return f"{seconds} s"


@check("PF332", "cutover-ttl", severity="error")
def cutover_ttl(dns_records):
    """At cutover, the TTL of a batch domain's MX or Autodiscover record is above 300 seconds.

    Why: when you point MX and Autodiscover to Exchange Online, resolvers keep
    serving the old records for up to their TTL: with a day's TTL, mail and
    Outlook go on-premises for a day after the change. Microsoft advises
    lowering the TTL to 300 s (5 minutes) at least 48 hours before cutover.

    Fix: set the TTL of the MX and of `autodiscover.<domain>` (and of
    `_autodiscover._tcp.<domain>`, if any) to 300 s, then wait at least the old
    TTL (48 hours for safety) before changing the records.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (route email to Microsoft 365: it can take up to 72 hours
    for DNS to update); RFC 1035 section 3.2.1 (TTL).

    Example (zone file): `@ 300 IN MX 10 mail.contoso.com.` passes;
    `@ 86400 IN MX 10 mail.contoso.com.` is reported.

    Applies at stage `cutover`. TTLs must come from the zone's authoritative
    server (or zone files): a caching resolver shows what is left of its
    cached copy, so a TTL of 300 s or less from a cache makes the check
    errored rather than passed (give `--dns-server` the authoritative server).
    """
    dns_records.require_stage("cutover")
    failures = Failures()
    for d in dns_records:
        checked = [("MX", d.domain, d.mx)]
        if not failures.add(d.domain, d.cname):  # the record changed at cutover is the name's own
            checked.append(("CNAME", d.autodiscover, d.cname) if d.cname.ok else ("A", d.autodiscover, d.a))
        checked.append(("SRV", d.srv_name, d.srv))
        for kind, owner, ans in checked:
            if failures.add(d.domain, ans) or not ans.ok or ans.ttl is None:
                continue
            if ans.ttl > TTL_LIMIT:
                yield Problem(f"the {kind} record {owner} has a TTL of {_ttl(ans.ttl)}; lower it to {TTL_LIMIT} s "
                              "at least 48 hours before cutover", domain=d.domain, record=kind, value=str(ans.ttl),
                              suggested_value=str(TTL_LIMIT),
                              fix=f"Set the TTL of {kind} {owner} to {TTL_LIMIT} s and wait at least the old TTL "
                                  "(48 hours advised) before changing the record.")
            elif not ans.authoritative:
                failures.note(d.domain, _cached(ans))
    failures.raise_if_any()


def _cached(ans):
    from dataclasses import replace

    return replace(ans, status="error", error="TTL read from a caching resolver (not authoritative): "
                                              "give --dns-server the zone's authoritative server")


@check("PF333", "complete-routing", severity="error")
def complete_routing(dns_records, dns_chains):
    """After the last batch, a batch domain's MX or Autodiscover does not point to Exchange Online.

    Why: when the migration is complete the on-premises server is going
    away: MX must deliver to Exchange Online
    (`<domain with dots as dashes>.mail.protection.outlook.com`, or the newer
    `*.mx.microsoft`) and Outlook must find the mailboxes through
    `autodiscover.<domain>` CNAME `autodiscover.outlook.com`.

    Fix: set the MX to the value the admin center shows for the domain
    (Settings > Domains > the domain > DNS records) and `autodiscover` to a
    CNAME to `autodiscover.outlook.com`; remove MX records to other hosts.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (route email directly to Microsoft 365; complete
    post-migration tasks: create an Autodiscover DNS record).

    Example (zone file): `@ IN MX 0 contoso-com.mail.protection.outlook.com.`
    and `autodiscover IN CNAME autodiscover.outlook.com.` pass.

    Applies at stage `complete`. A domain with no MX routing mail is PF310's
    finding, one with no Autodiscover record (or one that does not resolve)
    PF311's: each problem is reported once.
    """
    dns_records.require_stage("complete")
    failures = Failures()
    for d in dns_records:
        if not failures.add(d.domain, d.mx):
            wrong = [(h, c) for h, c in _mx_classes(dns_records, d) if c != EXCHANGE_ONLINE]
            if wrong:  # no MX routing mail at all is PF310's
                yield Problem(f"MX of {d.domain} points {_where(wrong)}, not to Exchange Online",
                              domain=d.domain, record="MX", value=", ".join(h for h, _ in wrong),
                              suggested_value=exo_mx_host(d.domain),
                              fix=f"Point MX to {exo_mx_host(d.domain)} (the value the admin center shows) "
                                  "and remove the other MX records.")
        if failures.add(d.domain, d.cname, d.srv):
            continue
        chain = dns_chains[d.autodiscover]
        if settled_elsewhere(d.domain, chain, failures) or chain.broken:
            continue  # PF311 reports a chain that does not resolve
        if chain.ok and chain.aliases:
            if chain.target in EXO_AUTODISCOVER:
                continue
            now, value = f"is a CNAME to {' -> '.join(chain.names[1:])}", chain.names[1]
        elif chain.ok:
            now, value = f"is an A record ({', '.join(chain.records)})", None
        elif d.srv_targets():  # an SRV record alone (else no Autodiscover record at all: PF311's finding)
            now, value = ("does not exist" if chain.status == "nxdomain" else "has no CNAME record"), None
        else:
            continue
        yield Problem(f"{d.autodiscover} {now}, not a CNAME to autodiscover.outlook.com", domain=d.domain,
                      record="CNAME", value=value, suggested_value="autodiscover.outlook.com",
                      fix=f"Make {d.autodiscover} a CNAME to autodiscover.outlook.com.")
    failures.raise_if_any()
