"""IdFix's rules, table-driven: each invalid character, each length edge, top-level
domains, duplicates across objects, exclusions and the dedicated rule set."""

from __future__ import annotations

import pytest

import preflight
from idfix import objects
from preflight.checks.idfix.rules import (
    BLANK,
    CHARACTER,
    DOMAINPART,
    DUPLICATE,
    FORMAT,
    LENGTH,
    LOCALPART,
    TOPLEVELDOMAIN,
    run_rules,
    scan_scope,
)
from preflight.sources.directory import FrameSource
from preflight.sources.schemas import directory_frame


def frame(*objs, rule_set="multi-tenant"):
    rows = []
    for i, attrs in enumerate(objs):
        obj = {"dn": f"CN=U{i},OU=IdFix,DC=contoso,DC=com", "cn": f"U{i}", "objectClass": "user",
               "displayName": f"U{i}", **attrs}
        rows.append(obj)
    return scan_scope(directory_frame(rows), rule_set)


def result(attrs, rule_set="multi-tenant", attribute=None):
    """(errors, update) of the one failing value of the object, or None when it passes."""
    out = run_rules(frame(attrs, rule_set=rule_set), rule_set)
    if attribute:
        out = out[out["attribute"] == attribute]
    assert len(out) <= 1, out
    return None if out.empty else (int(out["errors"].iloc[0]), out["update"].iloc[0])


#: White space is .NET's (IdFix): tab, vertical tab, no-break space, ideographic space… too.
WHITE = ["\t", "\x0b", "\x85", "\xa0", "\u2007", "\u2028", "\u3000"]
UPN_BAD = list(" \\%&*+/=?'{}|<>();:,[]\"") + list("äëïöüÿÄËÏÖÜŸ") + WHITE


@pytest.mark.parametrize("char", UPN_BAD, ids=[f"U+{ord(c):04X}" for c in UPN_BAD])
def test_upn_invalid_characters_are_removed(char):
    errors, update = result({"userPrincipalName": f"ann{char}lee@contoso.com"}, attribute="userPrincipalName")
    assert errors & CHARACTER and update == "annlee@contoso.com"


PROXY_BAD = list(" <>();,[]\"") + WHITE


@pytest.mark.parametrize("char", PROXY_BAD)
def test_smtp_proxy_invalid_characters(char):
    errors, update = result({"proxyAddresses": [f"smtp:ann{char}lee@contoso.com"]})
    assert errors & CHARACTER and update == "smtp:annlee@contoso.com"


@pytest.mark.parametrize("char", list("\\\"|,/:<>+=;?*[]"))
def test_sam_account_name_invalid_characters_with_or_without_a_upn(char):
    # IdFix's code checks length and characters whatever the UPN; only its duplicate rule needs no UPN
    assert result({"sAMAccountName": f"ann{char}lee"}) == (CHARACTER, "annlee")
    assert result({"sAMAccountName": f"ann{char}lee", "userPrincipalName": "ann@contoso.com"}) == (CHARACTER, "annlee")


def test_target_address_backslash_and_second_colon():
    assert result({"targetAddress": "SMTP:ann\\lee@contoso.com"}) == (CHARACTER, "SMTP:annlee@contoso.com")
    assert result({"targetAddress": "SMTP:ann:lee@contoso.com"}) == (CHARACTER, "SMTP:annlee@contoso.com")
    assert result({"targetAddress": "SMTP:ann.lee@contoso.mail.onmicrosoft.com"}) is None


def test_x500_proxy_addresses_keep_their_characters():
    legacy = "X500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ann"
    assert result({"proxyAddresses": [legacy]}) is None
    assert result({"proxyAddresses": ["X500:/o=Contoso/cn=[ann]"]}) == (CHARACTER, "X500:/o=Contoso/cn=ann")


@pytest.mark.parametrize(
    ("attribute", "limit"),
    [("displayName", 255), ("givenName", 63), ("mail", 256), ("mailNickname", 64), ("targetAddress", 255)],
)
def test_length_edges(attribute, limit):
    def value(n):
        if attribute in ("mail", "userPrincipalName"):
            return "a" * 40 + "@" + "b" * (n - 41 - 4) + ".com"
        if attribute == "targetAddress":
            return "SMTP:" + "a" * 40 + "@" + "b" * (n - 46 - 4) + ".com"
        return "a" * n

    assert result({attribute: value(limit)}, attribute=attribute) is None
    errors, update = result({attribute: value(limit + 1)}, attribute=attribute)
    assert errors & LENGTH and len(update) == limit


def test_proxy_address_length_edge():
    ok = "smtp:" + "a" * 40 + "@" + "b" * (256 - 5 - 41 - 4) + ".com"
    assert len(ok) == 256 and result({"proxyAddresses": [ok]}) is None
    errors, update = result({"proxyAddresses": [ok[:5] + "a" + ok[5:]]})
    assert errors & LENGTH and len(update) == 256


def test_upn_longer_than_113_is_truncated():
    # the parts' limits (under 64 and under 48) keep a valid UPN at 111 characters at most
    errors, update = result({"userPrincipalName": "a" * 60 + "@" + "b" * 49 + ".com"})
    assert errors & LENGTH and len(update) == 113


def test_sam_account_name_length_is_20_for_users():
    assert result({"sAMAccountName": "a" * 20}) is None
    assert result({"sAMAccountName": "a" * 21}) == (LENGTH, "a" * 20)


@pytest.mark.parametrize("upn", ["a" * 64 + "@contoso.com", "a@" + "b" * 44 + ".com", "a" * 70 + "@" + "b" * 38 + ".com"])
def test_upn_parts_are_not_limited_on_their_own(upn):
    # IdFix's page lists "less than 64 before @, less than 48 after"; its code checks only the total (113)
    assert len(upn) <= 113 and result({"userPrincipalName": upn}) is None


@pytest.mark.parametrize(("upn", "errors"), [
    ("ann@contoso.local", TOPLEVELDOMAIN), ("ann@contoso.corp", TOPLEVELDOMAIN), ("ann@contoso.lan", TOPLEVELDOMAIN),
    ("ann@contoso.com", 0), ("ann@contoso.co.uk", 0), ("ann@contoso.museum", 0),
    ("ann@contoso", DOMAINPART | FORMAT), ("ann@-contoso.com", DOMAINPART | FORMAT),
    ("ann..lee@contoso.com", LOCALPART | FORMAT), (".ann@contoso.com", LOCALPART | FORMAT),
])
def test_rfc2822_and_routable_namespace(upn, errors):
    got = result({"userPrincipalName": upn})
    assert (got[0] if got else 0) == errors


def test_duplicates_are_case_insensitive_within_an_attribute_and_name_every_object():
    f = frame({"proxyAddresses": ["SMTP:a@contoso.com", "smtp:x@contoso.com"]},
              {"proxyAddresses": ["SMTP:b@contoso.com", "SMTP:X@CONTOSO.COM"]},
              {"proxyAddresses": ["SMTP:c@contoso.com"], "mail": "x@contoso.com"})
    out = run_rules(f)
    dups = out[(out["errors"] & DUPLICATE) != 0]
    assert sorted(dups["value"]) == ["SMTP:X@CONTOSO.COM", "smtp:x@contoso.com"]  # mail is another attribute
    assert all(sorted(d) == ["CN=U0,OU=IdFix,DC=contoso,DC=com", "CN=U1,OU=IdFix,DC=contoso,DC=com"] for d in dups["duplicates"])
    assert (dups["update"] == dups["value"]).all()


def test_the_same_value_twice_on_one_object_is_a_duplicate():
    # IdFix's DuplicateStore keys values by attribute, not by object
    out = run_rules(frame({"proxyAddresses": ["SMTP:a@contoso.com", "smtp:A@contoso.com"], "mailNickname": "a"}))
    assert out["value"].tolist() == ["SMTP:a@contoso.com", "smtp:A@contoso.com"]
    assert (out["errors"] == DUPLICATE).all() and out["action"].tolist() == ["Complete", "Edit"]


@pytest.mark.parametrize("cn", ["Administrator", "CAS_{1234}", "DiscoverySearchMailbox {D919}", "FederatedEmail.4c1f",
                                "Guest", "krbtgt", "SystemMailbox{1f05}", "HealthMailbox0a1b", "WS01$", "msol_1234"])
def test_well_known_exclusions_are_skipped(cn):
    f = directory_frame([{"dn": f"CN={cn},DC=contoso,DC=com", "cn": cn, "objectClass": "user",
                          "userPrincipalName": "bad value@contoso.local"}])
    assert scan_scope(f).empty


def test_conflict_objects_are_checked_critical_system_objects_and_mailless_groups_are_skipped():
    f = directory_frame([
        # IdFix's conflict test looks for a NUL character ("\0ACNF:" in C#): a DN never holds one
        {"dn": "CN=Ann\\0ACNF:5b3c,OU=IdFix,DC=contoso,DC=com", "cn": "Ann", "objectClass": "user"},
        {"dn": "CN=Bob,OU=IdFix,DC=contoso,DC=com", "cn": "Bob", "objectClass": "user", "isCriticalSystemObject": True},
        {"dn": "CN=Sec,OU=IdFix,DC=contoso,DC=com", "cn": "Sec", "objectClass": "group"},
        {"dn": "CN=Box,OU=IdFix,DC=contoso,DC=com", "cn": "Box", "objectClass": "user"},
    ])
    assert scan_scope(f)["cn"].tolist() == ["Ann", "Box"]


def test_multi_tenant_blank_display_name_proposes_the_common_name():
    f = scan_scope(directory_frame([{"dn": "CN=Ann,DC=contoso,DC=com", "cn": "Ann", "objectClass": "user"}]))
    out = run_rules(f)
    assert out[["attribute", "errors", "update"]].values.tolist() == [["displayName", BLANK, "Ann"]]


def test_dedicated_rules():
    assert result({"displayName": " Ann ", "mail": "ann@contoso.com", "homeMDB": "CN=DB1"}, "dedicated",
                  "displayName") == (CHARACTER, "Ann")
    assert result({"mail": "ann lee@contoso.com"}, "dedicated", "mail") == (CHARACTER, "annlee@contoso.com")
    assert result({"mail": "a@contoso.com", "mailNickname": "ann!lee."}, "dedicated", "mailNickname") == (
        CHARACTER | FORMAT, "annlee")
    # a user without a mailbox: blank targetAddress, no proposal (TargetAddressBlankRule proposes for contacts)
    errors, update = result({"mail": "ann@contoso.com", "mailNickname": "ann"}, "dedicated", "targetAddress")
    assert errors == BLANK and update == ""
    with pytest.raises(ValueError):
        run_rules(frame({}), "hybrid")


def test_through_the_runner_every_check_reports_its_error_type():
    rows = [dict(a, dn=d, cn=d.split(",")[0][3:]) for d, a in objects.ENTRIES[1:]]
    source = FrameSource(directory_frame(rows), {"kind": "directory"})
    report = preflight.run_batches([], {"directory": {"source": source}, "idfix": {"scope": "directory"}}, select=["PF4"])
    got = {(f.code, f.dn.split(",")[0][3:], f.attribute, f.value, f.suggested_value) for f in report.findings}
    assert got == objects.EXPECTED
    assert {r.code for r in report.results if r.status.value == "passed"} == {"PF404", "PF407"}


def test_without_a_directory_idfix_checks_are_skipped():
    report = preflight.run_batches([], {"idfix": {"scope": "directory"}}, select=["PF4"])
    assert report.results and all(r.status.value == "skipped" for r in report.results)
