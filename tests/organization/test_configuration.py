"""The Exchange organization data without a server: versions from serialNumber and versionNumber
(the real values of exchange-facts.md §2), telling organization exports from user exports, and
the checks' skip/pass/fail edges on exports the tests write."""

from __future__ import annotations

import os

import pytest

import preflight
from ad import exporters, scenario
from organization import objects
from preflight.registry import SourceError
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory import configuration as c

DOMAIN = ("DC=contoso,DC=com", {"objectClass": ["top", "domain", "domainDNS"], "minPwdLength": "8"})


@pytest.mark.parametrize(("serial", "expected", "product"), [
    ("Version 6.5 (Build 7226.6: Service Pack 1)", (6, 5, 7226, 6, "Service Pack 1"), "Exchange 2003"),
    ("Version 6.5 (Build 7638.2: Service Pack 2)", (6, 5, 7638, 2, "Service Pack 2"), "Exchange 2003"),
    ("Version 6.5 (Build 7638: Service Pack 2)", (6, 5, 7638, None, "Service Pack 2"), "Exchange 2003"),
    ("Version 8.3 (Build 83.6)", (8, 3, 83, 6, None), "Exchange 2007"),
    ("version 8.1 (build 240.6)", (8, 1, 240, 6, None), "Exchange 2007"),
    ("Version 14.3 (Build 123.4)", (14, 3, 123, 4, None), "Exchange 2010"),
    ("Version 15.1 (Build 2507.6)", (15, 1, 2507, 6, None), "Exchange 2016"),
])
def test_serial_number(serial, expected, product):
    v = c.parse_serial_number(serial)
    assert v is not None
    assert (v.major, v.minor, v.build, v.revision, v.service_pack) == expected
    assert v.product == product
    assert v.staged_source == (product in ("Exchange 2003", "Exchange 2007"))
    assert v.hybrid_era == (v.major >= 14)


@pytest.mark.parametrize("serial", ["", "Exchange", "Build 83.6", "Version eight"])
def test_serial_number_without_a_version(serial):
    assert c.parse_serial_number(serial) is None


def test_version_number_bits():
    v = c.decode_version_number(1912832083)  # 0x72038053, Exchange 2007 SP3 (exchange-facts.md §2)
    assert (v.major, v.minor, v.build) == (8, 3, 83) and v.product == "Exchange 2007"
    v = c.decode_version_number(objects.VERSION_2010)
    assert (v.major, v.minor, v.build) == (14, 3, 123) and v.hybrid_era
    assert c.decode_version_number(1912832083 - 2**32) == c.decode_version_number(1912832083)  # read as signed
    assert c.decode_version_number(4406) is None  # not the 2007+ layout (bits 31-28 are not 7)


def test_versionnumber_only_server_is_read_from_its_bits():
    cfg = c.from_entries([c.Entry(objects.EX2010, frozenset({"msexchexchangeserver"}),
                                  {"versionnumber": (str(objects.VERSION_2010),)})], [],
                         configuration_read=True, domains_read=False, description={})
    assert cfg.servers[0].version.product == "Exchange 2010"


def write(tmp_path, name, entries, fmt="ldif"):
    path = tmp_path / name
    (exporters.write_ldifde if fmt == "ldif" else exporters.write_csvde)(entries, path)
    return str(path)


@pytest.mark.parametrize("fmt", ["ldif", "csvde"])
def test_organization_exports_are_told_from_user_exports(tmp_path, fmt):
    assert c.is_organization_export(write(tmp_path, "config", objects.CONFIGURATION, fmt))
    assert c.is_organization_export(write(tmp_path, "domain", [DOMAIN], fmt))
    # a user export, even one starting with Configuration-partition placeholders, is not one
    assert not c.is_organization_export(write(tmp_path, "users", scenario.ENTRIES, fmt))


def test_split_sources(tmp_path):
    config = write(tmp_path, "config.ldif", objects.CONFIGURATION)
    users = write(tmp_path, "users.ldif", scenario.ENTRIES)
    assert c.split_sources([users, config]) == (users, [tmp_path / "config.ldif"])
    assert c.split_sources(["ldaps://dc1", config]) == ("ldaps://dc1", [tmp_path / "config.ldif"])
    with pytest.raises(SourceError, match="more than one user directory"):
        c.split_sources([users, users])


def test_an_empty_or_malformed_organization_export_is_a_source_error(tmp_path):
    (tmp_path / "empty.ldif").write_text("# nothing\n")
    with pytest.raises(SourceError, match="no entries"):
        c.read_entries(tmp_path / "empty.ldif")
    (tmp_path / "bad.ldif").write_text(f"dn: {objects.EX2003}\nobjectClass msExchExchangeServer\n\n")
    with pytest.raises(SourceError, match="not valid LDIF"):
        c.read_entries(tmp_path / "bad.ldif")


def run(files, select, **config):
    batch = parse_batch(b"EmailAddress\nann.lee@contoso.com\n", "wave.csv")
    return preflight.run_batches([batch], {"directory": {"source": files}, **config}, select=select)


def status(report):
    return {r.code: (r.status.value, r.reason) for r in report.results}


def test_password_length_of_8_passes_and_7_warns(tmp_path):
    report = run([write(tmp_path, "d8.ldif", [DOMAIN])], ["PF806"])
    assert status(report)["PF806"][0] == "passed"
    short = (DOMAIN[0], {**DOMAIN[1], "minPwdLength": "6"})
    report = run([write(tmp_path, "d6.ldif", [short])], ["PF806"])
    assert [(f.code, f.value, f.severity.value) for f in report.findings] == [("PF806", "6", "warning")]


def test_without_the_domain_head_pf806_is_skipped_with_the_command(tmp_path):
    report = run([write(tmp_path, "config.ldif", objects.CONFIGURATION)], ["PF806"])
    state, reason = status(report)["PF806"]
    assert state == "skipped" and "-p Base" in reason


def test_scp_check_needs_the_stage_and_ignores_cloud_urls(tmp_path):
    config = write(tmp_path, "config.ldif", objects.CONFIGURATION)
    assert status(run([config], ["PF805"]))["PF805"][0] == "skipped"
    assert status(run([config], ["PF805"], dns={"stage": "migrating"}))["PF805"][0] == "skipped"
    assert [f.value for f in run([config], ["PF805"], dns={"stage": "cutover"}).findings] == [objects.SCP_URL]
    cloud = [(dn, {**a, "serviceBindingInformation": "https://autodiscover-s.outlook.com/autodiscover/autodiscover.xml"})
             if dn == objects.SCP else (dn, a) for dn, a in objects.CONFIGURATION]
    report = run([write(tmp_path, "cloud.ldif", cloud)], ["PF805"], dns={"stage": "complete"})
    assert status(report)["PF805"][0] == "passed"


def test_a_server_of_unknown_version_is_an_error(tmp_path):
    entries = [(dn, {k: v for k, v in a.items() if k not in ("serialNumber", "versionNumber")})
               if dn == objects.EX2003 else (dn, a) for dn, a in objects.CONFIGURATION]
    report = run([write(tmp_path, "config.ldif", entries)], ["PF800"])
    assert [(f.code, f.dn) for f in report.findings] == [("PF800", objects.EX2003)]
    assert "cannot be read" in report.findings[0].message


def test_a_configuration_without_servers_skips_the_version_checks(tmp_path):
    entries = [e for e in objects.CONFIGURATION if "msExchExchangeServer" not in str(e[1]["objectClass"])]
    report = run([write(tmp_path, "config.ldif", entries)], ["PF800", "PF802"])
    assert status(report)["PF800"][0] == "skipped" and "msExchExchangeServer" in status(report)["PF800"][1]
    assert status(report)["PF802"][0] == "failed"  # the public folder store is still reported


def test_rule_pages_keep_the_cause_ids():
    assert "K-05" in preflight.registry.get("PF805").doc and "E-06" in preflight.registry.get("PF805").doc
    assert "A-13" in preflight.registry.get("PF806").doc


def test_the_readme_gives_the_export_commands():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(command in readme for command in c.EXPORT_COMMANDS)


BOB = "S-1-5-21-1-2-3-1104"
CAROL = "S-1-5-21-1-2-3-1105"
ANN = "S-1-5-21-1-2-3-1106"


def sd(sddl):
    from winacl.dtyp.security_descriptor import SECURITY_DESCRIPTOR

    return SECURITY_DESCRIPTOR.from_sddl(sddl).to_bytes()


def test_only_explicit_grants_to_others_count():
    from preflight.sources.directory.permissions import Grant, grants_of

    mailbox = sd(f"O:SYG:SYD:(A;CI;0x1;;;{BOB})(A;CI;0x3;;;{CAROL})(A;CI;0x1;;;PS)(A;CIID;0x1;;;{ANN})"
                 f"(D;CI;0x1;;;{ANN})(A;CI;0x1;;;SY)(A;CI;0x1;;;{ANN})")
    user = sd(f"D:(OA;;CR;ab721a54-1e2f-11d0-9819-00aa0040529b;;{BOB})(OA;;CR;ab721a54-1e2f-11d0-9819-00aa0040529b;;PS)"
              f"(OA;;CR;ab721a56-1e2f-11d0-9819-00aa0040529b;;{CAROL})(OA;;RP;ab721a54-1e2f-11d0-9819-00aa0040529b;;{CAROL})"
              f"(OA;ID;CR;ab721a54-1e2f-11d0-9819-00aa0040529b;;{CAROL})")
    got = grants_of(mailbox, user, own_sid=ANN)
    assert got == [Grant("FullAccess", BOB, "msExchMailboxSecurityDescriptor"),
                   Grant("FullAccess", CAROL, "msExchMailboxSecurityDescriptor"),
                   Grant("SendAs", CAROL, "msExchMailboxSecurityDescriptor"),
                   Grant("SendAs", BOB, "nTSecurityDescriptor")]
    assert grants_of(None, None) == []
    with pytest.raises(ValueError, match="msExchMailboxSecurityDescriptor is not a valid security descriptor"):
        grants_of(b"\x01\x00\x04", None)


def test_a_user_export_without_descriptors_skips_the_permission_checks(tmp_path):
    users = write(tmp_path, "users.ldif", scenario.ENTRIES)
    report = run([users], ["PF807", "PF808"])
    for code in ("PF807", "PF808"):
        state, reason = status(report)[code]
        assert state == "skipped" and "objectSid" in reason, reason


def test_a_config_file_lists_the_exports_relative_to_itself(tmp_path, monkeypatch):
    from preflight.config import load_config

    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder, "users.ldif", scenario.ENTRIES)
    write(folder, "config.ldif", objects.CONFIGURATION)
    (folder / "preflight.toml").write_text('[directory]\nsource = ["users.ldif", "config.ldif"]\n')
    monkeypatch.chdir(tmp_path)  # not the config file's folder
    cfg = load_config(folder / "preflight.toml")
    batch = parse_batch(b"EmailAddress\nann.lee@contoso.com\n", "wave.csv")
    report = preflight.run_batches([batch], cfg, select=["PF800", "PF801", "PF200"])
    assert {r.code: r.status.value for r in report.results} == {"PF200": "passed", "PF800": "passed",
                                                                  "PF801": "passed"}


def test_a_descriptor_far_into_an_ldif_export_is_found(tmp_path):
    """LDIF names an attribute only on the entries that have it: one mailbox with a descriptor after
    hundreds without is still read (the export holds the attribute)."""
    padding = [scenario.mailbox(f"Pad User{i:04d}", f"pad.user{i:04d}@contoso.com") for i in range(400)]
    shared = scenario.mailbox("Sam Shared", "sam.shared@contoso.com", objectSid=sd_sid(ANN),
                              msExchMailboxSecurityDescriptor=sd(f"O:SYG:SYD:(A;CI;0x1;;;{BOB})"))
    bob = scenario.mailbox("Bob Other", "bob.other@contoso.com", objectSid=sd_sid(BOB))
    users = write(tmp_path, "users.ldif", [*scenario.ENTRIES, *padding, bob, shared])
    assert os.path.getsize(users) > 65536
    batch = parse_batch(b"EmailAddress\nsam.shared@contoso.com\n", "wave.csv")
    report = preflight.run_batches([batch], {"directory": {"source": users}}, select=["PF807"])
    assert [(f.code, f.message) for f in report.findings] == [
        ("PF807", "sam.shared@contoso.com: FullAccess granted to bob.other@contoso.com; grant it again in "
                  "Exchange Online after the move")]


def sd_sid(text):
    from winacl.dtyp.sid import SID

    return SID.from_string(text).to_bytes()
