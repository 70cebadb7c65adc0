"""Fixtures of the HTML report tests: a real headless Chromium (Debian's ``chromium`` driven
through Debian's ``chromium-driver`` by selenium; nothing is downloaded), and report builders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from preflight.model import Finding, Report, Severity

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots the browser tests take are kept here (CI keeps the folder as an artifact).
ARTIFACTS = Path(os.environ.get("PREFLIGHT_TEST_ARTIFACTS", ROOT / "test-artifacts"))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium with its console and network logs recorded (``goog:loggingPrefs``)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (tests/install-debian.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def many_findings(n: int, files: int = 25) -> Report:
    """A report of ``n`` findings spread over ``files`` batch files and four checks."""
    codes = [("PF131", "email-address-syntax", Severity.ERROR), ("PF132", "email-address-whitespace", Severity.WARNING),
             ("PF134", "email-address-duplicate", Severity.ERROR), ("PF152", "password-weak", Severity.WARNING)]
    report = Report(version="test", started="2026-11-30T00:00:00+00:00")
    per_file = n // files
    for i in range(files):
        path = f"batches/wave{i:02d}.csv"
        report.inputs.append({"kind": "batch", "path": path, "records": per_file})
        for row in range(per_file):
            code, name, sev = codes[row % len(codes)]
            report.findings.append(Finding(code=code, name=name, severity=sev, path=path, row=row + 2, line=row + 2,
                                           column="EmailAddress", message=f"row {row + 2}: something is wrong",
                                           value=f"user{row}@contoso.com", fix="correct the address"))
    return report
