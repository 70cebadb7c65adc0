"""The HTML report in a real headless Chromium: it loads offline with no console error and no
network request, shows the JSON report's verdict and counts, shows hostile values as text
without running them, sorts and filters, and a 50,000-finding page loads within 3 s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import preflight
from preflight.formatters import render

from .conftest import ARTIFACTS, many_findings
from .test_html import INJECTED_ADDRESS, INJECTED_DN, hostile_report

LOAD_LIMIT_S = 3.0


def open_page(browser, path: Path):
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get_log("performance")
    browser.get(path.as_uri())
    return browser


def requests_made(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def write(tmp_path: Path, report, name: str = "report.html", **opts) -> Path:
    path = tmp_path / name
    path.write_text(render(report, "html", **opts), encoding="utf-8")
    return path


def test_sample_report_loads_offline_and_matches_the_json(browser, tmp_path):
    report = preflight.check_batch(sorted(SAMPLE_DATA.glob("*.csv")))
    data = json.loads(render(report, "json"))
    page = write(tmp_path, report)
    open_page(browser, page)
    assert browser.find_element(By.CSS_SELECTOR, "#verdict h1").text == "Not ready"
    for sev in ("error", "warning", "info"):
        assert browser.find_element(By.ID, f"count-{sev}").text == str(data["summary"]["findings"][sev])
    for status in ("passed", "failed", "skipped", "errored"):
        assert browser.find_element(By.ID, f"checks-{status}").text == str(data["summary"]["checks"][status])
    files = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.files td.path")]
    assert files == sorted(i["path"] for i in data["inputs"] if i["kind"] == "batch")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#charts svg")) == 1  # per batch file (one area: no chart)
    assert console_errors(browser) == []
    assert requests_made(browser) == [page.as_uri()]  # the page itself, nothing else
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "html-report-sample.png"
    assert browser.save_screenshot(str(shot))
    from PIL import Image

    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # banner, tables and charts: not a blank page


def test_hostile_values_are_shown_as_text_and_never_run(browser, tmp_path):
    open_page(browser, write(tmp_path, hostile_report()))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the probe
    assert browser.execute_script("return window.pwned === undefined")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert INJECTED_ADDRESS in body and INJECTED_DN in body
    assert browser.find_elements(By.CSS_SELECTOR, "main img") == []
    assert console_errors(browser) == []


def test_findings_table_filters_and_sorts(browser, tmp_path):
    open_page(browser, write(tmp_path, preflight.check_batch(sorted(SAMPLE_DATA.glob("*.csv")))))
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
    total = len(rows)
    assert total > 5 and browser.find_element(By.ID, "shown").text == str(total)
    box = browser.find_element(By.ID, "filter")
    box.send_keys("PF135")
    visible = [r for r in rows if r.is_displayed()]
    assert 0 < len(visible) < total and all("PF135" in r.text for r in visible)
    assert browser.find_element(By.ID, "shown").text == str(len(visible))
    box.clear()
    box.send_keys(" ")  # an input event with no words: everything again
    Select(browser.find_element(By.ID, "severity")).select_by_value("warning")
    levels = {r.get_attribute("data-severity") for r in rows if r.is_displayed()}
    assert levels == {"warning"}
    Select(browser.find_element(By.ID, "severity")).select_by_value("")
    header = browser.find_element(By.CSS_SELECTOR, "#findings-table th:nth-child(2)")
    header.click()
    codes = [r.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text
             for r in browser.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")]
    assert codes == sorted(codes)
    header.click()
    codes = [r.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text
             for r in browser.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")]
    assert codes == sorted(codes, reverse=True)
    assert console_errors(browser) == []


def test_fifty_thousand_findings_load_within_the_limit(browser, tmp_path):
    page = write(tmp_path, many_findings(50_000), "large.html")
    assert page.stat().st_size < 20 * 2**20
    open_page(browser, page)
    seconds = browser.execute_script(
        "var n = performance.getEntriesByType('navigation')[0]; return (n.loadEventEnd - n.startTime) / 1000;")
    assert 0 < seconds < LOAD_LIMIT_S
    assert browser.find_element(By.ID, "count-error").text == "25000"
    assert console_errors(browser) == []
