"""The command line: exit codes, options, config discovery, colour, and never echoing passwords.

Most tests call ``preflight.cli.main(argv)`` in process (capsys); a few run
``python -m preflight`` as a real subprocess (the entry point, a real TTY).
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

import preflight
from preflight.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
CLEAN = SAMPLES / "wave1-finance.csv"
SEMICOLONS = SAMPLES / "excel-semicolons.csv"
ANSI = SAMPLES / "ansi-windows-1252.csv"
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
ALL_CODES = [c.code for c in preflight.list_checks()]

# A warning-only batch: "password1" uses two character classes (PF152, a warning).
WARNING_ONLY = "EmailAddress,Password,ForceChangePassword\nann.lee@contoso.com,password1,False\n"


def run_cli(capsys, *argv: str | os.PathLike[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_module(*argv: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
               **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *map(str, argv)],
        check=False, capture_output=True, text=True, cwd=cwd, env=env, timeout=120, **kw,
    )


def json_report(capsys, *argv) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, "--format", "json", *argv)
    return code, json.loads(out)


def codes_run(report: dict) -> set[str]:
    return {c["code"] for c in report["checks"]}


# --- exit codes -------------------------------------------------------------------------------


def test_clean_batch_exits_0(capsys):
    code, report = json_report(capsys, CLEAN)
    assert report["summary"]["findings"] == {"error": 0, "warning": 0, "info": 0}
    assert code == 0
    code, out, err = run_cli(capsys, CLEAN)
    assert code == 0 and "0 error(s)" in out and err == ""


def test_semicolon_batch_exits_1_with_pf103(capsys):
    code, out, err = run_cli(capsys, SEMICOLONS)
    assert code == 1
    assert "PF103" in out and SEMICOLONS.name in out


def test_missing_path_exits_2(capsys, tmp_path):
    missing = tmp_path / "no-such-batch.csv"
    code, out, err = run_cli(capsys, CLEAN, missing)
    assert code == 2
    assert out == ""
    assert "no such file" in err and str(missing) in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus-option"],
        ["--format", "yaml"],
        ["--fail-on", "never"],
        ["--select", "PF999"],
        ["--select", "no-such-check"],
        ["--ignore", "PF9"],
    ],
    ids=["unknown-option", "bad-format", "bad-fail-on", "unknown-select-code", "unknown-select-name", "unknown-ignore"],
)
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run_cli(capsys, CLEAN, *argv)
    assert code == 2
    assert out == ""
    assert err.strip()


def test_nothing_to_check_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys)
    assert code == 2 and "nothing to check" in err


@pytest.mark.parametrize("name", ["random-bytes", "windows-1252"])
def test_undecodable_file_is_a_finding_exit_1(capsys, tmp_path, name):
    if name == "random-bytes":
        path = tmp_path / "random.csv"
        # fixed bytes, not valid UTF-8 and with NUL/control bytes: "binary"
        path.write_bytes(bytes(range(256)) * 4)
    else:
        path = ANSI
    code, report = json_report(capsys, path)
    assert code == 1
    assert "PF102" in {f["code"] for f in report["findings"]}
    assert not [c for c in report["checks"] if c["status"] == "errored"]


def test_fail_on_warning_turns_warnings_into_exit_1(capsys, tmp_path):
    path = tmp_path / "warn.csv"
    path.write_text(WARNING_ONLY)
    code, report = json_report(capsys, path)
    severities = {f["severity"] for f in report["findings"]}
    assert severities == {"warning"}
    assert code == 0
    code, out, _ = run_cli(capsys, path, "--fail-on", "warning")
    assert code == 1 and "PF152" in out
    code, _, _ = run_cli(capsys, path, "--fail-on", "error")
    assert code == 0


def test_errored_check_exits_1_and_says_so(capsys):
    """A source that fails (no DNS server on loopback port 9) errors its checks: exit 1."""
    code, out, err = run_cli(capsys, CLEAN, "--dns-server", "127.0.0.1:9", "--dns-timeout", "0.3",
                             "--format", "json")
    report = json.loads(out)
    errored = [c for c in report["checks"] if c["status"] == "errored"]
    assert errored and all(c["code"].startswith("PF3") and c["reason"] for c in errored)
    assert report["findings"] == []
    assert code == 1
    assert f"{len(errored)} check(s) errored" in err


def test_unwritable_output_is_a_usage_error(capsys, tmp_path):
    target = tmp_path / "no-such-folder" / "report.json"
    code, out, err = run_cli(capsys, CLEAN, "--format", "json", "--output", target)
    assert code == 2 and out == ""
    assert err.startswith("preflight: cannot write --output") and "Traceback" not in err
    proc = run_module(CLEAN, "--output", tmp_path)  # a folder
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "cannot write" in proc.stderr


def test_subprocess_exit_codes(tmp_path):
    """The installed entry point: ``python -m preflight`` gives the same codes."""
    clean = run_module(CLEAN)
    assert clean.returncode == 0, clean.stderr
    bad = run_module(SEMICOLONS)
    assert bad.returncode == 1 and "PF103" in bad.stdout
    missing = run_module(tmp_path / "nope.csv")
    assert missing.returncode == 2 and "no such file" in missing.stderr and missing.stdout == ""
    usage = run_module(CLEAN, "--select", "PF999")
    assert usage.returncode == 2 and "PF999" in usage.stderr
    option = run_module(CLEAN, "--no-such-option")
    assert option.returncode == 2 and "unrecognized arguments" in option.stderr
    undecodable = run_module(ANSI)
    assert undecodable.returncode == 1 and "PF102" in undecodable.stdout


# --- --list-checks, --explain, --version -----------------------------------------------------


def test_list_checks_lists_every_registered_code(capsys):
    code, out, err = run_cli(capsys, "--list-checks")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert listed == ALL_CODES
    for c in preflight.list_checks():
        line = next(text for text in out.splitlines() if text.startswith(c.code + " "))
        assert c.name in line and c.severity.value in line and c.area in line


def test_list_checks_subprocess():
    proc = run_module("--list-checks")
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines() if line.strip()] == ALL_CODES


@pytest.mark.parametrize("code", ALL_CODES)
def test_explain_every_check(capsys, code):
    rc, out, err = run_cli(capsys, "--explain", code)
    assert rc == 0 and err == ""
    assert out.startswith(code)
    for section in ("Why:", "Fix:", "Source:"):
        assert section in out, f"{code}: --explain has no {section!r} section"
    check = preflight.get_check(code)
    assert check.name in out


def test_explain_by_name_and_lower_case(capsys):
    _, by_code, _ = run_cli(capsys, "--explain", "PF121")
    rc, by_name, _ = run_cli(capsys, "--explain", "csv-row-limit")
    assert rc == 0 and by_name == by_code
    rc, lower, _ = run_cli(capsys, "--explain", "pf121")
    assert rc == 0 and lower == by_code


@pytest.mark.parametrize("code", ["PF999", "nonsense"])
def test_explain_unknown_code_exits_2(capsys, code):
    rc, out, err = run_cli(capsys, "--explain", code)
    assert rc == 2 and out == "" and code in err


def test_explain_subprocess():
    ok = run_module("--explain", "PF103")
    assert ok.returncode == 0 and ok.stdout.startswith("PF103") and "Why:" in ok.stdout
    bad = run_module("--explain", "PF999")
    assert bad.returncode == 2 and "PF999" in bad.stderr


def test_version(capsys):
    rc, out, err = run_cli(capsys, "--version")
    assert rc == 0
    assert out.strip() == f"preflight {preflight.__version__}"
    proc = run_module("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"preflight {preflight.__version__}"


# --- --select / --ignore -----------------------------------------------------------------------


def test_select_prefix_runs_only_those_checks(capsys):
    _, full = json_report(capsys, CLEAN)
    _, report = json_report(capsys, CLEAN, "--select", "PF10")
    expected = {c for c in ALL_CODES if c.startswith("PF10")}
    assert codes_run(report) == expected
    assert codes_run(full) > expected
    assert all(f["code"].startswith("PF10") for f in report["findings"])


def test_ignore_prefix_drops_those_checks(capsys):
    code, report = json_report(capsys, SEMICOLONS, "--ignore", "PF10")
    assert code == 0  # PF103 was the only finding
    ran = codes_run(report)
    assert ran and not any(c.startswith("PF10") for c in ran)
    assert set(ALL_CODES) - {c for c in ALL_CODES if c.startswith("PF10")} == ran
    assert not any(f["code"].startswith("PF10") for f in report["findings"])


def test_select_and_ignore_combine_and_take_commas(capsys):
    _, report = json_report(capsys, CLEAN, "--select", "PF10,PF121", "--select", "email-duplicate",
                            "--ignore", "PF105")
    assert codes_run(report) == {c for c in ALL_CODES if c.startswith("PF10") and c != "PF105"} | {"PF121", "PF134"}


def test_ignore_changes_the_exit_code(capsys):
    assert run_cli(capsys, SEMICOLONS)[0] == 1
    code, out, _ = run_cli(capsys, SEMICOLONS, "--ignore", "PF103")
    assert code == 0 and "PF103" not in out


# --- --output ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_output_writes_the_file_and_nothing_on_stdout(capsys, tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    code, out, err = run_cli(capsys, SEMICOLONS, "--format", fmt, "--output", target)
    assert code == 1
    assert out == ""
    written = target.read_text(encoding="utf-8")
    assert "PF103" in written
    # the file holds exactly what stdout would have shown
    _, stdout_version, _ = run_cli(capsys, SEMICOLONS, "--format", fmt)
    if fmt == "json":
        a, b = json.loads(written), json.loads(stdout_version)
        for d in (a, b):
            d.pop("started"), d.pop("duration_seconds")
        assert a == b
    elif fmt == "text":
        assert written.splitlines()[:-2] == stdout_version.splitlines()[:-2]  # the summary has the duration
    elif fmt == "junit":  # the run's time and timestamp differ
        assert re.sub(r'(time|timestamp)="[^"]*"', "", written) == re.sub(r'(time|timestamp)="[^"]*"', "", stdout_version)
    elif fmt == "sarif":  # the invocation's start and end times differ
        assert re.sub(r'"(start|end)TimeUtc": "[^"]*"', "", written) == \
            re.sub(r'"(start|end)TimeUtc": "[^"]*"', "", stdout_version)
    else:
        assert written == stdout_version


# --- configuration discovery -------------------------------------------------------------------


@pytest.mark.parametrize("config_name", ["pyproject.toml", "preflight.toml"])
def test_config_discovered_from_the_current_folder(capsys, tmp_path, monkeypatch, config_name):
    batch = tmp_path / "batch.csv"
    batch.write_bytes(SEMICOLONS.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "batch.csv")[0] == 1
    if config_name == "pyproject.toml":
        text = '[project]\nname = "x"\n\n[tool.preflight]\nignore = ["PF103"]\n'
    else:
        text = 'ignore = ["PF103"]\n'
    (tmp_path / config_name).write_text(text)
    code, report = json_report(capsys, "batch.csv")
    assert code == 0
    assert "PF103" not in codes_run(report)


def test_config_discovered_from_a_parent_folder_in_a_subprocess(tmp_path):
    (tmp_path / "preflight.toml").write_text('fail_on = "warning"\n')
    sub = tmp_path / "wave" / "one"
    sub.mkdir(parents=True)
    (sub / "warn.csv").write_text(WARNING_ONLY)
    assert run_module("warn.csv", cwd=sub).returncode == 1
    (tmp_path / "preflight.toml").write_text('fail_on = "error"\n')
    assert run_module("warn.csv", cwd=sub).returncode == 0


def test_pyproject_without_a_preflight_table_is_not_a_config(capsys, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.other]\nignore = ["PF103"]\n')
    (tmp_path / "batch.csv").write_bytes(SEMICOLONS.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "batch.csv")[0] == 1


def test_cli_option_wins_over_config(capsys, tmp_path, monkeypatch):
    (tmp_path / "preflight.toml").write_text('fail_on = "warning"\n')
    (tmp_path / "warn.csv").write_text(WARNING_ONLY)
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "warn.csv")[0] == 1
    assert run_cli(capsys, "warn.csv", "--fail-on", "error")[0] == 0


def test_explicit_config_and_bad_config(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "elsewhere.toml"
    good.write_text('ignore = ["PF103"]\n')
    assert run_cli(capsys, SEMICOLONS, "--config", good)[0] == 0
    bad = tmp_path / "preflight.toml"
    bad.write_text("ignroe = ['PF103']\n")
    code, out, err = run_cli(capsys, SEMICOLONS)
    assert code == 2 and "ignroe" in err and out == ""
    code, out, err = run_cli(capsys, SEMICOLONS, "--config", tmp_path / "missing.toml")
    assert code == 2


# --- colour ------------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PY_COLORS")}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def _run_on_pty(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "preflight", *argv], stdout=slave,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                proc.kill()
                raise AssertionError("no output from preflight on the pseudo-terminal")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    proc.stderr.read()
    proc.stderr.close()
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_no_colour_when_stdout_is_not_a_tty(capsys):
    code, out, _ = run_cli(capsys, SEMICOLONS)
    assert code == 1 and "PF103" in out
    assert not ANSI_RE.search(out) and "\x1b" not in out
    proc = run_module(SEMICOLONS, env=_env())
    assert proc.returncode == 1 and "PF103" in proc.stdout and "\x1b" not in proc.stdout


def test_colour_on_a_terminal():
    code, out = _run_on_pty([str(SEMICOLONS)], _env())
    assert code == 1
    assert "PF103" in ANSI_RE.sub("", out)
    assert ANSI_RE.search(out), out


def test_no_colour_on_a_terminal_with_no_color():
    code, out = _run_on_pty([str(SEMICOLONS)], _env(NO_COLOR="1"))
    assert code == 1
    assert "PF103" in out
    assert "\x1b" not in out


def test_empty_no_color_does_not_disable_colour():
    """no-color.org: only a NO_COLOR that is present *and not empty* disables colour."""
    code, out = _run_on_pty([str(SEMICOLONS)], _env(NO_COLOR=""))
    assert code == 1 and ANSI_RE.search(out)


def test_no_colour_in_machine_formats_on_a_terminal():
    code, out = _run_on_pty([str(SEMICOLONS), "--format", "json"], _env())
    assert code == 1 and "\x1b" not in out
    json.loads(out)


# --- passwords never echoed --------------------------------------------------------------------

PASSWORDS = {
    "short": "Zq7!x",  # PF151
    "weak": "qwertyzzzz",  # PF152 (one class)
    "digits": "8675309112358",  # PF152
    "long": "Lx9#" * 70,  # 280 characters: PF152 too long
    "extra-field": "Ovrfl0w!Pass",  # on a row with too many fields (PF120)
    "bad-fcp": "Gr8-Secret-Val",  # with a bad ForceChangePassword value (PF140)
    "bad-email": "Kx!92-Mailless",  # with an invalid address (PF131)
    "dup-email": "Twice#Secret-1",  # on a duplicate address (PF134)
}


def _secret_batches(tmp_path: Path) -> list[Path]:
    p = PASSWORDS
    rows = [
        "EmailAddress,Password,ForceChangePassword",
        f"ann.lee@contoso.com,{p['short']},False",
        f"bob.ross@contoso.com,{p['weak']},False",
        f"carol.diaz@contoso.com,{p['digits']},False",
        f"dan.kim@contoso.com,{p['long']},False",
        f"erin.fox@contoso.com,{p['extra-field']},False,extra",
        f"frank.ng@contoso.com,{p['bad-fcp']},Maybe",
        f"not an address,{p['bad-email']},False",
        f"bob.ross@contoso.com,{p['dup-email']},False",
        "gina.roe@contoso.com,,False",  # PF150
    ]
    main_batch = tmp_path / "secrets.csv"
    main_batch.write_text("\n".join(rows) + "\n")
    # a second file with no header line: its first row must not be echoed as "columns"
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("hal.ito@contoso.com,Headerless#Pw-77,False\nivy.wu@contoso.com,Second#Pw-88,False\n")
    return [main_batch, headerless]


SECRETS = [*PASSWORDS.values(), "Headerless#Pw-77", "Second#Pw-88"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_passwords_never_appear_in_any_format(capsys, tmp_path, fmt):
    batches = _secret_batches(tmp_path)
    code, out, err = run_cli(capsys, *batches, "--format", fmt)
    assert code == 1
    # the findings that concern passwords are there ...
    for expected in ("PF150", "PF151", "PF152", "PF120", "PF140", "PF131", "PF134", "PF111"):
        assert expected in out, f"{expected} missing from the {fmt} report"
    # ... but no password
    for secret in SECRETS:
        assert secret not in out, f"a password appears in the {fmt} report"
        assert secret not in err
    # nor the JSON-escaped form of one
    for secret in SECRETS:
        assert json.dumps(secret)[1:-1] not in out


def test_passwords_never_appear_on_a_terminal_or_in_a_subprocess(tmp_path):
    batches = [str(p) for p in _secret_batches(tmp_path)]
    code, out = _run_on_pty(batches, _env())
    assert code == 1 and ANSI_RE.search(out)
    plain = ANSI_RE.sub("", out)
    proc = run_module(*batches, "--format", "json", "--fail-on", "info")
    assert proc.returncode == 1
    for secret in SECRETS:
        assert secret not in out and secret not in plain
        assert secret not in proc.stdout and secret not in proc.stderr


def test_passwords_never_appear_in_the_output_file(capsys, tmp_path):
    batches = _secret_batches(tmp_path)
    for fmt in ("text", "json", "sarif", "junit", "github"):
        target = tmp_path / f"out.{fmt}"
        code, out, err = run_cli(capsys, *batches, "--format", fmt, "--output", target)
        assert code == 1 and out == ""
        written = target.read_text(encoding="utf-8")
        assert "PF151" in written
        for secret in SECRETS:
            assert secret not in written and secret not in err


def test_text_lists_ten_findings_of_a_check_per_file_and_counts_the_rest(tmp_path, capsys):
    from preflight.cli import main

    rows = "\n".join(f"user{i}@contoso.com,True-ish" for i in range(25))
    path = tmp_path / "many.csv"
    path.write_text("EmailAddress,ForceChangePassword\n" + rows + "\n")
    assert main([str(path), "--select", "PF140"]) == 1
    out = capsys.readouterr().out
    assert out.count(" PF140 error") == 10 and "and 15 more PF140 finding(s)" in out
    assert main([str(path), "--select", "PF140", "--max-per-check", "0"]) == 1
    out = capsys.readouterr().out
    assert out.count(" PF140 error") == 25 and "more PF140" not in out
