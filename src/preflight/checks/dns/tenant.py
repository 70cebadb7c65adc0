"""Tenant checks: the batch's domains are verified domains of the tenant with the Email service."""

from __future__ import annotations

from ...registry import Missing, Problem, check
from .common import Failures, is_verification_mx, is_verification_txt

_ADD_FIX = ("Add {d} in the Microsoft 365 admin center (Settings > Domains), prove ownership with the "
            "MS=ms… TXT record it shows, and select Exchange (Email) for it; then export the domains again.")


def _status_problem(domain, td):
    """Why ``td`` (the tenant's entry for ``domain``, or None) fails, or None."""
    if td is None:
        return f"{domain} is not a domain of the tenant", _ADD_FIX.format(d=domain)
    if not td.verified:
        return (f"{domain} is a domain of the tenant but is not verified (status: {td.status or 'unverified'})",
                (f"Add the MS=ms… TXT record shown in the admin center for {domain} to its DNS zone, then "
                 "select Verify in Settings > Domains."))
    if not td.email:
        return (f"{domain} is verified but does not support the Email service",
                f"In the admin center, Settings > Domains > {domain} > Manage DNS, select Exchange (Email).")
    return None


@check("PF300", "domain-not-verified", severity="error")
def domain_not_verified(tenant_domains, mail_domains):
    """An EmailAddress domain of the batch is not a verified tenant domain with the Email service.

    Why: Exchange Online creates a migrated mailbox with the on-premises
    primary SMTP address; an address in a domain that the tenant has not
    verified for Email cannot be given to a cloud mailbox, so the batch fails
    for every mailbox of that domain ("the domain isn't an accepted domain").
    The primary domain of the on-premises organization must be one of them.

    Fix: add the domain in the Microsoft 365 admin center (Settings > Domains),
    prove ownership with its `MS=ms…` TXT record, select Exchange (Email); or
    move the mailboxes to a batch of a verified domain.

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (step 1, verify you own the domain); "Add a domain to
    Microsoft 365"; Microsoft Graph, "domain resource type" (isVerified,
    supportedServices).

    Reported once per distinct domain, with the files and first rows that use it.
    Skipped when no tenant data is given (see PF302 for what DNS shows then).
    """
    for domain, use in mail_domains.items():
        found = _status_problem(domain, tenant_domains.get(domain))
        if found:
            message, fix = found
            yield Problem(f"{message} ({use.where()})", domain=domain, value=domain, fix=fix, related=use.related())


@check("PF301", "primary-domain-not-verified", severity="error")
def primary_domain_not_verified(tenant_domains, directory_primary_domains):
    """The primary SMTP domain of a batch mailbox (from the directory) is not a verified tenant domain with Email.

    Why: the batch names a mailbox by any of its addresses, but the cloud
    mailbox keeps the on-premises primary SMTP address; when that address is
    in a domain the tenant has not verified for Email, the mailbox fails to
    migrate even though the batch's EmailAddress domain is verified.

    Fix: verify the primary SMTP domain in the tenant (Settings > Domains,
    with Exchange selected), or change the mailbox's primary SMTP address to
    one in a verified domain (`Set-Mailbox ann -PrimarySmtpAddress ...`;
    with an email address policy, change the policy).

    Source: Microsoft Learn, "Perform a staged migration of Exchange Server to
    Microsoft 365" (prepare for a staged migration: verified domains).

    Needs a directory (the mailboxes are looked up by their batch address);
    skipped without one. Domains that are also EmailAddress domains of the
    batch are left to PF300.
    """
    for domain, mailboxes in directory_primary_domains.items():
        found = _status_problem(domain, tenant_domains.get(domain))
        if found:
            message, fix = found
            first = mailboxes[0]
            more = f" and {len(mailboxes) - 1} more" if len(mailboxes) > 1 else ""
            yield Problem(f"{message}: it is the primary SMTP domain of {first[0]} ({first[1]}){more}",
                          domain=domain, dn=first[2], value=first[1], fix=fix,
                          related=tuple({"dn": dn} for _, _, dn in mailboxes[1:20] if dn))


@check("PF302", "domain-ownership-record", severity="info")
def domain_ownership_record(dns_records, config):
    """With no tenant data given, a batch domain has Microsoft's ownership record in DNS.

    Why: without the tenant's domain list preflight cannot tell whether a
    domain is verified (PF300 is skipped, not passed). An `MS=ms…` TXT record
    (or an `ms….msv1.invalid` MX record) shows that someone started the
    verification in a tenant; it does not prove that this tenant finished it.

    Fix: confirm the domain shows as verified, with Exchange, in the admin
    center (Settings > Domains); better, give the tenant's domains
    (`--tenant-domains FILE`) so PF300 checks them.

    Source: Microsoft Learn, "Add DNS records to connect your domain"
    (verification TXT record `MS=ms########`, or the MX alternative).

    Skipped when tenant data is given (PF300 then checks verification).
    """
    if getattr(config, "tenant", None):
        raise Missing("tenant domains given: PF300 checks verification")
    failures = Failures()
    for d in dns_records:
        txt = [t for t in d.txt.records if is_verification_txt(t)] if d.txt.ok else []
        mx = [m.host for m in d.mx.records if is_verification_mx(m.host)] if d.mx.ok else []
        if txt or mx:
            record, value = ("TXT", txt[0].strip()) if txt else ("MX", mx[0])
            yield Problem(f"{d.domain} has a Microsoft 365 ownership record ({value}); confirm the domain is "
                          f"verified, with Exchange, in the tenant", domain=d.domain, record=record, value=value,
                          fix="Check Settings > Domains in the admin center, or give --tenant-domains.")
        else:
            failures.add(d.domain, d.txt, d.mx)
    failures.raise_if_any()
