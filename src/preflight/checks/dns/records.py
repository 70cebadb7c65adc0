"""Records every stage needs: MX, Autodiscover, and the Outlook Anywhere host."""

from __future__ import annotations

from ...registry import Problem, check
from .common import Failures


@check("PF310", "mx-missing", severity="error")
def mx_missing(dns_records):
    """A batch domain has no MX record that routes mail.

    Why: senders deliver to the hosts of the domain's MX records; with none
    (or only a null MX `0 .`, or only Microsoft's `ms….msv1.invalid`
    verification MX), mail to the domain's mailboxes bounces, before and
    after the migration. Each MX target is classified as Exchange Online
    (`*.mail.protection.outlook.com`, `*.mx.microsoft`), on-premises (a host
    in one of the batch's domains or the Outlook Anywhere host's) or other;
    the stage checks (PF330–PF333) read that.

    Fix: add an MX record: to the on-premises server while migrating, to
    `<domain with dots as dashes>.mail.protection.outlook.com` after the last batch.

    Source: RFC 5321 section 5.1 (MX look-up), RFC 7505 (null MX); Microsoft
    Learn, "Add DNS records to connect your domain".

    Example (zone file): `@ 3600 IN MX 10 mail.contoso.com.` passes; no MX
    record, or only `@ IN MX 0 .`, is reported.
    """
    failures = Failures()
    for d in dns_records:
        if failures.add(d.domain, d.mx):
            continue
        if d.mx.ok and d.mail_mx():
            continue
        why = d.mx.describe_absence() if d.mx.absent else "only " + ", ".join(
            "a null MX (RFC 7505)" if m.host == "." else f"the verification MX {m.host}" for m in d.mx.records)
        yield Problem(f"{d.domain} has no MX record routing mail: {why} ({d.use.where()})", domain=d.domain,
                      record="MX", fix=f"Add an MX record for {d.domain} (on-premises while migrating, "
                                       "Exchange Online after the last batch).", related=d.use.related())
    failures.raise_if_any()


@check("PF311", "autodiscover-missing", severity="error")
def autodiscover_missing(dns_records):
    """A batch domain has no Autodiscover record: neither `autodiscover.<domain>` (CNAME or A) nor `_autodiscover._tcp.<domain>` SRV.

    Why: Outlook and mobile clients find a mailbox's server through
    Autodiscover; without it they cannot set up a profile, and after the
    migration they cannot find the mailbox in Exchange Online. The staged
    migration's connection test also uses Autodiscover unless you give the
    server settings by hand.

    Fix: add `autodiscover.<domain>` as a CNAME (or A record) to the
    on-premises Client Access server while migrating, then a CNAME to
    `autodiscover.outlook.com` after the last batch. An SRV record
    `_autodiscover._tcp.<domain>` alone is a fallback Outlook tries last.

    Source: Microsoft Learn, "Autodiscover service in Exchange Server"; "Add DNS
    records to connect your domain" (Autodiscover CNAME).

    Example (zone file): `autodiscover 3600 IN CNAME mail.contoso.com.` passes.
    """
    failures = Failures()
    for d in dns_records:
        answers = (d.cname, d.a, d.srv)
        if any(a.ok and a.records for a in answers):
            continue
        if failures.add(d.domain, *answers):
            continue
        yield Problem(f"{d.domain} has no Autodiscover record: {d.autodiscover} has no CNAME or A record and "
                      f"{d.srv_name} has no SRV record ({d.use.where()})", domain=d.domain, record="CNAME",
                      value=d.autodiscover,
                      fix=f"Add {d.autodiscover} as a CNAME to the on-premises Client Access server (while "
                          "migrating) or to autodiscover.outlook.com (after the last batch).",
                      related=d.use.related())
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
    host, answers = dns_outlook_anywhere
    if any(a.ok and a.records for a in answers):
        return
    failures = Failures()
    if failures.add(host, *answers):
        failures.raise_if_any()
    why = answers[0].describe_absence() if answers[0].status == "nxdomain" else "no A or AAAA record"
    yield Problem(f"the Outlook Anywhere host {host} does not resolve: {why}", domain=host, record="A", value=host,
                  fix=f"Publish an A record for {host}, or correct outlook_anywhere_host.")
