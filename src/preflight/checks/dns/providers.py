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
    concurrently in one pass.
``dns_chains``
    ``{host: Chain}``: the Autodiscover name, the Autodiscover SRV targets and
    the MX hosts of every domain, each followed through its CNAMEs to an A or
    AAAA record (:func:`preflight.sources.dns_chain.follow`).
``dns_spf``
    ``{target: Chain}``: the TXT chains of the SPF ``include:``/``redirect=``
    targets that PF322 must follow: only for domains whose mail flows through
    Exchange Online and whose record does not name its include itself (a pass
    per level, at most 10).
``dns_outlook_anywhere``
    ``(host, Chain)`` for ``outlook_anywhere_host``.
"""

from __future__ import annotations

from ...registry import Missing, provider
from ...sources import dns as dnssrc
from ...sources import tenant as tenantsrc
from ...sources.dns_chain import follow
from .common import (
    DnsRecords,
    DomainDns,
    is_microsoft_host,
    is_spf,
    spf_expansion_targets,
    spf_includes_exo,
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
    return DnsRecords(domains, opts.get("stage"), frozenset(org))


@provider("dns_chains")
def dns_chains(dns_records, dns_source):
    # a name whose first look-up failed is not asked again (its checks error on that answer)
    names = [n for d in dns_records for n in ((d.autodiscover,) if not d.cname.failed else ()) + (
        *d.srv_targets(), *(h for _, h in d.mail_mx()))]
    return follow(dns_source, dict.fromkeys(names), known=is_microsoft_host)


@provider("dns_spf")
def dns_spf(dns_records, dns_source):
    pending = {t for d in dns_records if dns_records.mail_via_exo(d) and not spf_includes_exo(d.spf())
               for t in spf_expansion_targets(d.spf())}
    chains = {}
    for _ in range(10):  # RFC 7208 section 4.6.4: at most 10 look-ups
        pending -= set(chains)
        if not pending:
            break
        got = follow(dns_source, sorted(pending), ("TXT",))
        chains.update(got)
        pending = {t for c in got.values() if c.ok for t in spf_expansion_targets(filter(is_spf, c.records))}
    return chains


@provider("dns_outlook_anywhere")
def dns_outlook_anywhere(dns_source, config):
    host = dnssrc.dns_options(config).get("outlook_anywhere_host")
    if host is None:
        raise Missing("no Outlook Anywhere host given ([tool.preflight.dns] outlook_anywhere_host)")
    return host, follow(dns_source, [host])[host]
