"""PF630: a proxy address of the on-premises mailbox is in a domain the tenant does not accept."""

from __future__ import annotations

from ...registry import Problem, check
from ...sources.dns import normalize_domain


@check("PF630", "cloud-proxy-domain-not-accepted", severity="warning")
def proxy_domain_not_accepted(batch_directory, tenant_domains):
    """A secondary smtp: proxy address of the batch's on-premises mailbox is in a domain the tenant does not accept.

    Why: Exchange Online keeps only addresses in its accepted domains (the
    tenant's verified domains with the Email service). A proxy address in
    another domain is dropped from the cloud object or stops the migration
    (`NotAcceptedDomainException`); mail to it no longer reaches the user
    once the mailbox is in Exchange Online.

    Fix: verify the domain in the tenant (Settings > Domains, with Exchange),
    or remove the address from the mailbox on premises
    (`Set-Mailbox -EmailAddresses @{remove='smtp:…'}`; with an email address
    policy, change the policy) before the batch.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (verified domains); Exchange Online accepted domains.

    Needs the on-premises directory and the tenant's domains; the primary SMTP
    address's domain is PF301's.
    """
    accepted = set(tenant_domains.verified_email())
    rows = batch_directory.resolved()
    for _, r in rows.iterrows():
        bad = []
        for p in r["proxyAddresses"]:
            if p[:5] != "smtp:" or "@" not in p:  # secondary SMTP addresses (SMTP: is the primary)
                continue
            domain = normalize_domain(p.rpartition("@")[2])
            if domain is not None and domain not in accepted:
                bad.append((p, domain))
        if bad:
            shown = ", ".join(p for p, _ in bad)
            domains = sorted({d for _, d in bad})
            yield Problem(f"{r['address']}: the mailbox {r['dn']} has proxy address(es) in domain(s) the tenant does "
                          f"not accept ({', '.join(domains)}): {shown}", path=r["path"], row=int(r["row"]),
                          line=int(r["line"]), column="EmailAddress", dn=r["dn"], attribute="proxyAddresses",
                          domain=domains[0], value=bad[0][0],
                          fix="verify the domain in the tenant with Exchange, or remove the address on premises")
