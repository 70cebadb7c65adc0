"""docs/causes.md (which checks catch which of the taxonomy's 62 failure causes), the checks'
rule pages and the README's coverage count agree."""

from __future__ import annotations

import re

from conftest import ROOT

import preflight

CAUSE_RE = re.compile(r"\b([CESIKA]-\d\d)\b")
ROW_RE = re.compile(r"^\|\s*([CESIKA]-\d\d)\s*\|([^|]*)\|([^|]*)\|([^|]*)\|\s*$")
KINDS = {"before Start", "before Start, partly", "at a later --stage", "no"}


def table() -> dict[str, tuple[str, set[str]]]:
    """Cause ID -> (how it is caught, the codes of the checks that catch it; ranges expanded)."""
    codes = [c.code for c in preflight.list_checks()]
    out: dict[str, tuple[str, set[str]]] = {}
    for line in (ROOT / "docs" / "causes.md").read_text(encoding="utf-8").splitlines():
        m = ROW_RE.match(line)
        if not m:
            continue
        cause, kind, checks = (g.strip() for g in m.groups()[:3])
        assert cause not in out, f"{cause} is listed twice"
        named: set[str] = set()
        for part in filter(None, (p.strip() for p in checks.split(","))):
            first, _, last = part.partition("–")
            in_range = [c for c in codes if first <= c <= (last or first)]
            assert first in codes and (not last or last in codes), f"{cause}: {part} names no check"
            named.update(in_range)
        out[cause] = (kind, named)
    return out


def test_every_cause_once_with_a_known_verdict_and_checks_when_caught():
    rows = table()
    assert len(rows) == 62
    for cause, (kind, checks) in rows.items():
        assert kind in KINDS, f"{cause}: {kind!r}"
        assert bool(checks) == (kind != "no"), f"{cause}: {kind} but checks {sorted(checks)}"


def test_every_cause_a_rule_page_names_is_listed_as_caught_by_that_check():
    rows = table()
    for c in preflight.list_checks():
        source = c.doc.split("Source:", 1)[1] if "Source:" in c.doc else ""
        for cause in CAUSE_RE.findall(source):
            assert cause in rows, f"{c.code} names {cause}, which docs/causes.md does not list"
            assert c.code in rows[cause][1], (f"{c.code}'s rule page names cause {cause}: add {c.code} to its row in "
                                              "docs/causes.md (and update the README's count)")


def test_the_readme_count_is_the_table_count():
    rows = table()
    before = sum(kind.startswith("before Start") for kind, _ in rows.values())
    partly = sum(kind == "before Start, partly" for kind, _ in rows.values())
    after = sum(kind == "at a later --stage" for kind, _ in rows.values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"causes caught before Start: \*\*(\d+) of (\d+)\*\* \((\d+) of them partly\), "
                  r"and (\d+) more at a later stage", readme)
    assert m, "the README states no coverage count"
    assert tuple(map(int, m.groups())) == (before, len(rows), partly, after)
