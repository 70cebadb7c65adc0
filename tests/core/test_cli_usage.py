"""The command line and the Python API as a new user meets them (issue 15, items 1-4 and 10-13;
issue 17: no check passed on data it never had).

Options never swallow batch paths; one function decides the exit code; bad paths, empty
selections and wrong API types are clear errors; rule pages and the check list read as text.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import tempfile
from pathlib import Path

import pytest

import preflight
from preflight.cli import build_parser, main
from preflight.sources.batch_csv import read_batch

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
CLEAN = SAMPLES / "wave1-finance.csv"
SEMICOLONS = SAMPLES / "excel-semicolons.csv"
ZONES = sorted((SAMPLES / "dns").glob("*.zone"))
LDIF = SAMPLES / "directory" / "contoso.ldif"
WARNING_ONLY = b"EmailAddress,Password,ForceChangePassword\nann.lee@contoso.com,password1,False\n"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def json_run(capsys, *argv) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "--format", "json", *argv)
    return code, json.loads(out), err


def batch_inputs(report: dict) -> list[str]:
    return [i["path"] for i in report["inputs"] if i["kind"] == "batch"]


# --- item 1: no option consumes the batch files -----------------------------------------------


def test_no_option_takes_more_than_one_value():
    """The class of the defect: an option with nargs '+', '*' or N swallows the PATHs after it."""
    greedy = [a.option_strings for a in build_parser()._actions
              if a.option_strings and a.nargs not in (None, 0, argparse.OPTIONAL) and not isinstance(a, argparse._HelpAction)]
    assert greedy == []


def test_zone_file_leaves_the_batch_files_to_be_checked(capsys):
    code, report, _ = json_run(capsys, "--zone-file", ZONES[0], CLEAN, SEMICOLONS, "--stage", "migrating")
    assert batch_inputs(report) == [str(CLEAN), str(SEMICOLONS)]
    assert "PF103" in {f["code"] for f in report["findings"]}
    assert code == 1


def test_batch_files_may_come_between_and_after_options(capsys):
    _, report, _ = json_run(capsys, CLEAN, "--stage", "migrating", SEMICOLONS, "--select", "PF1")
    assert batch_inputs(report) == [str(CLEAN), str(SEMICOLONS)]


@pytest.mark.parametrize("option", [["--list-checks"], ["--explain", "PF121"]])
def test_list_and_explain_do_not_pass_batch_files_unchecked(capsys, option):
    code, out, err = run_cli(capsys, *option, SEMICOLONS)
    assert code == 2 and out == "" and str(SEMICOLONS) in err


@pytest.mark.parametrize("form", ["repeated", "comma-separated"])
def test_several_zone_files(capsys, form):
    zones = (["--zone-file", z] for z in ZONES) if form == "repeated" else [["--zone-file", ",".join(map(str, ZONES))]]
    argv = [a for pair in zones for a in pair]
    code, report, _ = json_run(capsys, CLEAN, *argv, "--stage", "migrating", "--select", "PF31")
    api = preflight.check_batch([CLEAN], {"dns": {"zone_files": [str(z) for z in ZONES], "stage": "migrating"}},
                                select="PF31")
    assert [c for c in report["checks"]] == [r.to_dict() for r in api.results]
    assert not [c for c in report["checks"] if c["status"] == "errored"]  # every zone file was loaded
    assert code == api.exit_code()


def test_a_zone_file_given_as_a_batch_path_is_a_usage_error(capsys):
    """The shell's expansion of ``--zone-file dns/*.zone`` leaves the second zone file as a PATH."""
    code, out, err = run_cli(capsys, "--zone-file", *ZONES, CLEAN, "--stage", "migrating")
    assert code == 2 and out == ""
    assert str(ZONES[1]) in err and "--zone-file" in err


def test_the_readme_try_it_command_reads_every_csv_as_a_batch():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in readme.splitlines() if "python -m preflight" in ln and "sample_data" in ln)
    words = shlex.split(line.split("python -m preflight", 1)[1])
    argv = [p for w in words for p in (sorted(glob.glob(str(ROOT / w))) if "*" in w else [w])]
    args = build_parser().parse_args(argv)
    assert sorted(args.paths) == sorted(glob.glob(str(SAMPLES / "*.csv")))
    assert len(args.zone_file) >= 1


def test_options_with_no_batch_and_nothing_checked_exit_2(capsys):
    """Zone files and a stage but no batch: every DNS check needs the batch's domains."""
    code, out, err = run_cli(capsys, "--zone-file", ZONES[0], "--stage", "migrating")
    assert code == 2
    assert "nothing was checked" in err and "no batch file given" in err


def test_a_run_without_batch_files_says_so(capsys):
    code, report, err = json_run(capsys, "--directory", LDIF, "--tenant-domains", "contoso.com")
    # nothing reads the directory or the tenant without batch rows (IdFix scans the batch's
    # objects unless --idfix-scope directory): every check is skipped, and that is a usage error
    assert code == 2 and "nothing was checked" in err and "no batch file given" in err
    assert not [c for c in report["checks"] if c["status"] == "passed"]
    code, report, err = json_run(capsys, "--directory", LDIF, "--outlook-anywhere-host", "mail.contoso.com",
                                 "--endpoint-certificate", SAMPLES / "endpoint" / "mail.contoso.com.txt")
    assert "no batch CSV file given" in err  # some checks ran (the endpoint's): the batch checks did not
    assert not [c for c in report["checks"] if c["status"] == "passed" and c["code"].startswith(("PF1", "PF2"))]


def test_a_directory_wide_idfix_run_needs_no_batch(capsys):
    code, report, err = json_run(capsys, "--directory", LDIF, "--idfix-scope", "directory")
    assert {f["code"][:3] for f in report["findings"]} == {"PF4"}
    assert code == 1 and "no batch" not in err and "nothing was checked" not in err


def test_idfix_base_without_directory_scope_is_a_usage_error(capsys):
    """It would be ignored: the batch's objects are scanned, not the subtree."""
    code, out, err = run_cli(capsys, CLEAN, "--directory", LDIF, "--idfix-base", "OU=Staff,DC=contoso,DC=com")
    assert code == 2 and out == "" and "--idfix-scope directory" in err
    code, report, _ = json_run(capsys, "--directory", LDIF, "--idfix-scope", "directory",
                               "--idfix-base", "OU=Staff,DC=contoso,DC=com")
    assert code in (0, 1) and report["checks"]


# --- item 2: one exit code ---------------------------------------------------------------------


def test_errored_checks_give_exit_1_in_the_api_as_in_the_cli(capsys, tmp_path):
    garbage = tmp_path / "garbage.ldif"
    garbage.write_text("this is not LDIF\n")
    report = preflight.check_batch([CLEAN], {"directory": {"source": str(garbage)}})
    assert report.counts()["checks"]["errored"] > 0 and not report.findings
    assert report.exit_code() == 1
    code, _, _ = run_cli(capsys, CLEAN, "--directory", garbage)
    assert code == report.exit_code()


def test_the_configured_fail_on_is_the_default_of_exit_code(tmp_path):
    report = preflight.check_bytes(WARNING_ONLY, config={"fail_on": "warning"})
    assert report.fail_on == "warning" and report.exit_code() == 1
    assert report.exit_code("error") == 0
    assert preflight.check_bytes(WARNING_ONLY).exit_code() == 0


@pytest.mark.parametrize("argv, config", [
    ([CLEAN], {}),
    ([SEMICOLONS], {}),
    ([SEMICOLONS, "--ignore", "PF103"], {"ignore": ["PF103"]}),
    ([CLEAN, "--fail-on", "info", "--tenant-domains", "fabrikam.com"],
     {"fail_on": "info", "tenant": {"domains": ["fabrikam.com"]}}),
    ([CLEAN, "--select", "PF2"], {"select": ["PF2"]}),
], ids=["clean", "finding", "ignored", "fail-on-info", "nothing-checked"])
def test_the_cli_exits_with_report_exit_code(capsys, argv, config):
    code, _, _ = run_cli(capsys, *argv)
    assert code == preflight.check_batch([a for a in argv if isinstance(a, Path)], config).exit_code()


def test_nothing_checked_is_exit_2(capsys):
    report = preflight.check_batch([CLEAN], select="PF2")  # no directory given
    assert report.checked_nothing() and report.exit_code() == 2
    code, _, err = run_cli(capsys, CLEAN, "--select", "PF2")
    assert code == 2 and "nothing was checked" in err and "no directory given" in err


# --- item 3: a tenant-domains file that does not exist, and the other input paths --------------


@pytest.mark.parametrize("value", ["domains.json", "exports/domains", "accepted-domains.csv"])
def test_a_missing_tenant_domains_file_is_a_usage_error(capsys, tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, CLEAN, "--tenant-domains", value)
    assert code == 2 and out == ""
    assert value in err and "no such file" in err


def test_a_tenant_domain_list_is_still_a_list(capsys):
    _, report, _ = json_run(capsys, CLEAN, "--tenant-domains", "contoso.com,fabrikam.com", "--select", "PF300")
    assert [c["status"] for c in report["checks"]] == ["passed"]


@pytest.mark.parametrize("option", ["--directory", "--ca-file", "--zone-file"])
def test_an_input_file_option_that_does_not_exist_is_a_usage_error(capsys, tmp_path, option):
    missing = tmp_path / "missing.file"
    extra = ["--directory", "ldaps://127.0.0.1"] if option == "--ca-file" else []
    code, out, err = run_cli(capsys, CLEAN, *extra, option, missing)
    assert code == 2 and out == ""
    assert f"{option} {missing}: no such file" in err


# --- item 4: a selection of no check -----------------------------------------------------------


@pytest.mark.parametrize("argv", [["--select", ""], ["--select", ","], ["--ignore", "PF"],
                                  ["--select", "PF1", "--ignore", "PF1"]])
def test_selecting_no_check_is_a_usage_error(capsys, argv):
    code, out, err = run_cli(capsys, CLEAN, *argv)
    assert code == 2 and out == ""
    assert "no check" in err


@pytest.mark.parametrize("kw", [{"select": []}, {"select": ""}, {"select": ","}, {"ignore": ["PF"]}])
def test_the_api_refuses_a_selection_of_no_check(kw):
    with pytest.raises(KeyError, match="no check"):
        preflight.check_batch([CLEAN], **kw)


# --- item 10 and issue 17: paths that cannot be read, checks on data never had ---------------


def test_a_folder_as_path_is_one_usage_error(capsys):
    code, out, err = run_cli(capsys, SAMPLES / "dns", CLEAN)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(SAMPLES / "dns") in err and "folder" in err


def test_an_unreadable_file_is_one_usage_error(capsys):
    folder = tempfile.mkdtemp()
    try:
        os.chmod(folder, 0o755)  # reachable by the unprivileged user below
        locked = Path(folder, "locked.csv")
        locked.write_bytes(CLEAN.read_bytes())
        locked.chmod(0)
        as_root = os.geteuid() == 0
        if as_root:  # root reads any file: drop to nobody for the run (the modules are already imported)
            os.seteuid(65534)
        try:
            code, out, err = run_cli(capsys, locked, CLEAN)
        finally:
            if as_root:
                os.seteuid(0)
    finally:
        locked.chmod(0o600)
        locked.unlink()
        os.rmdir(folder)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"preflight: cannot read {locked}: Permission denied"]


def test_no_check_passes_on_a_file_it_could_not_read(tmp_path):
    report = preflight.check_batch([tmp_path, CLEAN])
    on_folder = [r for r in report.results if r.subject == str(tmp_path)]
    assert on_folder and {r.status.value for r in on_folder} == {"errored"}
    pf135 = [r for r in report.results if r.code == "PF135"]
    assert [r.status.value for r in pf135] == ["errored"] and str(tmp_path) in pf135[0].reason
    assert report.exit_code() == 1


def test_pf135_is_skipped_without_a_batch():
    report = preflight.check_batch([], {"tenant": {"domains": ["contoso.com"]}})
    pf135 = next(r for r in report.results if r.code == "PF135")
    assert pf135.status.value == "skipped" and pf135.reason == "no batch file given"
    assert not [r for r in report.results if r.status.value == "passed"]
    assert report.exit_code() == 2


# --- item 11: --max-per-check ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "-10", "x"])
def test_max_per_check_must_be_zero_or_more(capsys, value):
    code, out, err = run_cli(capsys, CLEAN, "--max-per-check", value)
    assert code == 2 and out == "" and "--max-per-check" in err


def test_max_per_check_0_lists_every_finding(capsys, tmp_path):
    path = tmp_path / "dups.csv"
    path.write_text("EmailAddress\n" + "ann@contoso.com\n" * 15)
    _, out, _ = run_cli(capsys, path, "--max-per-check", "0")
    assert out.count("PF134") >= 14 and "more PF134" not in out


# --- item 12: the API's types -------------------------------------------------------------------


def test_select_and_ignore_take_a_string():
    as_list = preflight.check_batch([CLEAN], select=["PF10", "PF121"], ignore=["PF105"])
    as_str = preflight.check_batch([CLEAN], select="PF10,PF121", ignore="PF105")
    as_generator = preflight.check_batch([CLEAN], select=(s for s in ["PF10", "PF121"]), ignore=iter(["PF105"]))
    assert [r.code for r in as_str.results] == [r.code for r in as_list.results] == [r.code for r in as_generator.results]
    assert {r.code for r in preflight.check_batch(CLEAN, select="PF1").results} == \
        {c.code for c in preflight.list_checks() if c.code.startswith("PF1")}


def test_run_batches_takes_batch_files_and_says_so():
    with pytest.raises(TypeError, match="BatchFile.*check_batch"):
        preflight.run_batches([str(CLEAN)])
    one = preflight.run_batches(read_batch(CLEAN), select="PF1")
    assert one.results and one.exit_code() == 0


def test_check_bytes_takes_bytes_and_says_so():
    with pytest.raises(TypeError, match="bytes"):
        preflight.check_bytes(WARNING_ONLY.decode())
    assert preflight.check_bytes(bytearray(WARNING_ONLY)).findings


@pytest.mark.parametrize("kw, match", [
    ({"config": "preflight.toml"}, "load_config"),
    ({"select": 121}, "select must be a string"),
    ({"ignore": [None]}, "ignore must be a string"),
])
def test_wrong_argument_types_are_named(kw, match):
    with pytest.raises(TypeError, match=match):
        preflight.check_batch([CLEAN], **kw)
    with pytest.raises(TypeError, match="paths"):
        preflight.check_batch([CLEAN, 3])


# --- item 13: the check list, rule pages, PF112's fix, --config with [tool.preflight] -----------


def test_list_checks_gives_whole_first_sentences(capsys):
    _, out, _ = run_cli(capsys, "--list-checks")
    for c in preflight.list_checks():
        line = next(ln for ln in out.splitlines() if ln.startswith(c.code + " "))
        first_paragraph = " ".join(c.doc.split("\n\n")[0].split()).replace("``", "`")
        assert line.endswith(first_paragraph), c.code
        assert line.endswith("."), c.code


@pytest.mark.parametrize("code", [c.code for c in preflight.list_checks()])
def test_rule_pages_are_plain_text(capsys, code):
    _, out, _ = run_cli(capsys, "--explain", code)
    assert "``" not in out and "\\n" not in out
    assert not re.search(r"\b(\w+) \1\b", out.replace("\n", " ")), "a doubled word"


def test_rule_page_examples_are_shown_as_files(capsys):
    _, out, _ = run_cli(capsys, "--explain", "PF134")
    assert "  PF134:\n      EmailAddress\n      ann@contoso.com\n      Ann@Contoso.com\n" in out
    _, out, _ = run_cli(capsys, "--explain", "PF141")
    assert "PF141 (with sso = true):" in out


@pytest.mark.parametrize("header, fix", [
    ("Email Address,Password", "Rename the column 'Email Address' to 'EmailAddress'."),
    ("PrimarySmtpAddress", "Rename the column 'PrimarySmtpAddress' to 'EmailAddress'."),
    ("EmailAddress,ForcePasswordChange", "Rename the column 'ForcePasswordChange' to 'ForceChangePassword'."),
    ("EmailAddress,mail", "Delete the column: the batch already has EmailAddress, and reads only that one."),
    ("EmailAddress,DisplayName", "Delete the column, or correct its name."),
])
def test_pf112_fix_names_the_column_meant(header, fix):
    report = preflight.check_bytes(f"{header}\nann@contoso.com,x\n".encode(), select="PF112")
    assert [f.fix for f in report.findings] == [fix]


def test_config_file_with_a_tool_preflight_table(capsys, tmp_path):
    cfg = tmp_path / "x.toml"
    cfg.write_text('[project]\nname = "copied"\n\n[tool.preflight]\nignore = ["PF103"]\n')
    assert run_cli(capsys, SEMICOLONS, "--config", cfg)[0] == 0
    cfg.write_text('ignore = ["PF103"]\n[tool.preflight]\nfail_on = "warning"\n')
    code, out, err = run_cli(capsys, SEMICOLONS, "--config", cfg)
    assert code == 2 and "keep one of them" in err
    cfg.write_text('[tool.black]\nline-length = 88\n')
    code, out, err = run_cli(capsys, SEMICOLONS, "--config", cfg)
    assert code == 2 and "[tool.preflight]" in err
