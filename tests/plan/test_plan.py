"""preflight plan: waves that pass preflight's checks, the cut links PF220/PF221 then report and
nothing else, determinism, the limits, the pilot, and a 10,000-mailbox organization with deep
manager chains and a delegate cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_DATA

import preflight
from preflight.plan import PlanError, plan

pytest.importorskip("pymetis")

DIRECTORY = str(SAMPLE_DATA / "directory" / "contoso.ldif")
STATS = str(SAMPLE_DATA / "exchange" / "mailbox-statistics.csv")
CONFIG = {"directory": {"source": DIRECTORY}, "capacity": {"mailbox_stats": STATS}}


def reported_pairs(waves: list[Path], directory: str) -> set[frozenset[str]]:
    """Unordered (mailbox DN, related DN) pairs that PF220/PF221 report for the wave files."""
    from preflight.sources.directory.exports import read_export

    by_address = {}
    frame = read_export(directory).frame
    for dn, mail in zip(frame["dn"], frame["mail"], strict=True):
        if mail:
            by_address[mail.casefold()] = dn.casefold()
    report = preflight.check_batch(waves, {"directory": {"source": directory}}, select=["PF220", "PF221"])
    assert all(r.status.value in ("passed", "failed") for r in report.results), report.results
    return {frozenset({by_address[f.value.casefold()], f.related[0]["dn"].casefold()}) for f in report.findings}


def cut_pairs(result) -> set[frozenset[str]]:
    """The cut manager and delegate links (the ones PF220/PF221 report)."""
    return {frozenset({c.source.dn.casefold(), c.target.dn.casefold()}) for c in result.cut_links
            if c.kind != "fullaccess"}


def test_sample_waves_pass_and_pf220_pf221_report_exactly_the_cut_links(tmp_path):
    result = plan(CONFIG, max_rows=3)
    files = [p for p in result.write(tmp_path) if p.suffix == ".csv"]
    assert len(files) == len(result.waves) >= 5 and all(1 <= len(w.mailboxes) <= 3 for w in result.waves)
    report = preflight.check_batch(files, {"directory": {"source": DIRECTORY}})
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert errors == []  # the mailboxes a check finds an error for were left out
    assert {e["address"] for e in result.excluded} == {"carol.diaz@contoso.com", "dan.kim@contoso.com",
                                                      "jim.help@contoso.com", "kay.help@contoso.com"}
    assert cut_pairs(result) == reported_pairs(files, DIRECTORY) != set()
    planned = {m.address for w in result.waves for m in w.mailboxes}
    assert "room1@contoso.com" in planned and not planned & {e["address"] for e in result.excluded}


def test_same_input_gives_byte_identical_files(tmp_path):
    first = plan(CONFIG, max_rows=4).write(tmp_path / "a")
    second = plan(CONFIG, max_rows=4).write(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_limits_by_gb_and_window():
    by_gb = plan(CONFIG, max_gb=10)
    assert len(by_gb.waves) > 1
    for w in by_gb.waves:
        assert w.bytes <= 10 * 2**30 or len(w.mailboxes) == 1  # a mailbox larger than the limit stands alone
    by_window = plan(CONFIG, window_hours=0.5)  # 5 GB at 10 GB/h
    assert all(w.bytes <= 5 * 2**30 or len(w.mailboxes) == 1 for w in by_window.waves)
    assert len(by_window.waves) > len(by_gb.waves)


def test_pilot_first(tmp_path):
    pilot = tmp_path / "pilot.txt"
    pilot.write_text("zoe.brandt@contoso.com\nlou.park@contoso.com\n")
    result = plan(CONFIG, pilot=str(pilot))
    assert result.waves[0].pilot and {m.address for m in result.waves[0].mailboxes} == {
        "zoe.brandt@contoso.com", "lou.park@contoso.com"}
    assert all(not w.pilot for w in result.waves[1:])
    counted = plan(CONFIG, pilot=3)
    assert counted.waves[0].pilot and len(counted.waves[0].mailboxes) <= 3


def test_mailbox_list_and_unknown_addresses(tmp_path):
    listed = tmp_path / "mailboxes.csv"
    listed.write_text("EmailAddress\nann.lee@contoso.com\nnobody@contoso.com\n")
    result = plan(CONFIG, mailboxes=str(listed))
    assert [m.address for w in result.waves for m in w.mailboxes] == ["ann.lee@contoso.com"]
    assert {(e["address"], e["code"]) for e in result.excluded} == {("nobody@contoso.com", "PF200")}


@pytest.mark.parametrize("options, words", [
    ({"max_rows": 2001}, "max_rows"), ({"max_rows": 0}, "max_rows"), ({"group_by": "division"}, "group_by"),
    ({"max_gb": -1}, "max_gb"),
])
def test_bad_options(options, words):
    with pytest.raises(PlanError, match=words):
        plan(CONFIG, **options)


def test_no_directory_and_broken_directory(tmp_path):
    with pytest.raises(PlanError, match="no directory"):
        plan({})
    broken = tmp_path / "cut.ldif"
    broken.write_text("this is not LDIF\n")
    with pytest.raises(PlanError, match="could not be read"):
        plan({"directory": {"source": str(broken)}})


def _org(n: int, chain: int) -> str:
    """An ldifde export of ``n`` mailboxes: managers in chains ``chain`` deep under one root, and a
    delegate cycle of five mailboxes."""
    entries = []
    for i in range(n):
        dn = f"CN=User {i:05d},OU=Org,DC=contoso,DC=com"
        lines = [f"dn: {dn}", "changetype: add", "objectClass: user", f"sAMAccountName: u{i:05d}",
                 "userAccountControl: 512", f"displayName: User {i:05d}", f"mail: u{i:05d}@contoso.com",
                 f"mailNickname: u{i:05d}", f"proxyAddresses: SMTP:u{i:05d}@contoso.com",
                 f"legacyExchangeDN: /o=Contoso/ou=First Administrative Group/cn=Recipients/cn=u{i:05d}",
                 "homeMDB: CN=DB1,CN=Databases,DC=contoso,DC=com", "msExchRecipientTypeDetails: 1"]
        if i:
            # a deep chain: each manager is the previous user of its chain, chains hang under user 0
            manager = i - 1 if i % chain else 0
            lines.append(f"manager: CN=User {manager:05d},OU=Org,DC=contoso,DC=com")
        if 100 <= i < 105:  # 100 -> 101 -> ... -> 104 -> 100
            nxt = 100 + (i - 99) % 5
            lines.append(f"publicDelegates: CN=User {nxt:05d},OU=Org,DC=contoso,DC=com")
            lines.append(f"msExchDelegateListLink: CN=User {nxt:05d},OU=Org,DC=contoso,DC=com")
        entries.append("\n".join(lines))
    return "version: 1\n\n" + "\n\n".join(entries) + "\n\n"


def test_ten_thousand_mailboxes_with_deep_chains_and_a_delegate_cycle(tmp_path):
    export = tmp_path / "org.ldif"
    export.write_text(_org(10_000, chain=250))
    config = {"directory": {"source": str(export)}}
    result = plan(config)
    sizes = [len(w.mailboxes) for w in result.waves]
    assert sum(sizes) == 10_000 and max(sizes) <= 2000 and len(sizes) <= 6
    assert not result.excluded
    wave_of = {m.dn.casefold(): w.name for w in result.waves for m in w.mailboxes}
    cycle = {wave_of[f"cn=user {i:05d},ou=org,dc=contoso,dc=com"] for i in range(100, 105)}
    assert len(cycle) == 1  # the delegate cycle moves together
    for c in result.cut_links:  # every cut link joins two different waves, and is reported once
        assert wave_of[c.source.dn.casefold()] != wave_of[c.target.dn.casefold()]
    assert len(cut_pairs(result)) == len(result.cut_links)
    assert len(result.cut_links) <= 60  # of 9,999 manager links: METIS cuts few (about one per chain piece)
    files = [p for p in result.write(tmp_path / "waves") if p.suffix == ".csv"]
    assert cut_pairs(result) == reported_pairs(files, str(export))
    again = plan(config)
    assert again.to_dict() == result.to_dict()


def test_cli(tmp_path):
    out = tmp_path / "waves"
    proc = subprocess.run([sys.executable, "-m", "preflight", "plan", "--directory", DIRECTORY, "--mailbox-stats", STATS,
                           "--max-rows", "5", "--password-columns", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "wave-01.csv" in proc.stdout and "left out" in proc.stdout
    assert (out / "wave-01.csv").read_text().splitlines()[0] == "EmailAddress,Password,ForceChangePassword"
    assert (out / "plan.json").is_file() and (out / "plan.txt").read_text() == proc.stdout
    proc = subprocess.run([sys.executable, "-m", "preflight", "plan", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 1 and "no directory" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "preflight", "plan", "x.csv", "--directory", DIRECTORY, "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 2 and "takes no batch files" in proc.stderr


def test_cli_html_page_of_the_waves(tmp_path):
    out = tmp_path / "waves"
    proc = subprocess.run([sys.executable, "-m", "preflight", "plan", "--directory", DIRECTORY, "--mailbox-stats", STATS,
                           "--max-rows", "4", "--format", "html", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "Estimated hours per batch file" in page and "wave-01.csv" in page
    assert page.count('<td class="path">') == len(list(out.glob("wave-*.csv")))


def test_group_by_department_and_ou(tmp_path):
    result = plan(CONFIG, group_by="department", max_rows=4)
    wave_of = {m.address: w.name for w in result.waves for m in w.mailboxes}
    # Bob Ross and Ann Lee (Finance) move together; Mona Manager (Sales) in a wave with no Finance mailbox
    assert wave_of["bob.ross@contoso.com"] == wave_of["ann.lee@contoso.com"] != wave_of["mona.manager@contoso.com"]
    assert result.options["group_by"] == "department"
    assert plan(CONFIG, group_by="ou").options["group_by"] == "ou"
    # an export that holds no department attribute cannot group by it: the reason says so
    ldif = tmp_path / "no-department.ldif"
    text = (SAMPLE_DATA / "directory" / "contoso.ldif").read_text(encoding="utf-8")
    ldif.write_text("".join(line for line in text.splitlines(keepends=True) if not line.startswith("department:")))
    with pytest.raises(PlanError, match="department"):
        plan({"directory": {"source": str(ldif)}}, group_by="department")


def test_full_access_holders_move_together(tmp_path):
    """A mailbox and the mailbox granted FullAccess to it (msExchMailboxSecurityDescriptor, read from
    a user export that holds the descriptors and objectSid) are one affinity group; a cut is reported."""
    from winacl.dtyp.security_descriptor import SECURITY_DESCRIPTOR
    from winacl.dtyp.sid import SID

    from ad import exporters

    sids = {name: f"S-1-5-21-1-2-3-{1100 + k}" for k, name in enumerate(("ann", "bob", "carl", "dora"))}
    entries = []
    for name, sid in sids.items():
        attrs = {"objectClass": ["top", "person", "organizationalPerson", "user"], "sAMAccountName": name,
                 "mail": f"{name}@contoso.com", "proxyAddresses": [f"SMTP:{name}@contoso.com"],
                 "homeMDB": "CN=DB1,CN=Databases,DC=contoso,DC=com", "msExchRecipientTypeDetails": 1,
                 "userAccountControl": 512, "displayName": name.title(), "objectSid": SID.from_string(sid).to_bytes(),
                 "legacyExchangeDN": f"/o=Contoso/cn=Recipients/cn={name}"}
        if name == "ann":  # Ann's mailbox: FullAccess for Carl
            attrs["msExchMailboxSecurityDescriptor"] = SECURITY_DESCRIPTOR.from_sddl(
                f"O:SYG:SYD:(A;CI;0x1;;;{sids['carl']})").to_bytes()
        entries.append((f"CN={name.title()},OU=Staff,DC=contoso,DC=com", attrs))
    export = tmp_path / "users.ldif"
    exporters.write_ldifde(entries, export)
    together = plan({"directory": {"source": str(export)}}, max_rows=2)
    wave_of = {m.address: w.name for w in together.waves for m in w.mailboxes}
    assert wave_of["ann@contoso.com"] == wave_of["carl@contoso.com"] and not together.cut_links
    assert not together.notes
    apart = plan({"directory": {"source": str(export)}}, max_rows=1)
    assert [(c.kind, c.source.address, c.target.address) for c in apart.cut_links] == [
        ("fullaccess", "ann@contoso.com", "carl@contoso.com")]
    # an export without the descriptors says it could not keep FullAccess holders together
    assert any("FullAccess" in n for n in plan(CONFIG).notes)
