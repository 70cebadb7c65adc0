"""Providers of the tenant and DNS data the PF3xx checks ask for.

``tenant_domains``
    :class:`preflight.sources.tenant.TenantDomains` from ``[tenant]``
    (Missing when none is given).
``mail_domains``
    the distinct EmailAddress domains of the batch files (normalized:
    stripped, case-folded, IDNA A-labels), ``{domain: DomainUse}``.
``directory_primary_domains``
    the primary SMTP domains of the batch's mailboxes in the directory (data
    ``directory``, built by the directory area) that are not EmailAddress
    domains of the batch: ``{domain: [(address, primary, dn), ...]}``.
``dns_source``
    the configured :class:`preflight.sources.dns.DnsSource` (live or zone files).
``dns_records``
    :class:`.common.DnsRecords`: every answer the domain checks read, looked up
    concurrently in one pass (plus the SPF includes, a pass per level).
``dns_outlook_anywhere``
    ``(host, [A answer, AAAA answer])`` for ``outlook_anywhere_host``.
"""

from __future__ import annotations

from ...registry import Missing, provider
from ...sources import dns as dnssrc
from ...sources import tenant as tenantsrc
from .common import (
    DnsRecords,
    DomainDns,
    is_spf,
    spf_authorizes_exo,
    spf_expansion_targets,
)


@provider("tenant_domains")
def tenant_domains(config):
    return tenantsrc.tenant_from_config(config)


@provider("mail_domains")
def mail_domains(batches):
    if not batches:
        raise Missing("no batch file given")
    domains = dnssrc.batch_domains(batches)
    if not domains:
        raise Missing("no EmailAddress with a valid domain in the batch files")
    return dnssrc.MailDomains(domains)  # described in Report.inputs: the rows that use each domain


@provider("directory_primary_domains")
def directory_primary_domains(batch_directory, batches):
    """Primary SMTP domains of the batch's mailboxes (each row resolved to one
    directory object by the directory area) that are not already EmailAddress
    domains of the batch files."""
    from ..directory.address import primary_smtp

    batch_doms = set(dnssrc.batch_domains(batches))
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for _, r in batch_directory.resolved().iterrows():
        primary = primary_smtp(r["proxyAddresses"]) or r["mail"]
        dom = dnssrc.normalize_domain(primary.rpartition("@")[2]) if "@" in primary else None
        if dom is not None and dom not in batch_doms:
            out.setdefault(dom, []).append((r["address"], primary, r["dn"]))
    return out


@provider("dns_source")
def dns_source(config):
    return dnssrc.source_from_config(config)


def _queries(domain: str) -> list[tuple[str, str]]:
    return [(domain, "MX"), (domain, "TXT"), (f"autodiscover.{domain}", "CNAME"), (f"autodiscover.{domain}", "A"),
            (f"_autodiscover._tcp.{domain}", "SRV")]


@provider("dns_records")
def dns_records(dns_source, mail_domains, config):
    opts = dnssrc.dns_options(config)
    queries = [q for d in mail_domains for q in _queries(d)]
    answers = dns_source.lookup(queries)
    domains = {}
    for d, use in mail_domains.items():
        mx, txt, cname, a, srv = (answers[q] for q in _queries(d))
        domains[d] = DomainDns(d, use, mx, txt, cname, a, srv)
    org = set(mail_domains)
    host = opts.get("outlook_anywhere_host")
    if host and host.count(".") >= 2:
        org.add(host.split(".", 1)[1])
    records = DnsRecords(domains, opts.get("stage"), frozenset(org))
    # SPF includes: one concurrent pass per level, only for records that do not
    # name Exchange Online's include themselves; at most 10 levels (RFC 7208).
    pending = {t for dd in domains.values() for t in spf_expansion_targets(dd.spf())
               if spf_authorizes_exo(dd.spf(), {})[0] is not True}
    for _ in range(10):
        pending -= set(records.spf_lookups)
        if not pending:
            break
        got = dns_source.lookup((t, "TXT") for t in sorted(pending))
        records.spf_lookups.update({name: ans for (name, _), ans in got.items()})
        pending = {t for ans in got.values() if ans.ok for t in spf_expansion_targets(filter(is_spf, ans.records))}
    return records


@provider("dns_outlook_anywhere")
def dns_outlook_anywhere(dns_source, config):
    host = dnssrc.dns_options(config).get("outlook_anywhere_host")
    if host is None:
        raise Missing("no Outlook Anywhere host given ([tool.preflight.dns] outlook_anywhere_host)")
    got = dns_source.lookup([(host, "A"), (host, "AAAA")])
    return host, [got[(host, "A")], got[(host, "AAAA")]]
