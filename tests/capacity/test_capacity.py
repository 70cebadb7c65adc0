"""Mailbox statistics (Get-MailboxStatistics and WMI Exchange_Mailbox exports) and the capacity
checks PF700–PF703, against the sample directory export."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE_DATA

import preflight
from preflight.model import Status
from preflight.registry import SourceError
from preflight.sources.mailbox_stats import parse_mailbox_stats, parse_size

DIRECTORY = str(SAMPLE_DATA / "directory" / "contoso.ldif")
STATS = str(SAMPLE_DATA / "exchange" / "mailbox-statistics.csv")
WAVES = [SAMPLE_DATA / "wave1-finance.csv", SAMPLE_DATA / "wave2-sales.csv"]
LEGACY = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="


@pytest.mark.parametrize("text, unit, expected", [
    ("6672B", "B", 6672),                                   # Exchange 2007 ByteQuantifiedSize
    ("0B", "B", 0),
    ("512KB", "B", 512 * 1024),
    ("1.5 MB", "B", int(1.5 * 2**20)),
    ("2GB", "B", 2 * 2**30),
    ("1,5 GB", "B", int(1.5 * 2**30)),                      # a comma decimal separator
    ("1.243 GB (1,334,578,302 bytes)", "B", 1_334_578_302),  # Exchange 2010 and later: the bytes win
    ("512 B (512 bytes)", "B", 512),
    ("1,2 GB (1.288.490.188 bytes)", "B", 1_288_490_188),   # whatever the thousands separator
    ("123456", "B", 123456),                                # bare bytes
    ("2048", "KB", 2048 * 1024),                            # WMI Size, in KB
    (" 10 kb ", "B", 10 * 1024),
])
def test_sizes_in_every_form_exchange_writes_them(text, unit, expected):
    assert parse_size(text, unit) == expected


@pytest.mark.parametrize("text", ["", "abc", "12 XB", "-5B", "1.2.3 GB"])
def test_what_is_not_a_size(text):
    with pytest.raises(ValueError):
        parse_size(text)


E2007 = ('"DisplayName","LegacyExchangeDN","TotalItemSize","ItemCount","Database"\r\n'
         f'"Ann Lee","{LEGACY}ann.lee","2254857830B","4200","EX1\\SG1\\DB1"\r\n'
         f'"Bob Ross","{LEGACY}bob.ross","1.2 GB (1,288,490,188 bytes)","9","EX1\\SG1\\DB1"\r\n')


def test_exchange_2007_export_with_type_line_in_utf16():
    data = codecs.BOM_UTF16_LE + ("#TYPE Microsoft.Exchange.Data.Mapi.MailboxStatistics\r\n" + E2007).encode("utf-16-le")
    stats = parse_mailbox_stats(data, "stats.csv")
    assert stats.fmt == "get-mailboxstatistics"
    assert [(r["name"], r["bytes"], r["items"], r["line"]) for r in stats.rows] == [
        ("Ann Lee", 2254857830, 4200, 3), ("Bob Ross", 1288490188, 9, 4)]
    assert stats.by_legacy_dn()[(LEGACY + "ANN.LEE").casefold()]["bytes"] == 2254857830  # case-insensitive


def test_exchange_2003_wmi_export_in_kb_with_semicolons():
    text = ('MailboxDisplayName;LegacyDN;Size;TotalItems;StoreName\n'
            f'Ann Lee;{LEGACY}ann.lee;2048;17;Mailbox Store (EX2003)\n')
    stats = parse_mailbox_stats(text.encode("utf-8-sig"), "wmi.csv")
    assert stats.fmt == "exchange_mailbox" and stats.rows[0]["bytes"] == 2048 * 1024
    assert parse_mailbox_stats(text.encode(), "wmi.csv", size_unit="B").rows[0]["bytes"] == 2048


@pytest.mark.parametrize("data, words", [
    (b"Name,Size\nx,1\n", "neither LegacyExchangeDN"),
    (E2007.encode()[:-40], "truncated"),                                      # cut mid-line
    (E2007.encode() + f'"Cut","{LEGACY}cut","5B"\r\n'.encode(), "truncated"),  # a row cut short
    (E2007.splitlines(keepends=True)[0].encode(), "no mailbox"),
    (b"", "empty"),
    (E2007.replace("2254857830B", "lots").encode(), "line 2"),
    (b"\xff\xfe\x00\xd8", "not UTF-8 or UTF-16"),
])
def test_broken_exports_are_source_errors(data, words):
    with pytest.raises(SourceError, match=words):
        parse_mailbox_stats(data, "stats.csv")


def capacity_run(**capacity):
    cfg = {"directory": {"source": DIRECTORY}, "capacity": {"mailbox_stats": STATS, **capacity}}
    return preflight.check_batch(WAVES, cfg, select=["PF7"])


def test_estimate_per_batch_file():
    report = capacity_run()
    est = {f.path: f for f in report.findings if f.code == "PF700"}
    assert set(est) == {str(p) for p in WAVES}
    wave1 = est[str(WAVES[0])]
    assert wave1.metrics["mailboxes"] == 4 and wave1.metrics["without_statistics"] == 0
    gb = wave1.metrics["bytes"] / 2**30
    assert wave1.metrics["hours_fast"] == pytest.approx(gb / 14, abs=1e-3)
    assert wave1.metrics["hours_slow"] == pytest.approx(gb / 10, abs=1e-3)
    assert "4 mailbox(es), 65.0 GB" in wave1.message and "at 14–10 GB/h" in wave1.message
    wave2 = est[str(WAVES[1])]
    assert wave2.metrics["without_statistics"] == 1 and "1 without statistics" in wave2.message


def test_rates_window_and_quota_are_configurable():
    report = capacity_run(gb_per_hour=[5, 20], window_hours=2, target_quota_gb=100)
    est = next(f for f in report.findings if f.code == "PF700" and f.path == str(WAVES[0]))
    assert est.metrics["hours_slow"] == pytest.approx(est.metrics["bytes"] / 2**30 / 5, abs=1e-3)
    over = [f for f in report.findings if f.code == "PF701"]
    assert [f.path for f in over] == [str(WAVES[0])]  # 65 GB at 5 GB/h > 2 h; 6.6 GB < 2 h
    assert not [f for f in report.findings if f.code == "PF702"]  # 61 GB fits a 100 GB quota


def test_window_not_set_skips_pf701_with_the_reason():
    report = capacity_run()
    result = next(r for r in report.results if r.code == "PF701")
    assert result.status is Status.SKIPPED and "window" in result.reason


def test_mailbox_over_the_quota_and_mailbox_without_statistics():
    report = capacity_run()
    over = [f for f in report.findings if f.code == "PF702"]
    assert [(f.value, f.row, f.column) for f in over] == [("65498251264", 4, "EmailAddress")]
    assert "carol.diaz@contoso.com" in over[0].message and over[0].dn
    unknown = [f for f in report.findings if f.code == "PF703"]
    assert [f.message.split(":")[0] for f in unknown] == ["erin.fox@contoso.com"]


def test_skipped_without_statistics_and_errored_when_they_are_broken(tmp_path):
    report = preflight.check_batch(WAVES, {"directory": {"source": DIRECTORY}}, select=["PF7"])
    assert {r.status for r in report.results} == {Status.SKIPPED}
    assert all("mailbox statistics" in r.reason or "window" in r.reason or "MaxConcurrentMigrations" in r.reason
               for r in report.results)
    broken = tmp_path / "stats.csv"
    broken.write_bytes(E2007.encode()[:-40])
    report = preflight.check_batch(WAVES, {"directory": {"source": DIRECTORY}, "capacity": {"mailbox_stats": str(broken)}},
                                   select=["PF7"])
    errored = [r for r in report.results if r.status is Status.ERRORED]
    assert {r.code for r in errored} == {"PF700", "PF701", "PF702", "PF703"} and all("truncated" in r.reason for r in errored)
    assert not report.findings


def test_bad_options_error_the_checks():
    report = capacity_run(gb_per_hour="fast")
    assert {r.status for r in report.results if r.code in ("PF700", "PF701")} == {Status.ERRORED}


def test_cli(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "preflight", *map(str, WAVES), "--directory", DIRECTORY,
                           "--mailbox-stats", STATS, "--window-hours", "2", "--select", "PF7", "--format", "json",
                           "--output", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr  # PF702 is an error
    data = json.loads(out.read_text())
    codes = sorted(f["code"] for f in data["findings"])
    assert codes == ["PF700", "PF700", "PF701", "PF702", "PF703"]
    assert all("metrics" in f for f in data["findings"] if f["code"] == "PF700")
