"""Objects that fail IdFix rules, loaded into the Samba test directory (tests/conftest.py)
under their own OU, so the directory scenario under OU=Staff is unchanged."""

from __future__ import annotations

from typing import Any

BASE = "OU=IdFix,DC=contoso,DC=com"


def dn(cn: str) -> str:
    return f"CN={cn},{BASE}"


ENTRIES: list[tuple[str, dict[str, Any]]] = [
    (BASE, {"objectClass": "organizationalUnit"}),
    (dn("IdFix Space"), {
        "objectClass": "user", "sAMAccountName": "idfspace", "userPrincipalName": "idf space@contoso.local",
        "displayName": "IdFix Space", "mail": "idf.space@contoso.com", "mailNickname": ".idfspace",
        "proxyAddresses": ["SMTP:idf.space@contoso.com", "smtp:idf(space)@contoso.com", "smtp:shared.idfix@contoso.com"],
    }),
    (dn("IdFix Dup"), {
        "objectClass": "user", "sAMAccountName": "idfdup", "userPrincipalName": "idf.dup@contoso.com",
        "displayName": "IdFix Dup", "mail": "idf.dup@contoso.com", "mailNickname": "idfdup",
        "proxyAddresses": ["SMTP:idf.dup@contoso.com", "smtp:SHARED.IDFIX@contoso.com"],
    }),
    (dn("IdFix Contact"), {
        "objectClass": "contact", "displayName": "IdFix Contact", "mail": "partner@fabrikam",
        "mailNickname": "idfcontact", "targetAddress": "SMTP:partner@fabrikam", "proxyAddresses": ["SMTP:partner@fabrikam"],
    }),
    (dn("IdFix Long"), {
        # 70 characters before the @: IdFix's page says under 64, its code checks only the total (113)
        "objectClass": "user", "sAMAccountName": "idflong", "userPrincipalName": "l" * 70 + "@contoso.com",
        "displayName": "IdFix Long", "givenName": "g" * 64, "mail": "idf.long@contoso.com", "mailNickname": "idflong",
        "proxyAddresses": ["SMTP:idf.long@contoso.com"],
    }),
    # A well-known exclusion: never reported, whatever its values.
    (dn("Guest IdFix"), {"objectClass": "user", "sAMAccountName": "guestidfix", "userPrincipalName": "guest idfix@contoso.local",
                         "displayName": "Guest IdFix"}),
]

#: (code, cn, attribute, value, suggested value or None) the multi-tenant rules give for ENTRIES.
EXPECTED: set[tuple[str, str, str, str, str | None]] = {
    ("PF400", "IdFix Space", "userPrincipalName", "idf space@contoso.local", "idfspace@contoso.local"),
    ("PF402", "IdFix Space", "userPrincipalName", "idf space@contoso.local", "idfspace@contoso.local"),
    ("PF400", "IdFix Space", "mailNickname", ".idfspace", "idfspace"),
    ("PF400", "IdFix Space", "proxyAddresses", "smtp:idf(space)@contoso.com", "smtp:idfspace@contoso.com"),
    ("PF406", "IdFix Space", "proxyAddresses", "smtp:shared.idfix@contoso.com", None),
    ("PF406", "IdFix Dup", "proxyAddresses", "smtp:SHARED.IDFIX@contoso.com", None),
    ("PF401", "IdFix Contact", "proxyAddresses", "SMTP:partner@fabrikam", None),
    ("PF403", "IdFix Contact", "proxyAddresses", "SMTP:partner@fabrikam", None),
    ("PF401", "IdFix Contact", "targetAddress", "SMTP:partner@fabrikam", None),
    ("PF403", "IdFix Contact", "targetAddress", "SMTP:partner@fabrikam", None),
    ("PF405", "IdFix Long", "givenName", "g" * 64, "g" * 63),
}
