"""Regression tests of the live directory's defects of issue 15 (items 15, 17-20), on the real servers
(Samba AD DC; OpenLDAP where a certificate naming 127.0.0.1 is needed) where one is involved:

- 15: IdFix scope is what the user asked for: no usable batch rows means no IdFix objects, no directory scan;
- 17: ``tls_server_name`` is the one name checked (not added to the URL's host), wildcards refused;
- 18: the user-info part of a ``--directory`` URL is never shown; a blank bind password masks nothing;
- 19: an EmailAddress that fails PF131 is never sent to the directory;
- 20: direct reports come from the ``directReports`` back-link of the objects already fetched: a 2,000-row
  batch takes ceil(2,000 / 150) + 1 searches in all, with PF220/PF221 findings equal to an export's.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from conftest import BIND_PASSWORD_ENV

import preflight
from ad import scenario
from preflight.registry import SourceError
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory import FrameSource
from preflight.sources.directory.ldap import LdapSource
from servers import slapd

SECRET = "S3cret-In-Url"


def batch(name: str, *addresses: str):
    return parse_batch(("EmailAddress\n" + "".join(a + "\n" for a in addresses)).encode(), name)


@pytest.fixture
def live(live_directory):
    return {**live_directory, "base_dn": scenario.BASE_DN}


# -- 15: IdFix scope ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"EmailAddress\n",  # header only
                                 b"EmailAddress\nnot an address\n",  # fails PF131
                                 b"EmailAddress,Password\r\nann.lee@contoso.com,\x81\x8d\x90\r\n"],  # fails PF102
                         ids=["header-only", "pf131", "pf102"])
def test_idfix_without_usable_rows_scans_nothing(live, raw):
    src = LdapSource.from_config(live)
    report = preflight.run_batches([parse_batch(raw, "wave.csv")], {"directory": {"source": src}}, select=["PF4"])
    assert src.searches == 0  # no whole-directory read, no lookup
    assert report.findings == []
    assert {r.status.value for r in report.results} == {"skipped"}
    assert "--idfix-scope directory" in report.results[0].reason


def test_idfix_directory_scope_still_reads_the_directory(live):
    src = LdapSource.from_config(live)
    report = preflight.run_batches([], {"directory": {"source": src}, "idfix": {"scope": "directory",
                                                                                  "base": scenario.STAFF}},
                                   select=["PF4"])
    assert src.searches >= 1
    assert {r.status.value for r in report.results} <= {"passed", "failed"}


# -- 17: tls_server_name ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["*", "*.contoso.com", "dc1.*", "dc1 contoso.com", "dc1.contoso.com/x"])
def test_wildcard_or_malformed_tls_server_name_is_refused(name):
    with pytest.raises(SourceError, match="tls_server_name") as info:
        LdapSource.from_config({"source": "ldaps://127.0.0.1", "tls_server_name": name})
    assert "wildcard" in str(info.value)


def test_samba_certificate_for_another_name_is_refused(live):
    """Samba's certificate names DC1.contoso.com: asking for dc9.fabrikam.com fails, naming both."""
    src = LdapSource.from_config({**live, "tls_server_name": "dc9.fabrikam.com"})
    with pytest.raises(SourceError) as info:
        src.lookup(["sales@contoso.com"])
    reason = str(info.value)
    assert "does not name dc9.fabrikam.com" in reason and "DC1.contoso.com" in reason


@pytest.fixture(scope="module")
def small_slapd():
    with slapd.start_slapd(slapd.mailbox_entries(3)) as server:
        yield server


def test_tls_server_name_replaces_the_url_host(small_slapd, monkeypatch):
    """slapd's certificate names ldap.contoso.test and IP 127.0.0.1. Connecting to 127.0.0.1 with
    tls_server_name dc9.fabrikam.com must fail: the option is the one name checked, not an extra one."""
    monkeypatch.setenv("SLAPD_PW", small_slapd.reader_password)
    config = small_slapd.config("SLAPD_PW")
    assert len(LdapSource.from_config(config).lookup([slapd.mailbox_address(1)])) == 1  # the URL's host
    ok = LdapSource.from_config({**config, "tls_server_name": slapd.TLS_SERVER_NAME})
    assert len(ok.lookup([slapd.mailbox_address(1)])) == 1
    for backend in ("ldap3", "auto"):
        src = LdapSource.from_config({**config, "tls_server_name": "dc9.fabrikam.com", "backend": backend})
        with pytest.raises(SourceError, match="does not name dc9.fabrikam.com"):
            src.lookup([slapd.mailbox_address(1)])


# -- 18: credentials in the URL, blank passwords ----------------------------------------------------------------


@pytest.mark.parametrize("url", [f"ldapz://svc:{SECRET}@host", f"ldaps://svc:{SECRET}@", f"ldaps://svc:{SECRET}@dc1:x",
                                 f"ldap://svc:{SECRET}/x@host", f"ldaps://{SECRET}@@host", f"ldaps://svc:{SECRET}@dc1"])
def test_user_info_of_a_url_is_never_shown(url):
    with pytest.raises(SourceError) as info:
        LdapSource.from_config({"source": url})
    assert SECRET not in str(info.value) and "svc" not in str(info.value)


@pytest.mark.parametrize("url", [f"ldapz://svc:{SECRET}@host", f"ldaps://svc:{SECRET}@"])
def test_user_info_is_not_shown_by_the_command_line(tmp_path, url):
    (tmp_path / "wave.csv").write_text("EmailAddress\nann.lee@contoso.com\n")
    for fmt in ("text", "json", "github"):
        proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "wave.csv"), "--directory", url,
                               "--select", "PF2", "--format", fmt], check=False, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert SECRET not in proc.stdout + proc.stderr


def test_blank_bind_password_masks_nothing(live, monkeypatch):
    monkeypatch.setenv(BIND_PASSWORD_ENV, " ")
    report = preflight.run_batches([batch("wave.csv", "ann.lee@contoso.com")], {"directory": live},
                                   select=["PF200"])
    (result,) = report.results
    assert result.status.value == "errored"
    assert "bind as Administrator@contoso.com failed" in result.reason and "***" not in result.reason


# -- 19: only valid addresses are looked up --------------------------------------------------------------------


class RecordingSource(FrameSource):
    """A directory in memory that records the addresses it was asked for."""

    def lookup(self, addresses):
        self.asked = list(addresses)
        return super().lookup(self.asked)


def test_invalid_addresses_are_not_looked_up():
    src = RecordingSource(scenario.frame(), {"kind": "directory", "format": "memory"})
    wave = batch("wave.csv", "ann.lee@contoso.com", "Pa55 word! x", "*)(objectClass=*", "bob.ross@contoso")
    report = preflight.run_batches([wave], {"directory": {"source": src}}, select=["PF131", "PF200"])
    assert src.asked == ["ann.lee@contoso.com"]
    assert {(f.code, f.row) for f in report.findings} == {("PF131", 3), ("PF131", 4), ("PF131", 5)}


# -- 20: direct reports from the back-link ----------------------------------------------------------------------

TEAMS = "OU=Teams," + scenario.BASE_DN
N_TEAMS, TEAM = 20, 9


def team_dn(cn: str) -> str:
    return f"CN={cn},{TEAMS}"


def team_address(cn: str) -> str:
    return cn.lower().replace(" ", ".") + "@contoso.com"


def team_entries() -> list[tuple[str, dict]]:
    """A boss, N_TEAMS managers reporting to the boss, TEAM reports each (mailboxes, as in scenario.mailbox)."""
    out: list[tuple[str, dict]] = [(TEAMS, {"objectClass": "organizationalUnit"})]

    def person(cn: str, manager: str | None) -> tuple[str, dict]:
        _, attrs = scenario.mailbox(cn, team_address(cn), **({"manager": manager} if manager else {}))
        return team_dn(cn), attrs

    out.append(person("Team Boss", None))
    for t in range(N_TEAMS):
        out.append(person(f"Lead {t:02d}", team_dn("Team Boss")))
        out += [person(f"Member {t:02d}-{m}", team_dn(f"Lead {t:02d}")) for m in range(TEAM)]
    return out


@pytest.fixture(scope="module")
def teams(samba_dc):
    entries = team_entries()
    samba_dc.add_objects(entries)
    yield entries
    samba_dc.delete_objects(entries)


def test_two_thousand_rows_take_few_searches_and_the_same_findings(teams, live):
    """Batch a: the boss's leads, the even teams and members 0-4 of the odd teams, padded to 2,000 rows with
    unknown addresses; batch b: members 5-8 of the odd teams. The leads' manager (the boss) is in no batch."""
    a = [team_address(f"Lead {t:02d}") for t in range(N_TEAMS)]
    a += [team_address(f"Member {t:02d}-{m}") for t in range(N_TEAMS) for m in range(TEAM) if t % 2 == 0 or m < 5]
    b = [team_address(f"Member {t:02d}-{m}") for t in range(1, N_TEAMS, 2) for m in range(5, TEAM)]
    a += [f"nobody.{i:04d}@contoso.com" for i in range(2000 - len(a))]
    batches = [batch("a.csv", *a), batch("b.csv", *b)]

    src = LdapSource.from_config({**live, "base_dn": TEAMS})
    live_report = preflight.run_batches(batches, {"directory": {"source": src}}, select=["PF220", "PF221"])
    # every address once (150 per search), then the one related object not already fetched: the boss
    assert src.searches == math.ceil((len(a) + len(b)) / 150) + 1 <= 25

    export = FrameSource(LdapSource.from_config({**live, "base_dn": TEAMS}).read_all(), {"kind": "directory"})
    export_report = preflight.run_batches(batches, {"directory": {"source": export}}, select=["PF220", "PF221"])
    findings = sorted((f.code, f.path, f.row, f.message) for f in live_report.findings)
    assert findings == sorted((f.code, f.path, f.row, f.message) for f in export_report.findings)
    codes = [code for code, *_ in findings]
    # leads: the boss in no batch (20); odd leads: 4 reports in b (10); the members in b: their lead in a (40)
    assert codes.count("PF220") == N_TEAMS + 2 * (N_TEAMS // 2) * (TEAM - 5)
    assert any("in no batch file" in f.message and "Team Boss" in f.message for f in live_report.findings)


def test_reports_of_a_known_manager_cost_no_search(live):
    src = LdapSource.from_config(live)
    src.lookup(["mona.manager@contoso.com", "dan.kim@contoso.com"])
    before = src.searches
    reports = src.lookup_reports([scenario.dn("Mona Manager")])
    assert set(reports["dn"].str.casefold()) == {scenario.dn("Dan Kim").casefold()}
    assert src.searches == before
    assert os.environ[BIND_PASSWORD_ENV] not in repr(src.describe())


def test_an_attribute_sent_in_ranges_is_read_to_its_end(teams, live):
    """AD returns more than MaxValRange values of an attribute as ``directReports;range=0-1499`` and the rest
    on request. Samba returns ranges only when asked: its first range of a lead's 9 reports, taken as the
    answer to a search, is completed from the server range by range."""
    lead = team_dn("Lead 01")
    src = LdapSource.from_config(live)
    raw = src._connected().read(lead, ["directReports;range=0-2", "mail"])
    assert len(raw["directReports;range=0-2"]) == 3
    whole = src._whole(lead, raw)
    assert src.searches == 1  # one more range: 3-*
    assert {v.decode().casefold() for v in whole["directReports"]} == {
        team_dn(f"Member 01-{m}").casefold() for m in range(TEAM)}
    assert whole["mail"] == raw["mail"]
    assert src._whole(lead, whole) is whole  # nothing ranged: no search
