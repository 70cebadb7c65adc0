"""Migration account rights (PF540-PF545) on the real Samba AD DC, live and through an ldifde
export the test writes from it. Security descriptors are built from SDDL by Samba's own
``samba.security`` (Debian's python3-samba), never as hand-made bytes."""

from __future__ import annotations

import sys
from pathlib import Path
from datetime import datetime, timedelta, timezone

import ldap3
import pytest
from ad import scenario
from ad.exporters import write_ldifde

import preflight
from preflight.checks.endpoint.access import FULL_ACCESS, WRITE_PROPERTY
from preflight.checks.endpoint.access import check as access_check
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory.configuration import CONFIGURATION_ATTRIBUTES, CONFIGURATION_FILTER
from preflight.sources.directory.ldap import LdapSource
from preflight.sources.rights import SELF, rights_reader

RIGHTS = "OU=Rights," + scenario.BASE_DN
#: An Exchange organization of its own in the Configuration partition: Receive As on stores.
RIGHTS_ORG = "CN=Rights Org,CN=Microsoft Exchange," + scenario.SERVICES
SG_PLAIN = "CN=Rights SG0," + RIGHTS_ORG
SG_GRANTED = "CN=Rights SG1," + RIGHTS_ORG
DB_EXPLICIT = "CN=Rights DB1," + SG_PLAIN     # Receive As granted on the database itself
DB_INHERITED = "CN=Rights DB2," + SG_GRANTED  # Receive As granted on its storage group, inherited
DB_PLAIN = "CN=Rights DB3," + SG_PLAIN        # nothing for the migration account
RECEIVE_AS = "ab721a56-1e2f-11d0-9819-00aa0040529b"
ADMIN_ACCOUNT = "svc-admin@contoso.com"  # a Domain Admin: the organization's deny defeats it
PSO = "CN=Rights PSO,CN=Password Settings Container,CN=System," + scenario.BASE_DN
GRANTED = "OU=Granted," + RIGHTS
PLAIN = "OU=Plain," + RIGHTS
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"
ACCOUNT = "svc-migrate@contoso.com"
PASSWORD = "Mig-Pa55word-for-tests"  # a test account's password on the throw-away DC
SD_DACL = [("1.2.840.113556.1.4.801", True, b"0\x03\x02\x01\x04")]


def samba_security():
    """Samba's python bindings (Debian python3-samba), from the system's dist-packages."""
    try:
        from samba.dcerpc import security
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        from samba.dcerpc import security
    from samba.ndr import ndr_pack
    return security, ndr_pack


def sd(sddl: str, domain_sid: str) -> bytes:
    """A self-relative security descriptor from SDDL, by Samba."""
    security, ndr_pack = samba_security()
    return ndr_pack(security.descriptor.from_sddl(sddl, security.dom_sid(domain_sid)))


def _sid(conn: ldap3.Connection, dn: str) -> str:
    from ldap3.protocol.formatters.formatters import format_sid

    conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["objectSid"])
    return format_sid(conn.entries[0]["objectSid"].raw_values[0])


def _user(cn: str, ou: str, **attrs):
    nick = cn.lower().replace(" ", ".")
    obj = {"objectClass": "user", "sAMAccountName": nick.replace(".", "")[:20], "userPrincipalName": f"{nick}@contoso.com",
           "userAccountControl": 512, "mail": f"{nick}@contoso.com", "mailNickname": nick,
           "proxyAddresses": [f"SMTP:{nick}@contoso.com"], "homeMDB": scenario.DATABASE,
           "msExchRecipientTypeDetails": 1, "displayName": cn}
    obj.update(attrs)
    return f"CN={cn},{ou}", obj


def _password(value: str) -> bytes:
    return f'"{value}"'.encode("utf-16-le")


#: batch user cn -> what it tests
MAILBOXES = {
    "Rights Direct": "FullAccess to the account",
    "Rights Nested": "FullAccess to a group the account is in through another group",
    "Rights Denied": "an explicit deny of FullAccess before the group's allow",
    "Rights None": "SELF only",
    "Rights NoSD": "no msExchMailboxSecurityDescriptor",
    "Rights Orphan": "FullAccess, and two entries of a deleted user",
    "Rights Plain": "FullAccess, but in an OU that grants no WriteProperty on targetAddress",
    "Rights Protected": "adminCount=1: AdminSDHolder grants nothing",
    "Rights WriteDenied": "an explicit deny of WriteProperty on targetAddress",
}
NOT_OPENED = {"Rights Denied", "Rights None", "Rights NoSD"}  # by FullAccess
#: The mailboxes' stores: Rights None and Rights NoSD are opened through Receive As, Rights Denied not.
HOME = {"Rights None": DB_EXPLICIT, "Rights NoSD": DB_INHERITED}
NOT_OPENABLE = {"Rights Denied"}
NO_TARGET_ADDRESS = {"Rights Plain", "Rights Protected", "Rights WriteDenied"}


@pytest.fixture(scope="module")
def rights_dc(samba_dc):
    """The rights scenario added to the session DC under OU=Rights, removed afterwards."""
    conn = samba_dc.connection(raise_exceptions=True)
    added: list[str] = []

    def add(dn, attrs):
        conn.add(dn, attributes=attrs)
        added.append(dn)

    domain = _sid(conn, scenario.BASE_DN)
    conn.search(scenario.CONFIGURATION_DN.replace("CN=Configuration", "CN=Schema,CN=Configuration"),
                "(lDAPDisplayName=targetAddress)", attributes=["schemaIDGUID"])
    target_guid = str(__import__("uuid").UUID(bytes_le=conn.entries[0]["schemaIDGUID"].raw_values[0]))
    add(RIGHTS, {"objectClass": "organizationalUnit"})
    add(f"CN=Migration Admins,{RIGHTS}", {"objectClass": "group", "sAMAccountName": "MigrationAdmins"})
    add(f"CN=Migration Ops,{RIGHTS}", {"objectClass": "group", "sAMAccountName": "MigrationOps"})
    account_dn = f"CN=svc-migrate,{RIGHTS}"
    add(account_dn, {"objectClass": "user", "sAMAccountName": "svc-migrate", "userPrincipalName": ACCOUNT,
                     "unicodePwd": _password(PASSWORD), "userAccountControl": 512})
    for cn, extra in (("svc-disabled", {"userAccountControl": 514}),
                      ("svc-mustchange", {}),
                      ("svc-expired", {"accountExpires": str(_filetime(datetime.now(timezone.utc) - timedelta(days=2)))})):
        add(f"CN={cn},{RIGHTS}", {"objectClass": "user", "sAMAccountName": cn, "userPrincipalName": f"{cn}@contoso.com",
                                  "unicodePwd": _password(PASSWORD), "userAccountControl": 512, **extra})
    # a fine-grained password policy for two accounts: passwords last 10 days, 2 bad passwords lock
    minutes = -60 * 10**7
    for cn in ("svc-locked", "svc-shortpwd"):
        add(f"CN={cn},{RIGHTS}", {"objectClass": "user", "sAMAccountName": cn, "userPrincipalName": f"{cn}@contoso.com",
                                  "unicodePwd": _password(PASSWORD), "userAccountControl": 512})
    add(PSO, {"objectClass": "msDS-PasswordSettings", "msDS-PasswordSettingsPrecedence": 1,
              "msDS-PasswordReversibleEncryptionEnabled": False, "msDS-PasswordHistoryLength": 0,
              "msDS-PasswordComplexityEnabled": False, "msDS-MinimumPasswordLength": 1,
              "msDS-MinimumPasswordAge": 0, "msDS-MaximumPasswordAge": str(10 * 24 * 60 * minutes),
              "msDS-LockoutThreshold": 2, "msDS-LockoutObservationWindow": str(30 * minutes),
              "msDS-LockoutDuration": str(30 * minutes),
              "msDS-PSOAppliesTo": [f"CN=svc-locked,{RIGHTS}", f"CN=svc-shortpwd,{RIGHTS}"]})
    for _ in range(2):
        with pytest.raises(ldap3.core.exceptions.LDAPBindError):
            samba_dc.connection(user="svc-locked@contoso.com", password="not-the-password")
    conn.modify(f"CN=svc-disabled,{RIGHTS}", {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["514"])]})
    conn.modify(f"CN=svc-mustchange,{RIGHTS}", {"pwdLastSet": [(ldap3.MODIFY_REPLACE, ["0"])]})
    conn.modify(f"CN=Migration Ops,{RIGHTS}", {"member": [(ldap3.MODIFY_ADD, [account_dn])]})
    conn.modify(f"CN=Migration Admins,{RIGHTS}", {"member": [(ldap3.MODIFY_ADD, [f"CN=Migration Ops,{RIGHTS}"])]})
    account = _sid(conn, account_dn)
    admins = _sid(conn, f"CN=Migration Admins,{RIGHTS}")
    conn.add(f"CN=Gone User,{RIGHTS}", attributes={"objectClass": "user", "sAMAccountName": "goneuser"})
    gone = _sid(conn, f"CN=Gone User,{RIGHTS}")
    conn.delete(f"CN=Gone User,{RIGHTS}")

    # the organization denies Receive As to Domain Admins (inherited by every store), then grants them
    # everything (as Exchange 2003's Full Administrator role); the deny comes first in the DACL
    add(RIGHTS_ORG, {"objectClass": "container",
                     "nTSecurityDescriptor": sd(f"O:DAG:DAD:(OD;CI;CR;{RECEIVE_AS};;DA)(A;CI;GA;;;DA)", domain)})
    add(SG_PLAIN, {"objectClass": "container"})
    add(SG_GRANTED, {"objectClass": "container",
                     "nTSecurityDescriptor": sd(f"O:DAG:DAD:(OA;CI;CR;{RECEIVE_AS};;{account})", domain)})
    add(DB_EXPLICIT, {"objectClass": "msExchPrivateMDB",
                      "nTSecurityDescriptor": sd(f"O:DAG:DAD:(OA;;CR;{RECEIVE_AS};;{account})", domain)})
    add(DB_INHERITED, {"objectClass": "msExchPrivateMDB"})
    add(DB_PLAIN, {"objectClass": "msExchPrivateMDB"})
    admin_dn = f"CN=svc-admin,{RIGHTS}"
    add(admin_dn, {"objectClass": "user", "sAMAccountName": "svc-admin", "userPrincipalName": ADMIN_ACCOUNT,
                   "unicodePwd": _password(PASSWORD), "userAccountControl": 512})
    conn.modify("CN=Domain Admins,CN=Users," + scenario.BASE_DN, {"member": [(ldap3.MODIFY_ADD, [admin_dn])]})

    add(GRANTED, {"objectClass": "organizationalUnit",
                  "nTSecurityDescriptor": sd(f"O:DAG:DAD:(OA;CI;WP;{target_guid};{USER_CLASS};{account})", domain)})
    add(PLAIN, {"objectClass": "organizationalUnit"})

    def mailbox_sd(*aces: str) -> bytes:
        return sd("O:SYG:SYD:" + "".join(aces) + "(A;CI;0x20001;;;PS)", domain)

    full = f"(A;CI;0x1;;;{account})"
    users = {
        "Rights Direct": (GRANTED, mailbox_sd(full)),
        "Rights Nested": (GRANTED, mailbox_sd(f"(A;CI;0x1;;;{admins})")),
        "Rights Denied": (GRANTED, mailbox_sd(f"(D;CI;0x1;;;{account})", f"(A;CI;0x1;;;{admins})")),
        "Rights None": (GRANTED, mailbox_sd()),
        "Rights NoSD": (GRANTED, None),
        "Rights Orphan": (GRANTED, mailbox_sd(full, f"(A;CI;0x1;;;{gone})", f"(A;CI;0x20000;;;{gone})")),
        "Rights Plain": (PLAIN, mailbox_sd(full)),
        "Rights Protected": (GRANTED, mailbox_sd(full)),
        "Rights WriteDenied": (GRANTED, mailbox_sd(full)),
    }
    for cn, (ou, blob) in users.items():
        extra: dict = {}
        if blob is not None:
            extra["msExchMailboxSecurityDescriptor"] = blob
        if cn == "Rights Protected":  # as SDProp leaves a protected user: adminCount=1, inheritance off
            extra["adminCount"] = 1
            extra["nTSecurityDescriptor"] = sd("O:DAG:DAD:P(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;;RPLCLORC;;;AU)", domain)
        if cn == "Rights WriteDenied":
            extra["nTSecurityDescriptor"] = sd(f"O:DAG:DAD:(OD;;WP;{target_guid};;{account})", domain)
        add(*_user(cn, ou, homeMDB=HOME.get(cn, DB_PLAIN), **extra))
    conn.unbind()
    yield {"dc": samba_dc, "domain": domain, "account": account, "admins": admins, "gone": gone,
           "account_dn": account_dn}
    conn = samba_dc.connection()
    for dn in reversed(added):
        conn.delete(dn)
    conn.unbind()


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=timezone.utc)).total_seconds() * 10_000_000)


def _batch():
    rows = "\n".join(f"{cn.lower().replace(' ', '.')}@contoso.com" for cn in MAILBOXES)
    return parse_batch(f"EmailAddress\n{rows}\n".encode(), "rights.csv")


def _cn(dn: str) -> str:
    return dn.split(",")[0][3:]


@pytest.fixture(scope="module")
def exported(rights_dc, tmp_path_factory):
    """An ldifde-style export of OU=Rights, the domain object, the targetAddress schema object and
    AdminSDHolder, the descriptors read with the SD-flags control (DACL) as ldifde -l asks for them."""
    dc = rights_dc["dc"]
    conn = dc.connection()
    user_attrs = ["objectClass", "cn", "sAMAccountName", "userPrincipalName", "mail", "mailNickname", "proxyAddresses",
                  "homeMDB", "msExchRecipientTypeDetails", "displayName", "userAccountControl", "objectSid", "memberOf",
                  "primaryGroupID", "msExchMailboxSecurityDescriptor", "nTSecurityDescriptor", "adminCount",
                  "pwdLastSet", "accountExpires", "lockoutTime"]
    entries = []
    for base, scope, attrs in ((scenario.BASE_DN, ldap3.BASE, ["objectClass", "objectSid", "maxPwdAge", "lockoutDuration"]),
                               (RIGHTS, ldap3.SUBTREE, user_attrs),
                               ("CN=AdminSDHolder,CN=System," + scenario.BASE_DN, ldap3.BASE,
                                ["objectClass", "nTSecurityDescriptor"])):
        conn.search(base, "(objectClass=*)", search_scope=scope, attributes=attrs, controls=SD_DACL)
        entries += [(e.entry_dn, {k: v for k, v in e.entry_raw_attributes.items() if v}) for e in conn.entries]
    conn.search(scenario.BASE_DN, "(objectClass=group)", attributes=["objectClass", "cn", "objectSid", "memberOf"])
    entries += [(e.entry_dn, {k: v for k, v in e.entry_raw_attributes.items() if v}) for e in conn.entries]
    conn.search("CN=Schema," + scenario.CONFIGURATION_DN, "(lDAPDisplayName=targetAddress)",
                attributes=["objectClass", "lDAPDisplayName", "schemaIDGUID"])
    entries += [(e.entry_dn, {k: v for k, v in e.entry_raw_attributes.items() if v}) for e in conn.entries]
    folder = tmp_path_factory.mktemp("rights")
    users = folder / "contoso-rights.ldf"
    write_ldifde(list({dn.casefold(): (dn, attrs) for dn, attrs in entries}.values()), users)
    # the Configuration partition as the README's ldifde command exports it (DACLs of the stores)
    # (msExchOwningServer is not in the test schema: the stores' server is the object above them)
    conn.search(scenario.CONFIGURATION_DN, CONFIGURATION_FILTER, controls=SD_DACL,
                attributes=[a for a in CONFIGURATION_ATTRIBUTES if a != "msExchOwningServer"])
    stores = [(e.entry_dn, {k: v for k, v in e.entry_raw_attributes.items() if v}) for e in conn.entries]
    conn.unbind()
    assert any(dn == DB_INHERITED for dn, _ in stores)
    organization = folder / "exchange-config.ldf"
    write_ldifde(stores, organization)
    return users, organization


@pytest.fixture(params=["ldap3", "python-ldap", "export"])
def directory(request, rights_dc, live_directory, exported):
    """The DC read live by each LDAP backend, and its ldifde export."""
    if request.param == "export":
        return {"source": [str(exported[0]), str(exported[1])]}
    if request.param == "python-ldap":
        pytest.importorskip("ldap")
    return {**live_directory, "backend": request.param}


def _run(directory, account=ACCOUNT, **endpoint):
    return preflight.run_batches([_batch()], {"directory": directory,
                                              "endpoint": {"migration_account": account, **endpoint}}, select=["PF54"])


def _by_code(report):
    out: dict[str, set[str]] = {}
    for f in report.findings:
        out.setdefault(f.code, set()).add(_cn(f.dn))
    return out


def test_the_decisions_per_mailbox(rights_dc, directory):
    if isinstance(directory["source"], str):
        reader = rights_reader(LdapSource.from_config(directory))
    else:
        from preflight.sources.directory.exports import read_export

        reader = rights_reader(read_export(directory["source"][0]))
    dns = [_user(cn, PLAIN if cn == "Rights Plain" else GRANTED)[0] for cn in MAILBOXES]
    rights = reader.read(ACCOUNT, dns)
    token = rights.account.token
    assert {rights_dc["account"], rights_dc["admins"], "S-1-1-0", "S-1-5-11"} <= token
    assert f"{rights_dc['domain']}-513" in token  # the primary group, Domain Users
    opened = {}
    for dn in dns:
        user = rights.users[dn.casefold()]
        opened[_cn(dn)] = user.has_mailbox_sd and access_check(user.mailbox, token, FULL_ACCESS).granted
    assert {cn for cn, ok in opened.items() if not ok} == NOT_OPENED
    denied = rights.users[dns[2].casefold()]
    decision = access_check(denied.mailbox, token, FULL_ACCESS)
    assert decision.ace is not None and not decision.ace.allow and decision.ace.sid == rights_dc["account"]
    # SELF stands for the mailbox's own account, never for the migration account
    assert not access_check(rights.users[dns[3].casefold()].mailbox, token, FULL_ACCESS).granted
    assert access_check(rights.users[dns[3].casefold()].mailbox, token | {SELF}, FULL_ACCESS).granted
    writable = {_cn(dn) for dn in dns
                if access_check(rights.users[dn.casefold()].user, token, WRITE_PROPERTY, rights.target_address_guids).granted}
    assert NO_TARGET_ADDRESS.isdisjoint(writable) and "Rights Direct" in writable


def test_rights_findings(rights_dc, directory):
    report = _run(directory)
    found = _by_code(report)
    assert found.get("PF542") == NO_TARGET_ADDRESS
    assert found.get("PF545") == {"Rights Orphan"}
    orphan = next(f for f in report.findings if f.code == "PF545")
    assert orphan.value == "2" and rights_dc["gone"] in orphan.message
    assert "PF543" not in found and "PF544" not in found
    assert found.get("PF540") == NOT_OPENABLE and "PF541" not in found
    status = {r.code: r for r in report.results}
    assert status["PF543"].status.value == "passed" and status["PF544"].status.value == "passed"
    denied = next(f for f in report.findings if f.code == "PF540")
    assert "FullAccess is not granted: denied by an explicit ACE" in denied.message and DB_PLAIN in denied.message
    protected = next(f for f in report.findings if _cn(f.dn) == "Rights Protected")
    assert "adminCount=1" in protected.message and "AdminSDHolder" in protected.message


@pytest.mark.parametrize("account, reason", [("svc-disabled@contoso.com", "disabled"),
                                             ("CONTOSO\\svc-mustchange", "must be changed"),
                                             ("svc-expired@contoso.com", "the account expired"),
                                             ("svc-locked@contoso.com", "locked out")])
def test_an_account_that_cannot_log_on(rights_dc, directory, account, reason):
    report = _run(directory, account=account)
    unusable = [f for f in report.findings if f.code == "PF543"]
    assert len(unusable) == 1 and reason in unusable[0].message


def test_a_password_expiring_within_the_window(rights_dc, directory):
    # Samba's default maxPwdAge is 42 days: outside a 30-day window, inside a 60-day one
    assert "PF544" not in _by_code(_run(directory, migration_window_days=30))
    expiring = [f for f in _run(directory, migration_window_days=60).findings if f.code == "PF544"]
    assert len(expiring) == 1 and "password expires" in expiring[0].message


def test_an_unknown_account_errors_the_checks(rights_dc, directory):
    report = _run(directory, account="nobody@contoso.com")
    errored = {r.code for r in report.results if r.status.value == "errored"}
    assert {"PF540", "PF542", "PF543", "PF545"} <= errored


def test_an_ordinary_account_reads_the_dacls_in_one_batched_read(rights_dc, live_directory, backend, monkeypatch):
    """Bound as the migration account itself (Domain Users, no admin right): the SD-flags control asks
    for the DACL only, which it may read; the users take one search per chunk, not one per row."""
    monkeypatch.setenv("PREFLIGHT_TEST_RIGHTS_PASSWORD", PASSWORD)
    options = {**live_directory, "bind_user": ACCOUNT, "password_env": "PREFLIGHT_TEST_RIGHTS_PASSWORD",
               "backend": backend, "chunk_size": 4}
    source = LdapSource.from_config(options)
    dns = [_user(cn, PLAIN if cn == "Rights Plain" else GRANTED)[0] for cn in MAILBOXES]
    rights = rights_reader(source).read(ACCOUNT, dns)
    assert all(u.has_user_sd and u.user for u in rights.users.values())
    assert len(rights.users) == len(MAILBOXES)
    # rootDSE, base DN, account, tokenGroups, 3 chunks of users, domain SID, 1 chunk of SIDs, schema, AdminSDHolder
    assert source.searches == 1 + 1 + 1 + 1 + 3 + 1 + 1 + 1 + 1
    report = _run({**options, "chunk_size": 150})
    assert _by_code(report).get("PF542") == NO_TARGET_ADDRESS
    # without the control the same account is given no nTSecurityDescriptor at all
    conn = rights_dc["dc"].connection(user=ACCOUNT, password=PASSWORD)
    for controls, length in ((None, 0), (SD_DACL, 1)):
        conn.search(dns[0], "(objectClass=*)", search_scope=ldap3.BASE, attributes=["nTSecurityDescriptor"],
                    controls=controls)
        assert len(conn.entries[0].entry_raw_attributes.get("nTSecurityDescriptor") or []) == length
    conn.unbind()


def test_without_the_configuration_partition_receive_as_is_not_decided(rights_dc, exported):
    report = _run({"source": str(exported[0])})
    status = {r.code: r for r in report.results}
    assert status["PF540"].status.value == "skipped"
    assert status["PF540"].reason.startswith(f"{len(NOT_OPENED)} batch mailbox(es) are not opened by FullAccess")
    assert "Configuration partition was not given" in status["PF540"].reason


def test_a_domain_admin_is_defeated_by_the_organization_deny(rights_dc, directory):
    report = _run(directory, account=ADMIN_ACCOUNT)
    found = _by_code(report)
    assert found.get("PF540") == set(MAILBOXES)
    summary = [f for f in report.findings if f.code == "PF541"]
    assert len(summary) == 1 and f"none of the {len(MAILBOXES)} batch mailbox(es)" in summary[0].message
    da = f"{rights_dc['domain']}-512"
    one = next(f for f in report.findings if f.code == "PF540" and _cn(f.dn) == "Rights Direct")
    assert f"Receive As on its store {DB_PLAIN} is not granted: denied by an inherited ACE for {da}" in one.message


def test_a_fine_grained_password_policy_is_seen_live(rights_dc, live_directory):
    """The DC's msDS-UserPasswordExpiryTimeComputed applies the PSO (10 days): inside the 30-day window."""
    expiring = [f for f in _run(live_directory, account="svc-shortpwd@contoso.com").findings if f.code == "PF544"]
    assert len(expiring) == 1 and "password expires" in expiring[0].message
    assert not [f for f in _run(live_directory).findings if f.code in ("PF543", "PF544")]


def test_the_command_line(rights_dc, exported, tmp_path, capsys):
    from preflight.cli import main

    batch = tmp_path / "wave.csv"
    batch.write_bytes(_batch().raw)
    out = tmp_path / "report.json"
    code = main([str(batch), "--directory", str(exported[0]), "--directory", str(exported[1]),
                 "--migration-account", "CONTOSO\\svc-admin", "--migration-window-days", "5", "--select", "PF54",
                 "--format", "json", "--output", str(out)])
    import json

    import jsonschema

    report = json.loads(out.read_text())
    schema = json.loads((Path(preflight.__file__).parent / "schema" / "report.schema.json").read_text())
    jsonschema.validate(report, schema)
    findings = report["findings"]
    # a Domain Admin may write every user's targetAddress (its default rights; AdminSDHolder's too), and
    # open no mailbox (the organization's deny of Receive As)
    assert code == 1 and {f["code"] for f in findings} == {"PF540", "PF541", "PF545"}
    assert sum(f["code"] == "PF540" for f in findings) == len(MAILBOXES)
