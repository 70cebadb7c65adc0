"""JUnit XML: one test suite per area, one test case per check and subject."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .. import registry
from ..model import Report, Status


def render(report: Report, **_: object) -> str:
    areas = {c.code: c.area for c in registry.all_checks()}
    suites: dict[str, ET.Element] = {}
    root = ET.Element("testsuites", name="preflight", time=f"{report.duration:.3f}")
    for r in report.results:
        area = areas.get(r.code, "misc")
        suite = suites.get(area)
        if suite is None:
            suite = suites[area] = ET.SubElement(root, "testsuite", name=f"preflight.{area}")
        case = ET.SubElement(suite, "testcase", classname=r.subject or "run", name=f"{r.code} {r.name}")
        if r.status is Status.FAILED:
            found = [f for f in report.findings if f.code == r.code and (r.subject is None or f.path == r.subject)]
            text = "\n".join(f"{f.row or f.dn or f.domain or ''}: {f.message}" for f in found)
            ET.SubElement(case, "failure", message=f"{len(found)} finding(s)", type=found[0].severity.value if found else "error").text = text
        elif r.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=r.reason or "")
        elif r.status is Status.ERRORED:
            ET.SubElement(case, "error", message=r.reason or "")
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        for kind, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(kind) is not None)))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
