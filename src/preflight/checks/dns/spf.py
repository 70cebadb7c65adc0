"""SPF checks: one `v=spf1` record per domain, authorizing Exchange Online when it sends."""

from __future__ import annotations

from ...registry import Missing, Problem, check
from .common import Failures, Offline, spf_authorizes_exo


@check("PF320", "spf-missing", severity="warning")
def spf_missing(dns_records):
    """A batch domain has no SPF record (no TXT record starting `v=spf1`).

    Why: receivers check the sending server against the domain's SPF record;
    without one, mail that migrated mailboxes send from Exchange Online is
    more likely to be junked or, under the receiver's DMARC policy, rejected.

    Fix: publish one TXT record, e.g. `v=spf1 mx include:spf.protection.outlook.com -all`
    (keep the on-premises servers in it until the last batch).

    Source: RFC 7208 section 4 (checking SPF); Microsoft Learn, "Set up SPF to
    identify valid email sources for your Microsoft 365 domain".

    Example (zone file): `@ IN TXT "v=spf1 mx include:spf.protection.outlook.com -all"` passes.
    """
    failures = Failures()
    for d in dns_records:
        if failures.add(d.domain, d.txt):
            continue
        if not d.spf():
            why = "the name does not exist" if d.txt.status == "nxdomain" else "no TXT record starts with v=spf1"
            yield Problem(f"{d.domain} has no SPF record: {why}", domain=d.domain, record="TXT",
                          suggested_value="v=spf1 mx include:spf.protection.outlook.com -all",
                          fix=f"Publish one TXT record at {d.domain} starting v=spf1, including "
                              "spf.protection.outlook.com.")
    failures.raise_if_any()


@check("PF321", "spf-multiple", severity="error")
def spf_multiple(dns_records):
    """A batch domain has two or more SPF records.

    Why: with more than one `v=spf1` TXT record the SPF result is a permanent
    error: receivers treat the domain as having no valid SPF at all, so
    adding a second record "for Microsoft 365" breaks both.

    Fix: merge them into one record: one `v=spf1`, the mechanisms of both,
    one `all` at the end.

    Source: RFC 7208 section 4.5 (more than one record: permerror); Microsoft
    Learn, "Set up SPF ..." (one SPF TXT record per domain).

    Example (zone file): `@ IN TXT "v=spf1 mx -all"` and `@ IN TXT "v=spf1 include:spf.protection.outlook.com -all"`
    together are reported.
    """
    failures = Failures()
    for d in dns_records:
        if failures.add(d.domain, d.txt):
            continue
        spf = d.spf()
        if len(spf) > 1:
            yield Problem(f"{d.domain} has {len(spf)} SPF records; SPF fails (permerror) with more than one",
                          domain=d.domain, record="TXT", value=" | ".join(spf),
                          fix="Merge them into one TXT record with one v=spf1 and one all.")
    failures.raise_if_any()


@check("PF322", "spf-no-exchange-online", severity="error")
def spf_no_exchange_online(dns_records, dns_spf):
    """The SPF record of a domain whose mail flows through Exchange Online does not include `spf.protection.outlook.com`.

    Why: mailboxes moved by a staged migration send from Exchange Online
    straight away (there is no hybrid route back through on-premises), and
    after the MX cutover all mail does; if the SPF record does not authorize
    Exchange Online's servers, receivers fail SPF for that mail. Mail flows
    through Exchange Online when a stage is given (a staged migration is
    under way) or when an MX record points to Exchange Online.
    A direct `include:spf.protection.outlook.com` settles it; otherwise
    `include:` and `redirect=` are followed (at most 10 look-ups, as SPF does),
    and an include loop is reported (SPF fails with a permerror). An include
    that is in none of the zone files given is said once: offline, preflight
    cannot tell what it authorizes.

    Fix: add `include:spf.protection.outlook.com` before the `all` of the
    domain's one SPF record.

    Source: Microsoft Learn, "Set up SPF to identify valid email sources for
    your Microsoft 365 domain"; RFC 7208 sections 4.6.4 (look-up limit), 5.2
    (include) and 6.1 (redirect).

    Example (zone file): `@ IN TXT "v=spf1 mx include:spf.protection.outlook.com -all"`
    passes; `@ IN TXT "v=spf1 mx -all"` is reported.

    Skipped when no stage is given and no MX record points to Exchange Online
    (mail does not flow through it yet). Domains without SPF are PF320's.
    """
    failures = Failures()
    offline = Offline("whether it authorizes Exchange Online (spf.protection.outlook.com)", "TXT")
    checked = 0
    for d in dns_records:
        if failures.add(d.domain, d.txt):
            continue
        spf = d.spf()
        if not spf:
            continue
        applies = dns_records.mail_via_exo(d)
        if applies is None:
            failures.add(d.domain, d.mx)
        if not applies:
            continue
        checked += 1
        result = spf_authorizes_exo(d.domain, spf, dns_spf)
        if result.found:
            continue
        if result.failed:
            for ans in result.failed:
                failures.note(d.domain, ans)
        elif result.unknown:
            for chain in result.unknown:
                offline.add(d.domain, chain)
        elif result.problems:
            yield Problem(f"the SPF record of {d.domain} does not authorize Exchange Online: "
                          f"{'; '.join(dict.fromkeys(result.problems))}", domain=d.domain, record="TXT", value=spf[0],
                          fix="Remove the loop (or the extra look-ups) and include spf.protection.outlook.com directly.")
        else:
            yield Problem(f"the SPF record of {d.domain} does not include spf.protection.outlook.com, but its "
                          "mail flows through Exchange Online", domain=d.domain, record="TXT", value=spf[0],
                          suggested_value=_with_exo(spf[0]),
                          fix="Add include:spf.protection.outlook.com before the all mechanism.")
    yield from offline.problems()
    failures.raise_if_any()
    if not checked:
        raise Missing("no stage given and no MX record points to Exchange Online: mail does not flow through it yet")


def _with_exo(record: str) -> str:
    terms = record.split()
    for i, term in enumerate(terms):
        if term.lstrip("+-~?").lower() == "all" or term.lower().startswith("redirect="):
            return " ".join([*terms[:i], "include:spf.protection.outlook.com", *terms[i:]])
    return " ".join([*terms, "include:spf.protection.outlook.com"])
