"""IdFix 2.6 fidelity: a corpus of boundary values, each with the error text,
proposed value and proposed action that IdFix's own code (microsoft/idfix,
src/IdFix/Rules/**, Settings/Constants.cs, DuplicateStore.cs) gives it, worked
out by hand from that code. Rows marked DEVIATION are where preflight differs on
purpose (the rule pages say why); there the expected value is preflight's, and
the comment gives IdFix's."""

from __future__ import annotations

import pytest

from preflight.checks.idfix.rules import run_rules, scan_scope, utf16_prefix
from preflight.exports.idfix import write_fix_ldif
from preflight.sources.schemas import directory_frame

EMOJI = "\U0001f600"  # two UTF-16 code units


def objects(*attrs, rule_set="multi-tenant"):
    rows = [{"dn": f"CN=U{i},OU=IdFix,DC=contoso,DC=com", "cn": f"U{i}", "objectClass": ["top", "person",
             "organizationalPerson", "user"], "displayName": f"U{i}", "mail": f"u{i}@contoso.com", **a}
            for i, a in enumerate(attrs)]
    return scan_scope(directory_frame(rows), rule_set)


def verdicts(attribute, *attrs, rule_set="multi-tenant"):
    """{value: (ERROR, UPDATE, PROPOSEDACTION)} of ``attribute`` over the objects."""
    out = run_rules(objects(*attrs, rule_set=rule_set), rule_set)
    out = out[out["attribute"] == attribute]
    return {(r.dn.split(",")[0][3:], r.value): (r.error, r.update, r.action) for r in out.itertuples()}


def one(attribute, attrs, rule_set="multi-tenant"):
    got = verdicts(attribute, attrs, rule_set=rule_set)
    assert len(got) <= 1, got
    return next(iter(got.values())) if got else None


# (rule set, attribute, the object's attributes, IdFix's (ERROR, UPDATE, PROPOSEDACTION) or None)
CORPUS = [
    # 1. lengths in UTF-16 code units (StringMaxLengthRule: .NET String.Length)
    ("multi-tenant", "givenName", {"givenName": "a" * 61 + EMOJI}, None),  # 63 units
    # DEVIATION: IdFix cuts to 63 units, leaving half the emoji; preflight drops the half
    ("multi-tenant", "givenName", {"givenName": "a" * 62 + EMOJI}, ("Length", "a" * 62, "Edit")),
    ("multi-tenant", "mailNickname", {"mailNickname": EMOJI * 32}, None),
    ("multi-tenant", "mailNickname", {"mailNickname": EMOJI * 33}, ("Length", EMOJI * 32, "Edit")),
    ("multi-tenant", "displayName", {"displayName": EMOJI * 128}, ("Length", EMOJI * 127, "Edit")),
    ("dedicated", "displayName", {"displayName": "d" * 255 + EMOJI, "homeMDB": "CN=DB1"}, ("Length", "d" * 255, "Edit")),
    # 3. sAMAccountName: length and characters whatever the UPN; 20 when the last objectClass is user
    ("multi-tenant", "sAMAccountName", {"sAMAccountName": "s" * 21, "userPrincipalName": "u@contoso.com"},
     ("Length", "s" * 20, "Edit")),
    ("multi-tenant", "sAMAccountName", {"sAMAccountName": "s" * 21, "objectClass": ["user", "inetOrgPerson"]}, None),
    ("multi-tenant", "sAMAccountName", {"sAMAccountName": "a*b", "userPrincipalName": "u@contoso.com"},
     ("Character", "ab", "Edit")),
    # 4. dedicated: no character rule for proxyAddresses; RFC 2822 for SMTP targetAddress values
    ("dedicated", "proxyAddresses", {"proxyAddresses": ["smtp:ann lee@contoso.com"], "homeMDB": "CN=DB1"},
     ("LocalPart", "smtp:annlee@contoso.com", "Edit")),
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["smtp:ann lee@contoso.com"]},
     ("Character", "smtp:annlee@contoso.com", "Edit")),
    ("dedicated", "proxyAddresses", {"proxyAddresses": ["X500:/o=Contoso/cn=[ann]"], "homeMDB": "CN=DB1"}, None),
    ("dedicated", "targetAddress", {"targetAddress": "SMTP:ann@contoso.local"},
     ("TopLevelDomain", "SMTP:ann@contoso.local", "Edit")),
    ("dedicated", "targetAddress", {"targetAddress": "x500:/o=Contoso/cn=ann lee"}, None),
    # a blank targetAddress: a contact gets SMTP:<mail> cut to 256; a user without homeMDB nothing
    ("dedicated", "targetAddress", {"objectClass": "contact", "mail": "c@fabrikam.com"},
     ("Blank", "SMTP:c@fabrikam.com", "Edit")),
    ("dedicated", "targetAddress", {"objectClass": "contact", "mail": "c" * 250 + "@fabrikam.com"},
     ("Blank", "SMTP:" + "c" * 250 + "@", "Edit")),
    ("dedicated", "targetAddress", {}, ("Blank", "", "Edit")),
    ("dedicated", "targetAddress", {"homeMDB": "CN=DB1"}, None),
    ("dedicated", "targetAddress", {"objectClass": "group", "mail": "g@contoso.com"}, None),
    # a blank mailNickname: contacts only; givenName.sn, sn, givenName, sAMAccountName, cn
    ("dedicated", "mailNickname", {"objectClass": "contact", "givenName": "Ann", "sn": "Lee", "targetAddress": "SMTP:x@y.com"},
     ("Blank", "Ann.Lee", "Edit")),
    ("dedicated", "mailNickname", {"objectClass": "contact", "sn": "Lee", "targetAddress": "SMTP:x@y.com"},
     ("Blank", "Lee", "Edit")),
    ("dedicated", "mailNickname", {"objectClass": "contact", "givenName": "Ann", "targetAddress": "SMTP:x@y.com"},
     ("Blank", "Ann", "Edit")),
    ("dedicated", "mailNickname", {"objectClass": "contact", "targetAddress": "SMTP:x@y.com"}, ("Blank", "U0", "Edit")),
    ("dedicated", "mailNickname", {"homeMDB": "CN=DB1"}, None),
    ("dedicated", "displayName", {"objectClass": "group", "displayName": "", "cn": "G" * 300},
     ("Blank", "G" * 255, "Edit")),
    ("dedicated", "displayName", {"displayName": "", "homeMDB": "CN=DB1"}, None),
    # 5. periods: IdFix falls back to the common name, never to an empty value
    ("multi-tenant", "mailNickname", {"mailNickname": ".."}, ("Character", "U0", "Edit")),
    ("multi-tenant", "mailNickname", {"mailNickname": "ann."}, None),
    # DEVIATION: IdFix 2.6's dedicated periods rule drops its own error (it always succeeds); preflight
    # reports it, as IdFix's page and the rule's Format error and fixer say
    ("dedicated", "mailNickname", {"mailNickname": "..", "homeMDB": "CN=DB1"}, ("Format", "U0", "Edit")),
    ("dedicated", "mailNickname", {"mailNickname": ".ann.", "homeMDB": "CN=DB1"}, ("Format", "ann", "Edit")),
    # 6. internationalized top-level domains: IdFix's list holds рф, not xn--p1ai
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "john@пример.рф"}, ("Format, DomainPart", "john@.", "Edit")),
    # DEVIATION: IdFix also says TopLevelDomain (xn--p1ai is not in its list); preflight takes both spellings
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "john@xn--e1afmkfd.xn--p1ai"},
     ("Format, DomainPart", "john@xn--e1afmkfd.xn--p1ai", "Edit")),
    # 7. UPN parts: IdFix's code checks only the total
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "a" * 64 + "@" + "b" * 44 + ".com"}, None),
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "a" * 110 + "@b.com"},
     ("Length, Format, DomainPart", "a" * 110 + "@b.", "Edit")),
    # 8. .NET character classes under IgnoreCase: ſ (U+017F) is not [a-z], the Kelvin sign is
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "\u017fam@contoso.com"}, ("LocalPart", "am@contoso.com", "Edit")),
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "john@\u017fample.com"},
     ("DomainPart", "john@ample.com", "Edit")),
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "john@\u212aontoso.com"}, None),
    ("multi-tenant", "userPrincipalName", {"userPrincipalName": "ANN@CONTOSO.COM"}, None),
    # .NET's $ matches before a final newline: a trailing LF is only a top-level-domain error
    ("dedicated", "proxyAddresses", {"proxyAddresses": ["smtp:ann@contoso.com\n"], "homeMDB": "CN=DB1"},
     ("TopLevelDomain", "smtp:ann@contoso.com\n", "Edit")),
    # 9. proxy types: smtp: ends the prefix ("  SMTP:" too); x400 / x.400 / x500 / x.500 at the start
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": [" SMTP:ann@contoso.com"]},
     ("Character", "SMTP:ann@contoso.com", "Edit")),
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["x.500:/o=Contoso/cn=[ann]"]},
     ("Character", "x.500:/o=Contoso/cn=ann", "Edit")),
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["X.400:c=US;a= ;p=Contoso;s=Lee;"]}, None),
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["sip:ann lee@contoso.com"]},
     ("Character", "sip:annlee@contoso.com", "Edit")),
    # DEVIATION: IdFix's SMTPRegex finds "smtp:" anywhere, so it also checks this X.500 value as an address:
    # "Character, Format, DomainPart, LocalPart"; preflight only removes the second colon, as for any X.500 value
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["X500:/o=Contoso/cn=smtp:ann"]},
     ("Character", "X500:/o=Contoso/cn=smtpann", "Edit")),
    # every failing rule in chain order: colons, SMTP characters, RFC 2822
    ("multi-tenant", "proxyAddresses", {"proxyAddresses": ["smtp:a:b c@contoso.local"]},
     ("Character, Character, TopLevelDomain", "smtp:abc@contoso.local", "Edit")),
]


@pytest.mark.parametrize(("rule_set", "attribute", "attrs", "expected"), CORPUS,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CORPUS)])
def test_corpus(rule_set, attribute, attrs, expected):
    assert one(attribute, attrs, rule_set) == expected


def test_truncation_never_splits_a_surrogate_pair():
    assert utf16_prefix("ab" + EMOJI, 3) == "ab" and utf16_prefix("ab" + EMOJI, 4) == "ab" + EMOJI
    assert utf16_prefix("abc", 0) == ""


@pytest.mark.parametrize(("attrs", "kept"), [
    ({"sAMAccountName": "cas_1"}, False), ({"sAMAccountName": "Support_388945a0"}, False),
    ({"sAMAccountName": "MSOL_0123abcd"}, False), ({"mailNickname": "CAS_1"}, False),
    ({"mailNickname": "systemmailbox{1f05}"}, False),
    ({"displayName": "MSOL_1", "msExchHideFromAddressLists": True}, False),
    ({"displayName": "MSOL_1"}, True),  # not hidden
    ({"sAMAccountName": "MSOL_1", "objectClass": "contact"}, True),  # the user rules are for users
    ({"objectClass": "group", "groupType": -2147483646}, False),  # security group without mail
    ({"objectClass": "group", "groupType": -2147483646, "mail": "s@contoso.com"}, True),
    ({"objectClass": "group", "groupType": 8, "mail": "d@contoso.com"}, False),  # distribution group, no proxies
    ({"objectClass": "group", "groupType": 8, "proxyAddresses": ["SMTP:d@contoso.com"]}, True),
    # no groupType (an export that left it out): groups with neither mail nor proxyAddresses are skipped
    ({"objectClass": "group"}, False), ({"objectClass": "group", "mail": "g@contoso.com"}, True),
    ({"objectClass": "computer"}, False),
])
def test_multi_tenant_scope(attrs, kept):
    row = {"dn": "CN=X,DC=contoso,DC=com", "cn": "X", "objectClass": "user", "sAMAccountName": "x", "mail": "",
           "displayName": "X", **attrs}
    assert len(scan_scope(directory_frame([row]))) == int(kept)


def test_dedicated_scope_reads_only_objects_with_mail():
    rows = [{"dn": f"CN={n},DC=contoso,DC=com", "cn": n, "objectClass": "user", "mail": m}
            for n, m in (("A", "a@contoso.com"), ("B", ""))]
    assert scan_scope(directory_frame(rows), "dedicated")["cn"].tolist() == ["A"]
    assert scan_scope(directory_frame(rows))["cn"].tolist() == ["A", "B"]


def test_duplicate_actions():
    # the object's first value, unchanged: proxyAddresses SMTP:/smtp: with a mailNickname -> Complete,
    # without one -> Remove; a later value -> Edit; UPN/mail/sAMAccountName with a mailNickname -> Complete
    got = verdicts("proxyAddresses",
                   {"mailNickname": "a", "proxyAddresses": ["SMTP:x@contoso.com", "smtp:y@contoso.com"]},
                   {"proxyAddresses": ["smtp:X@contoso.com"]},
                   {"mailNickname": "c", "proxyAddresses": ["SMTP:c@contoso.com", "SMTP:Y@contoso.com"]})
    assert got == {("U0", "SMTP:x@contoso.com"): ("Duplicate", "SMTP:x@contoso.com", "Complete"),
                   ("U1", "smtp:X@contoso.com"): ("Duplicate", "smtp:X@contoso.com", "Remove"),
                   ("U0", "smtp:y@contoso.com"): ("Duplicate", "smtp:y@contoso.com", "Edit"),
                   ("U2", "SMTP:Y@contoso.com"): ("Duplicate", "SMTP:Y@contoso.com", "Edit")}
    got = verdicts("userPrincipalName", {"userPrincipalName": "u@contoso.com", "mailNickname": "a"},
                   {"userPrincipalName": "U@contoso.com"})
    assert sorted(a for _, _, a in got.values()) == ["Complete", "Edit"]
    got = verdicts("mailNickname", {"mailNickname": "n", "homeMDB": "CN=DB1"}, {"mailNickname": "N"})
    assert sorted(a for _, _, a in got.values()) == ["Complete", "Edit"]
    # a later failing rule decides: a duplicate in a non-routable domain is an Edit
    got = verdicts("proxyAddresses", {"mailNickname": "a", "proxyAddresses": ["SMTP:z@contoso.local"]},
                   {"mailNickname": "b", "proxyAddresses": ["SMTP:z@contoso.local"]})
    assert set(got.values()) == {("Duplicate, TopLevelDomain", "SMTP:z@contoso.local", "Edit")}


def test_no_fix_writes_an_empty_value(tmp_path):
    import preflight
    from preflight.sources.directory import FrameSource

    frame = directory_frame([{"dn": "CN=Dot,DC=contoso,DC=com", "cn": "Dot", "objectClass": "user",
                              "displayName": "Dot", "mailNickname": ".."}])
    source = FrameSource(frame, {"kind": "directory"})
    report = preflight.run_batches([], {"directory": {"source": source}, "idfix": {"scope": "directory"}}, select=["PF4"])
    assert [(f.value, f.suggested_value) for f in report.findings] == [("..", "Dot")]
    fix, _ = write_fix_ldif(report, tmp_path / "fix.ldif")
    assert "replace: mailNickname\nmailNickname: Dot\n" in fix.read_text()
