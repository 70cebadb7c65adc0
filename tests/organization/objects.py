"""The Exchange organization of the Contoso scenario (tests/ad/scenario.py): an Exchange 2003
and an Exchange 2007 server in the Configuration partition (the scenario's mailboxes live on
EX2007: their msExchHomeServerName is its legacyExchangeDN), a public folder store and tree, an
Autodiscover SCP, a dynamic distribution group — and, added by the tests that need it, an
Exchange 2010 server with a mailbox on it. Values are as LDAP carries them."""

from __future__ import annotations

from typing import Any

from ad import scenario

SERVICES = scenario.SERVICES
ORG = scenario.ORG
FIRST_AG = "CN=First Administrative Group,CN=Administrative Groups," + ORG
EX2003 = "CN=EX2003,CN=Servers," + FIRST_AG
EX2007 = "CN=EX2007,CN=Servers," + scenario.ADMIN_GROUP
EX2010 = "CN=EX2010,CN=Servers," + scenario.ADMIN_GROUP
PUBLIC_STORE = "CN=Public Folder Store (EX2003),CN=First Storage Group,CN=InformationStore," + EX2003
PF_TREE = "CN=Public Folders,CN=Folder Hierarchies," + FIRST_AG
SCP = "CN=EX2007,CN=Autodiscover,CN=Protocols," + EX2007
SCP_URL = "https://mail.contoso.com/Autodiscover/Autodiscover.xml"
DYNAMIC_GROUP = "CN=All Sales," + scenario.STAFF
DB2010 = "CN=Mailbox Database 2010,CN=Databases," + scenario.ADMIN_GROUP
#: A mailbox on which Bob Ross holds FullAccess and Carol Diaz Send As (descriptors set by the tests).
SHARED = scenario.dn("Sam Shared")
#: The real values Exchange writes (exchange-facts.md §2): 1912832083 is 8.3.83 (0x72038053).
SERIAL_2003 = "Version 6.5 (Build 7638.2: Service Pack 2)"
SERIAL_2007 = "Version 8.3 (Build 83.6)"
VERSION_2007 = 1912832083
SERIAL_2010 = "Version 14.3 (Build 123.4)"
#: 14.3.123 in versionNumber's layout: 7 << 28 | 14 << 22 | 3 << 16 | 0x8000 | 123.
VERSION_2010 = 7 << 28 | 14 << 22 | 3 << 16 | 0x8000 | 123
LEGACY_2003 = "/o=Contoso/ou=First Administrative Group/cn=Configuration/cn=Servers/cn=EX2003"
LEGACY_2010 = scenario.LEGACY + "/cn=Configuration/cn=Servers/cn=EX2010"


def _containers(*dns: str) -> list[tuple[str, dict[str, Any]]]:
    """Containers creating every missing parent of ``dns`` below CN=Services (ORG's chain exists)."""
    out: list[tuple[str, dict[str, Any]]] = []
    seen = {d.casefold() for d in _EXISTING}
    for dn in dns:
        parts = dn[: -len(SERVICES) - 1].split(",")
        for i in range(len(parts) - 1, 0, -1):
            parent = ",".join(parts[i:]) + "," + SERVICES
            if parent.casefold() not in seen:
                seen.add(parent.casefold())
                out.append((parent, {"objectClass": "container"}))
    return out


#: What the scenario (ENTRIES' placeholders) already created.
_EXISTING = [d for d, _ in scenario.ENTRIES if d.casefold().endswith(SERVICES.casefold())]

ENTRIES: list[tuple[str, dict[str, Any]]] = [
    *_containers(EX2003, EX2007, PF_TREE),
    (EX2003, {"objectClass": "msExchExchangeServer", "serialNumber": SERIAL_2003, "legacyExchangeDN": LEGACY_2003}),
    (EX2007, {"objectClass": "msExchExchangeServer", "serialNumber": SERIAL_2007, "versionNumber": VERSION_2007,
              "legacyExchangeDN": scenario.HOME_SERVER}),
    ("CN=InformationStore," + EX2003, {"objectClass": "container"}),
    ("CN=First Storage Group,CN=InformationStore," + EX2003, {"objectClass": "container"}),
    (PUBLIC_STORE, {"objectClass": "msExchPublicMDB"}),
    (PF_TREE, {"objectClass": "msExchPFTree"}),
    ("CN=Protocols," + EX2007, {"objectClass": "container"}),
    ("CN=Autodiscover,CN=Protocols," + EX2007, {"objectClass": "container"}),
    (SCP, {"objectClass": "serviceConnectionPoint", "keywords": ["77378F46-2C66-4aa9-A6A6-3E7A48B19596", "Site=Default"],
           "serviceBindingInformation": SCP_URL}),
    (DYNAMIC_GROUP, {"objectClass": "msExchDynamicDistributionList", "displayName": "All Sales",
                     "mail": "allsales@contoso.com"}),
    scenario.mailbox("Sam Shared", "sam.shared@contoso.com"),
]

#: The Exchange 2010 server and a mailbox homed on it (on its database).
EXCHANGE_2010: list[tuple[str, dict[str, Any]]] = [
    (EX2010, {"objectClass": "msExchExchangeServer", "serialNumber": SERIAL_2010, "versionNumber": VERSION_2010,
              "legacyExchangeDN": LEGACY_2010}),
    (DB2010, {"objectClass": "msExchPrivateMDB"}),
    scenario.mailbox("Pat Moved", "pat.moved@contoso.com", homeMDB=DB2010, msExchHomeServerName=LEGACY_2010),
]

#: The Configuration-partition entries of ENTRIES (what its ldifde export holds).
CONFIGURATION = [(dn, a) for dn, a in ENTRIES if dn.casefold().endswith(scenario.CONFIGURATION_DN.casefold())]
