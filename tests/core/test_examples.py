"""Every check's docstring examples run here, so the docs cannot drift from behaviour.

``Okay:`` inputs must give no finding of the check; ``PFnnn:`` inputs must
give at least one finding of that code (pycodestyle's testsuite idea).
"""

from __future__ import annotations

import pytest

import preflight
from preflight.config import Config

BATCH_CHECKS = [c for c in preflight.list_checks() if c.area == "batch"]
EXAMPLES = [
    pytest.param(c, kind, opts, text, id=f"{c.code}-{i}-{kind}")
    for c in BATCH_CHECKS
    for i, (kind, opts, text) in enumerate(c.examples())
]


def test_every_batch_check_documents_why_fix_and_source():
    for c in BATCH_CHECKS:
        for part in ("Why:", "Fix:", "Source:"):
            assert part in c.doc, f"{c.code} docstring lacks {part}"


def test_every_check_with_examples_has_a_failing_one_of_its_own_code():
    for c in BATCH_CHECKS:
        kinds = {k for k, _, _ in c.examples()}
        assert kinds <= {"Okay", c.code}, f"{c.code} has examples of other codes: {kinds}"


@pytest.mark.parametrize(("chk", "kind", "opts", "text"), EXAMPLES)
def test_docstring_example(chk, kind, opts, text):
    config = Config.from_mapping({k: v.lower() == "true" if v.lower() in ("true", "false") else v for k, v in opts.items()})
    report = preflight.check_bytes(text.encode("utf-8"), "example.csv", config, select=[chk.code])
    codes = [f.code for f in report.findings]
    if kind == "Okay":
        assert codes == [], report.findings
        assert all(r.status.value == "passed" for r in report.results), report.results
    else:
        assert kind in codes, (text, report.results)
