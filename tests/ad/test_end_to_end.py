"""The directory scenario against a real Samba AD DC, live over LDAPS and from
ldifde/csvde exports of that same directory: all give tests/ad/scenario.py's
EXPECTED findings, through the Python API and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import ldap3
import pytest
from conftest import BIND_PASSWORD_ENV as PASSWORD_ENV

import preflight
from ad import exporters, scenario
from preflight.sources.batch_csv import parse_batch


def batches():
    return [parse_batch(text.encode(), name) for name, text in scenario.BATCHES.items()]


def got(report):
    return {(f.code, f.path, f.row) for f in report.findings}


@pytest.fixture
def live(live_directory):
    return {**live_directory, "base_dn": [scenario.STAFF]}


@pytest.fixture(scope="module")
def exported(samba_dc, tmp_path_factory):
    """The Staff OU read back from the server and written as ldifde and csvde would."""
    conn = samba_dc.connection()
    conn.search(scenario.STAFF, "(objectClass=*)", ldap3.SUBTREE, attributes=[ldap3.ALL_ATTRIBUTES])
    entries = [(e.entry_dn, {k: v for k, v in e.entry_raw_attributes.items()}) for e in conn.entries]
    conn.unbind()
    folder = tmp_path_factory.mktemp("exports")
    paths = {"ldif": folder / "contoso.ldif", "csvde": folder / "contoso.csv"}
    exporters.write_ldifde(entries, paths["ldif"])
    exporters.write_csvde(entries, paths["csvde"])
    return paths


def test_live_directory_gives_the_scenario_findings(live):
    report = preflight.run_batches(batches(), {"directory": live}, select=["PF2"])
    assert got(report) == scenario.EXPECTED
    assert {r.status.value for r in report.results} <= {"passed", "failed"}


@pytest.mark.parametrize("kind", ["ldif", "csvde"])
def test_exports_of_the_same_directory_give_the_same_findings(exported, kind):
    report = preflight.run_batches(batches(), {"directory": {"source": str(exported[kind])}}, select=["PF2"])
    assert got(report) == scenario.EXPECTED


def _cli(files, *args):
    proc = subprocess.run([sys.executable, "-m", "preflight", *files, *args, "--select", "PF2", "--format", "json"],
                          capture_output=True, text=True, timeout=120, env={**os.environ}, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.fixture
def batch_files(tmp_path):
    for name, text in scenario.BATCHES.items():
        (tmp_path / name).write_text(text)
    return [str(tmp_path / name) for name in scenario.BATCHES]


def _found(report):
    return {(f["code"], f["location"]["path"].rsplit("/", 1)[-1], f["location"]["row"]) for f in report["findings"]}


def test_command_line_with_an_export(exported, batch_files):
    code, report, _ = _cli(batch_files, "--directory", str(exported["ldif"]))
    assert code == 1 and _found(report) == scenario.EXPECTED


def test_command_line_live(live, batch_files):
    args = ["--directory", live["source"], "--bind-user", live["bind_user"], "--password-env", PASSWORD_ENV,
            "--ca-file", live["ca_file"], "--base-dn", scenario.STAFF]
    code, report, _ = _cli(batch_files, *args, "--tls-server-name", live["tls_server_name"])
    assert code == 1 and _found(report) == scenario.EXPECTED
    # Without the certificate's name the connection to 127.0.0.1 is refused: every
    # directory check is errored (exit 1), never passed, never retried without TLS.
    code, report, stderr = _cli(batch_files, *args)
    assert code == 1 and report["findings"] == []
    assert {r["status"] for r in report["checks"]} == {"errored"}
    assert all("DC1.contoso.com" in r["reason"] for r in report["checks"])
    assert os.environ[PASSWORD_ENV] not in json.dumps(report) + stderr
