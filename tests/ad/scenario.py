"""The directory scenario every directory test uses: one small Contoso AD with an
object for each directory check, two batch files that reference them, and the
findings those must give. The Samba fixture loads ``ENTRIES``; the export tests
write the same objects as ldifde LDIF and csvde CSV; checks tests build a frame.

Values are as LDAP carries them (DN-valued attributes name objects in ``ENTRIES``,
which Samba enforces); placeholders for homeMDB, dial plans and the like come first.
"""

from __future__ import annotations

from typing import Any

BASE_DN = "DC=contoso,DC=com"
CONFIGURATION_DN = "CN=Configuration," + BASE_DN
SERVICES = "CN=Services," + CONFIGURATION_DN
ORG = "CN=Contoso,CN=Microsoft Exchange," + SERVICES
ADMIN_GROUP = "CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups," + ORG
DATABASE = "CN=Mailbox Database 01,CN=Databases," + ADMIN_GROUP
DIAL_PLAN = "CN=Contoso DP,CN=UM DialPlan Container," + ORG
UM_TEMPLATE = "CN=Contoso UM Policy,CN=UM Mailbox Policies," + ORG
STAFF = "OU=Staff," + BASE_DN
LEGACY = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
HOME_SERVER = LEGACY + "/cn=Configuration/cn=Servers/cn=EX2007"
#: S-1-5-21-1-2-3-1105 as AD stores it (a linked mailbox's account in another forest).
MASTER_SID = bytes.fromhex("010500000000000515000000010000000200000003000000510400 00".replace(" ", ""))


def dn(cn: str) -> str:
    return f"CN={cn},{STAFF}"


def _placeholders() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for target in (DATABASE, DIAL_PLAN, UM_TEMPLATE):
        rdns = target[: -len(SERVICES) - 1].split(",")
        for i in range(len(rdns) - 1, -1, -1):
            name = ",".join(rdns[i:]) + "," + SERVICES
            if name not in seen:
                seen.add(name)
                out.append((name, {"objectClass": "container"}))
    out.append((STAFF, {"objectClass": "organizationalUnit"}))
    return out


def mailbox(cn: str, address: str, *, extra_proxies: tuple[str, ...] = (), type_details: int | None = 1,
            uac: int = 512, **attrs: Any) -> tuple[str, dict[str, Any]]:
    """A user with a mailbox on the Exchange 2007 database (``type_details=None``: an
    Exchange 2003 mailbox, which has no msExchRecipientTypeDetails)."""
    nick = address.split("@")[0]
    obj: dict[str, Any] = {
        "objectClass": "user",
        "sAMAccountName": nick.replace(".", "")[:20],
        "userPrincipalName": address,
        "userAccountControl": uac,
        "displayName": cn,
        "givenName": cn.split()[0],
        "sn": cn.split()[-1],
        "mail": address,
        "mailNickname": nick,
        "proxyAddresses": [f"SMTP:{address}", *extra_proxies, f"X500:{LEGACY}/cn=Recipients/cn={nick}"],
        "legacyExchangeDN": f"{LEGACY}/cn=Recipients/cn={nick}",
        "homeMDB": DATABASE,
        "msExchHomeServerName": HOME_SERVER,
    }
    if type_details is not None:
        obj["msExchRecipientTypeDetails"] = type_details
    obj.update(attrs)
    return dn(cn), obj


OBJECTS: list[tuple[str, dict[str, Any]]] = [
    mailbox("Mona Manager", "mona.manager@contoso.com", department="Sales"),
    mailbox("Carol Diaz", "carol.diaz@contoso.com", msExchHideFromAddressLists=True),
    mailbox("Bob Ross", "bob.ross@contoso.com", department="Finance"),
    mailbox("Ann Lee", "ann.lee@contoso.com", extra_proxies=("smtp:alee@contoso.com",), manager=dn("Bob Ross"),
            department="Finance"),
    mailbox("Dan Kim", "dan.kim@contoso.com", manager=dn("Mona Manager"), msExchUMEnabledFlags=1,
            msExchUMRecipientDialPlanLink=DIAL_PLAN, msExchUMTemplateLink=UM_TEMPLATE,
            proxyAddresses=["SMTP:dan.kim@contoso.com", "EUM:4711;phone-context=Contoso DP.contoso.com"]),
    mailbox("Erin Fox", "erin.fox@contoso.com", uac=514),
    mailbox("Frank Ng", "frank.ng@fabrikam.com", type_details=None),
    mailbox("Gina Roe", "gina.roe@tailspintoys.com", type_details=2, uac=514, msExchMasterAccountSid=MASTER_SID),
    mailbox("Room 1", "room1@contoso.com", type_details=16, uac=514),
    mailbox("Jim Help", "jim.help@contoso.com", extra_proxies=("smtp:helpdesk@contoso.com",)),
    mailbox("Kay Help", "kay.help@contoso.com", extra_proxies=("smtp:helpdesk@contoso.com",)),
    mailbox("Jon Doe", "jon.doe@contoso.com", proxyAddresses=["SMTP:jonathan.doe@contoso.com", "smtp:jon.doe@contoso.com"]),
    mailbox("Lou Park", "lou.park@contoso.com", extra_proxies=("smtp:lpark@contoso.com",)),
    (dn("Hank Contact"), {"objectClass": "contact", "displayName": "Hank Contact", "mail": "hank.contact@contoso.com",
                          "mailNickname": "hank.contact", "targetAddress": "SMTP:hank@partner.example",
                          "proxyAddresses": ["SMTP:hank.contact@contoso.com"]}),
    (dn("Sales"), {"objectClass": "group", "sAMAccountName": "Sales", "displayName": "Sales", "mail": "sales@contoso.com",
                   "mailNickname": "sales", "proxyAddresses": ["SMTP:sales@contoso.com"],
                   "groupType": -2147483646}),  # a global security group
    (dn("Ivy Mu"), {"objectClass": "user", "sAMAccountName": "ivymu", "userPrincipalName": "ivy.mu@contoso.com",
                    "userAccountControl": 512, "displayName": "Ivy Mu", "mail": "ivy.mu@contoso.com",
                    "mailNickname": "ivy.mu", "targetAddress": "SMTP:ivy.mu@contoso.mail.onmicrosoft.com",
                    "proxyAddresses": ["SMTP:ivy.mu@contoso.com"], "msExchRecipientTypeDetails": 128}),
]
# Bob delegates to Carol (who moves in the other batch).
_bob = dict(OBJECTS[2][1], publicDelegates=[dn("Carol Diaz")], msExchDelegateListLink=[dn("Carol Diaz")])
OBJECTS[2] = (OBJECTS[2][0], _bob)

#: Everything to add to an empty domain, parents first.
ENTRIES: list[tuple[str, dict[str, Any]]] = [*_placeholders(), *OBJECTS]

INJECTION = "x*)(objectClass=*@contoso.com"

#: The batch files of the scenario run (name -> CSV text).
BATCHES: dict[str, str] = {
    "wave-a.csv": "EmailAddress\n" + "\n".join([
        "ann.lee@contoso.com",          # row 2  clean; manager Bob in this batch
        "bob.ross@contoso.com",         # row 3  delegate Carol in wave-b -> PF221
        "dan.kim@contoso.com",          # row 4  UM enabled -> PF212; manager Mona in no batch -> PF220
        "erin.fox@contoso.com",         # row 5  disabled -> PF213
        "frank.ng@fabrikam.com",        # row 6  Exchange 2003 mailbox, clean
        "gina.roe@tailspintoys.com",    # row 7  linked mailbox -> PF214 (not PF213)
        "room1@contoso.com",            # row 8  room mailbox, clean
        "hank.contact@contoso.com",     # row 9  contact -> PF210
        "sales@contoso.com",            # row 10 group -> PF210
        "ivy.mu@contoso.com",           # row 11 mail user -> PF210
        "helpdesk@contoso.com",         # row 12 on two objects -> PF201
        "jon.doe@contoso.com",          # row 13 mail differs from primary SMTP -> PF203
        "lpark@contoso.com",            # row 14 secondary address -> PF202 (lou.park@contoso.com)
        "nobody@contoso.com",           # row 15 no object -> PF200
        '"' + INJECTION + '"',          # row 16 fails PF131: never sent to the directory, no PF2xx finding
    ]) + "\n",
    "wave-b.csv": "EmailAddress\ncarol.diaz@contoso.com\n",  # row 2 hidden -> PF211; delegate of Bob -> PF221
}

#: (code, batch file, row) every directory check must give for BATCHES, and nothing else (PF2xx).
EXPECTED: set[tuple[str, str, int]] = {
    ("PF221", "wave-a.csv", 3),
    ("PF212", "wave-a.csv", 4),
    ("PF220", "wave-a.csv", 4),
    ("PF213", "wave-a.csv", 5),
    ("PF214", "wave-a.csv", 7),
    ("PF210", "wave-a.csv", 9),
    ("PF210", "wave-a.csv", 10),
    ("PF210", "wave-a.csv", 11),
    ("PF201", "wave-a.csv", 12),
    ("PF203", "wave-a.csv", 13),
    ("PF202", "wave-a.csv", 14),
    ("PF200", "wave-a.csv", 15),
    ("PF211", "wave-b.csv", 2),
    ("PF221", "wave-b.csv", 2),
}


def frame():
    """The scenario's mail objects as the normalized DirectoryObjects frame every source must give."""
    from preflight.sources.schemas import directory_frame

    objects = []
    for name, attrs in OBJECTS:
        obj = {k: v for k, v in attrs.items() if k != "msExchMasterAccountSid"}
        obj["dn"] = name
        obj["cn"] = name.split(",")[0][3:]
        if "msExchMasterAccountSid" in attrs:
            obj["hasMasterAccountSid"] = True
        objects.append(obj)
    return directory_frame(objects)

#: The comment heading sample_data/directory/contoso.ldif.
LDIF_HEADER = (
    "# The sample Contoso directory (tests/ad/scenario.py), as written by\n"
    "#   ldifde -f contoso.ldif -d \"OU=Staff,DC=contoso,DC=com\" -r \"(|(objectClass=user)(objectClass=contact)"
    "(objectClass=group)(objectClass=publicFolder))\" -l \"<attributes>\"\n"
    "# (the full command is in preflight.sources.directory.exports). Regenerate: python tests/ad/exporters.py\n\n"
)

#: Mailboxes of the users in sample_data's mistake files, added to the sample
#: export only (the scenario's findings do not depend on them). Ivy Wu has a proxy
#: address in tailspintoys.com, a domain the sample tenant has not verified (PF630).
SAMPLE_EXTRA: list[tuple[str, dict[str, Any]]] = [
    mailbox(name, address, extra_proxies=("smtp:ivy.wu@tailspintoys.com",) if name == "Ivy Wu" else ())
    for name, address in (
        ("Hal Ito", "hal.ito@contoso.com"), ("Ivy Wu", "ivy.wu@contoso.com"), ("Liam Ode", "liam.ode@contoso.com"),
        ("Mia Park", "mia.park@contoso.com"), ("Noah Ek", "noah.ek@contoso.com"), ("Olga Sim", "olga.sim@contoso.com"),
        ("Zoë Brandt", "zoe.brandt@contoso.com"),
    )
]
