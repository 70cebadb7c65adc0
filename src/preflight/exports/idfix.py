"""Exports of the IdFix findings (PF4xx) of a report.

``write_fix_ldif`` writes LDIF ``changetype: modify`` records that would set
IdFix's proposed values, and beside it an undo LDIF that restores the values as
they were; an admin reviews and applies them (``ldifde -i -f FILE`` or
``ldapmodify -f FILE``) — preflight never does. ``write_idfix_csv`` writes
IdFix's grid (DISTINGUISHEDNAME, COMMONNAME, OBJECTCLASS, ATTRIBUTE, ERROR,
VALUE, UPDATE, ACTION) for admins used to IdFix.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..model import Finding, Report

#: Attributes with several values: a fix deletes the old value and adds the new one.
MULTI_VALUED = frozenset({"proxyaddresses"})


def idfix_findings(report: Report) -> list[Finding]:
    """The PF4xx findings, one per (object, attribute, value), in report order."""
    seen: dict[tuple[str | None, str | None, str | None], Finding] = {}
    for f in report.findings:
        if f.code.startswith("PF4") and (f.dn, f.attribute, f.value) not in seen:
            seen[(f.dn, f.attribute, f.value)] = f
    return list(seen.values())


def _errors(report: Report, f: Finding) -> str:
    names = [g.name.removeprefix("idfix-").replace("-", "") for g in report.findings
             if g.code.startswith("PF4") and (g.dn, g.attribute, g.value) == (f.dn, f.attribute, f.value)]
    return ",".join(dict.fromkeys(names))


def write_fix_ldif(report: Report, path: Path) -> tuple[Path, Path]:
    """Write the proposed values of ``report``'s IdFix findings as LDIF modify
    records to ``path``, and the undo records to ``<stem>.undo.ldif`` beside it.

    Values IdFix proposes none for (duplicates, UPN part lengths) are left out.
    No record holds an empty value: where the value was empty (a blank
    displayName, say), the undo record deletes the value the fix sets.
    Returns both paths. Raises OSError when a file cannot be written.
    """
    import io

    from .._ldif import Writer

    undo_path = path.with_name(path.stem + ".undo" + (path.suffix or ".ldif"))
    do, undo = io.BytesIO(), io.BytesIO()
    do_writer, undo_writer = Writer(do), Writer(undo)
    for f in idfix_findings(report):
        if f.suggested_value is None or f.dn is None or f.attribute is None:
            continue
        value = f.value or ""
        for writer, old, new in ((do_writer, value, f.suggested_value), (undo_writer, f.suggested_value, value)):
            changes = _changes(f.attribute, old, new)
            if changes:
                writer.unparse(f.dn, changes)
    path.write_bytes(do.getvalue())
    undo_path.write_bytes(undo.getvalue())
    return path, undo_path


def _changes(attribute: str, old: str, new: str) -> list[tuple[int, str, list[str]]]:
    """The LDIF modify operations (0 add, 1 delete, 2 replace) that turn ``old``
    into ``new``; an empty value means none: it is deleted, never written (AD
    refuses an empty value), so an undo restores an absent value with ``delete:``."""
    if attribute.casefold() in MULTI_VALUED:  # delete the old value, add the new one
        return [*([(1, attribute, [old])] if old else []), *([(0, attribute, [new])] if new else [])]
    if new:
        return [(2, attribute, [new])]  # replace
    return [(1, attribute, [old])] if old else []


_ACTION = re.compile(r"\((EDIT|REMOVE|COMPLETE)\)$")


def write_idfix_csv(report: Report, path: Path) -> Path:
    """Write ``report``'s IdFix findings in IdFix's grid layout (UTF-8 with BOM, for Excel).

    ACTION is EDIT where a value is proposed, else IdFix's COMPLETE/REMOVE for
    duplicates, else empty (the admin decides). Raises OSError when it cannot write.
    """
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["DISTINGUISHEDNAME", "COMMONNAME", "OBJECTCLASS", "ATTRIBUTE", "ERROR", "VALUE", "UPDATE", "ACTION"])
        for f in idfix_findings(report):
            m = _ACTION.search(f.message.rstrip())
            action = "EDIT" if f.suggested_value is not None else (m.group(1) if m else "")
            cn = re.match(r"^\s*[A-Za-z]+=((?:\\.|[^,])*)", f.dn or "")
            writer.writerow([f.dn, cn.group(1) if cn else "", f.object_class or "", f.attribute, _errors(report, f),
                             f.value, f.suggested_value or "", action])
    return path
