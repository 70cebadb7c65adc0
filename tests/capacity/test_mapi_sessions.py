"""PF704 (cause I-02): the endpoint's concurrent migrations against the MAPI sessions one account may open,
in the check run and in ``preflight plan``'s output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE_DATA

import preflight
from preflight.model import Status


def batch(rows: int) -> bytes:
    return ("EmailAddress\r\n" + "".join(f"user{i}@contoso.com\r\n" for i in range(rows))).encode()


def run(rows: int | None, **capacity):
    cfg = {"capacity": capacity} if capacity else {}
    if rows is None:
        return preflight.check_batch([], cfg, select=["PF704"])
    return preflight.check_bytes(batch(rows), "wave.csv", cfg, select=["PF704"])


def test_not_stated_skips_with_how_to_state_it():
    (res,) = run(40).results
    assert res.status is Status.SKIPPED and "--max-concurrent-migrations" in res.reason


@pytest.mark.parametrize(("rows", "concurrent", "limit", "flagged"), [
    (40, 100, None, True),           # 40 mailboxes at once > 32
    (10, 100, None, False),          # the batch holds only 10: at most 10 sessions
    (33, 32, None, False),           # the endpoint moves 32 at once: at the limit, not above
    (40, 33, None, True),
    (40, "Unlimited", None, True),
    (40, 100, 64, False),            # the servers allow 64 (KB 842022 raised)
    (None, 50, None, True),          # no batch file: the endpoint's setting alone
])
def test_concurrency_against_the_session_limit(rows, concurrent, limit, flagged):
    options = {"max_concurrent_migrations": concurrent}
    if limit is not None:
        options["mapi_session_limit"] = limit
    report = run(rows, **options)
    assert [f.code for f in report.findings] == (["PF704"] if flagged else [])
    assert report.results[0].status is (Status.FAILED if flagged else Status.PASSED)
    if flagged:
        (f,) = report.findings
        assert f.severity.value == "warning" and f.suggested_value == "32"
        assert "MaxConcurrentMigrations" in f.fix and "KB 842022" in f.fix
        shown = min(40, 33 if concurrent == 33 else 10**9) if rows else 50
        assert f"at least {shown} MAPI sessions" in f.message, f.message


@pytest.mark.parametrize("bad", [0, -3, 2.5, "many", True])
def test_a_bad_value_errors_the_check(bad):
    (res,) = run(40, max_concurrent_migrations=bad).results
    assert res.status is Status.ERRORED and "max_concurrent_migrations" in res.reason


def test_cli_option_and_exit_code(tmp_path):
    (tmp_path / "wave.csv").write_bytes(batch(40))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "wave.csv"), "--select", "PF704",
                           "--max-concurrent-migrations", "unlimited", "--format", "json"],
                          capture_output=True, text=True, check=False, env=env)
    (f,) = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 0 and f["code"] == "PF704" and f["value"] == "Unlimited"  # a warning: exit 0
    proc = subprocess.run([sys.executable, "-m", "preflight", str(tmp_path / "wave.csv"), "--select", "PF704",
                           "--max-concurrent-migrations", "0"], capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 2 and "--max-concurrent-migrations" in proc.stderr


def test_plan_output_warns_with_the_fix(tmp_path):
    pytest.importorskip("pymetis")
    from preflight.plan import plan

    directory = str(SAMPLE_DATA / "directory" / "contoso.ldif")
    small = plan({"directory": {"source": directory}, "capacity": {"max_concurrent_migrations": 2}}, max_rows=3)
    assert small.warnings == []  # 2 at once: below 32
    result = plan({"directory": {"source": directory},
                   "capacity": {"max_concurrent_migrations": 100, "mapi_session_limit": 2}}, max_rows=3)
    (w,) = result.warnings
    assert w["code"] == "PF704" and "at least 3 MAPI sessions" in w["message"]  # the largest wave holds 3
    text = result.render_text()
    assert "warning PF704:" in text and "Set-MigrationEndpoint" in text
    written = result.write(tmp_path)
    assert json.loads((tmp_path / "plan.json").read_text())["warnings"] == [w] and written
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "preflight", "plan", "--directory", directory, "--out", str(out),
                           "--max-rows", "40", "--max-concurrent-migrations", "100"], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr
    waves = json.loads((out / "plan.json").read_text())["waves"]
    assert ("warning PF704" in proc.stdout) == (max(w["rows"] for w in waves) > 32)
