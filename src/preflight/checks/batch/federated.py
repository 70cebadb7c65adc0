"""PF142: ForceChangePassword True, or a Password, on a row of a federated domain (from the tenant's domain export).

Kept apart from the password checks (and off the pandas frame): it reads the
batch's records and the tenant's domains only. No message names a password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Missing, Problem, check
from ...sources.dns import normalize_domain

if TYPE_CHECKING:
    from ...sources.batch_csv import BatchFile
    from ...sources.tenant import TenantDomains


@check("PF142", "federated-domain-password", severity="error")
def federated_domain_password(batch: BatchFile, tenant_domains: TenantDomains):
    """A row of a federated domain sets ForceChangePassword True, or a Password.

    Why: users of a federated domain (the tenant's domain export says
    `authenticationType: Federated`: they sign in through AD FS or another
    identity provider) have no password in Microsoft 365 that the migration
    service may set or expire. Provisioning such a user with a password, or
    with ForceChangePassword True, fails: "A Windows Live error occurred while
    provisioning for <user> … 0x80048210 This action is currently blocked for
    the API". PF141 reports the same when you declare `sso = true`; this check
    needs no option: it reads each row's domain from the tenant's export.

    Fix: on the rows of the federated domain, set ForceChangePassword to
    False and leave the Password empty (or remove both columns when every row
    is federated): the users sign in with their on-premises password.

    Source: failure cause C-06 of the staged-migration taxonomy (Microsoft
    community wiki "Staged Exchange migration with identity federation in
    place"; Microsoft Learn, "CSV files for staged migration": with single
    sign-on ForceChangePassword must be False); Microsoft Graph "domain
    resource type" (authenticationType), Get-MsolDomain (Authentication).

    Needs a tenant domain export that gives the sign-in type (Graph
    `/domains`, Get-MgDomain with AuthenticationType, Get-MsolDomain with
    Authentication); skipped otherwise, with the reason.
    """
    if not tenant_domains.knows_authentication():
        raise Missing(f"the tenant domain export ({tenant_domains.format}) does not say which domains are federated: "
                      "export Graph /domains, Get-MgDomain with AuthenticationType, or Get-MsolDomain with Authentication")
    federated = {d.name for d in tenant_domains.domains.values() if d.federated}
    columns = batch.column_index()
    email, password, force = (columns.get(c) for c in ("EmailAddress", "Password", "ForceChangePassword"))
    if email is None or not federated or (password is None and force is None):
        return
    for record in batch.mailbox_records:
        fields = record.fields
        address = fields[email].strip() if email < len(fields) else ""
        domain = normalize_domain(address.rpartition("@")[2]) if "@" in address else None
        if domain not in federated:
            continue
        if force is not None and force < len(fields) and fields[force].strip().lower() == "true":
            yield Problem(f"row {record.row}: ForceChangePassword is True, but {domain} is a federated domain of "
                          "the tenant", row=record.row, line=record.line, domain=domain, column="ForceChangePassword",
                          value="True", suggested_value="False",
                          fix="Set ForceChangePassword to False on the rows of a federated domain.")
        if password is not None and password < len(fields) and fields[password]:
            yield Problem(f"row {record.row} sets a Password, but {domain} is a federated domain of the tenant: "
                          "the cloud password cannot be set", row=record.row, line=record.line, domain=domain,
                          column="Password", fix="Leave the Password empty on the rows of a federated domain.")
