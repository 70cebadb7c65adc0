"""The HTML report without a browser: self-contained, escaped, counts as in the JSON report,
the CLI writes it, and a large report stays small."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from conftest import ROOT, SAMPLE_DATA

import preflight
from preflight.formatters import render
from preflight.model import Finding, Severity

from .conftest import many_findings

INJECTED_ADDRESS = "<img src=x onerror=alert(1)>@contoso.com"
INJECTED_DN = "CN=<script>window.pwned=1</script>,OU=Staff,DC=contoso,DC=com"
INJECTED_NAME = "<svg onload=alert(2)>.csv"
PASSWORD = "Pa55<b>word</b>&amp;!"


def hostile_report():
    data = (f'EmailAddress,Password,ForceChangePassword\n"{INJECTED_ADDRESS}",{PASSWORD},False\n'
            f"ann.lee@contoso.com,{PASSWORD},False\n").encode()
    report = preflight.check_bytes(data, INJECTED_NAME)
    report.findings.append(Finding(code="PF211", name="directory-hidden-from-gal", severity=Severity.ERROR,
                                   message="hidden from the GAL", dn=INJECTED_DN, attribute="msExchHideFromAddressLists",
                                   value="TRUE", fix="clear msExchHideFromAddressLists"))
    return report


class _Collect(HTMLParser):
    """Every tag with its attributes, and the page's text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    return p


def test_values_are_text_never_markup():
    page = render(hostile_report(), "html")
    parsed = parse(page)
    tags = {t for t, _ in parsed.tags}
    assert "img" not in tags
    scripts = [a for t, a in parsed.tags if t == "script"]
    assert len(scripts) == 1  # the page's own script only
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)  # no event handler attributes
    text = "".join(parsed.text)
    for value in (INJECTED_ADDRESS, INJECTED_DN, INJECTED_NAME):
        assert value in text  # shown, as text


def test_password_never_appears():
    page = render(hostile_report(), "html")
    for form in (PASSWORD, "Pa55", "&lt;b&gt;word"):
        assert form not in page


def test_self_contained_and_locked_down():
    page = render(preflight.check_batch(sorted(SAMPLE_DATA.glob("*.csv"))), "html")
    parsed = parse(page)
    csp = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "script-src 'sha256-" in csp[0]
    for tag, attrs in parsed.tags:
        for key in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)  # in-page links only
    assert "<link" not in page and "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []  # the charts' clip paths point inside the page


def test_verdict_and_counts_match_the_json_report():
    report = preflight.check_batch(sorted(SAMPLE_DATA.glob("*.csv")))
    page = render(report, "html")
    data = json.loads(render(report, "json"))
    for sev in ("error", "warning", "info"):
        assert f'id="count-{sev}">{data["summary"]["findings"][sev]}<' in page
    for status in ("passed", "failed", "skipped", "errored"):
        assert f'id="checks-{status}">{data["summary"]["checks"][status]}<' in page
    assert 'data-exit-code="1"' in page and "Not ready" in page
    clean = preflight.check_batch([SAMPLE_DATA / "wave1-finance.csv"])
    assert 'data-exit-code="0"' in render(clean, "html") and "Ready to start" in render(clean, "html")


def test_rule_pages_are_in_the_page():
    page = render(preflight.check_batch([SAMPLE_DATA / "hand-edited-values.csv"]), "html")
    codes = {f.code for f in preflight.check_batch([SAMPLE_DATA / "hand-edited-values.csv"]).findings}
    assert codes
    for code in codes:
        assert f'id="rule-{code}"' in page and f'href="#rule-{code}"' in page


def test_large_report_is_capped_per_check_and_small():
    report = many_findings(50_000)
    page = render(report, "html")
    assert len(page.encode()) < 20 * 2**20
    rows = page.count('<tr class="sev-')
    assert rows < 5_000  # the first findings of each check per file, the rest counted
    assert "more PF131 finding(s)" in page
    small = many_findings(400, files=2)
    assert render(small, "html", max_per_check=0).count('<tr class="sev-') == 400 + 4  # 0: list all (+ the by-check table)


def test_cli_writes_the_page(tmp_path):
    out = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "preflight", str(SAMPLE_DATA / "wave2-sales.csv"),
                           str(SAMPLE_DATA / "wave1-finance.csv"), "--format", "html", "--output", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "wave2-sales.csv" in page and "PF135" in page


@pytest.mark.parametrize("fail_on, code", [("error", 0), ("warning", 1)])
def test_banner_follows_fail_on(fail_on, code):
    report = preflight.check_bytes(b"EmailAddress\n ann.lee@contoso.com\n", "w.csv")  # a warning only
    assert {f.severity for f in report.findings} == {Severity.WARNING}
    assert f'data-exit-code="{code}"' in render(report, "html", fail_on=fail_on)
