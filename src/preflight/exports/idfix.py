"""Exports of the IdFix findings (PF4xx) of a report.

``write_fix_ldif`` writes LDIF ``changetype: modify`` records that would set
IdFix's proposed values, and beside it an undo LDIF that restores the values as
they were; an admin reviews and applies them (``ldifde -i -f FILE`` or
``ldapmodify -f FILE``) — preflight never does. ``write_idfix_csv`` writes
IdFix's grid as a CSV file IdFix 2.6 imports (its Import button, then Accept
and Apply: the admin reviews in IdFix what it will change).
"""

from __future__ import annotations

import csv
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


def write_fix_ldif(report: Report, path: Path) -> tuple[Path, Path]:
    """Write the proposed values of ``report``'s IdFix findings as LDIF modify
    records to ``path``, and the undo records to ``<stem>.undo.ldif`` beside it.

    Values IdFix proposes none for (duplicates, top-level domains) are left out,
    and so is an empty proposal (a fix never removes a value).
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
        if not f.suggested_value or f.dn is None or f.attribute is None:  # never propose removing a value
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


#: IdFix's grid columns, in the order its ToCsv writes them (Controls/IdFixGrid.cs; FormApp.Designer.cs).
GRID_COLUMNS = ("DISTINGUISHEDNAME", "COMMONNAME", "OBJECTCLASS", "ATTRIBUTE", "ERROR", "VALUE", "UPDATE",
                "PROPOSEDACTION", "ACTION")


def write_idfix_csv(report: Report, path: Path) -> Path:
    """Write ``report``'s IdFix findings as IdFix's grid, one row per value, in a
    CSV file IdFix 2.6 imports (``IdFixGrid.SetFromCsv``).

    Columns: :data:`GRID_COLUMNS`. ERROR as IdFix writes it (``Character,
    TopLevelDomain``); UPDATE IdFix's proposed value (the value itself where IdFix
    proposes no change: duplicates, top-level domains); PROPOSEDACTION IdFix's
    (Edit, Complete, Remove); ACTION empty — IdFix applies the rows whose ACTION
    is set, so the admin chooses there (Accept fills ACTION from PROPOSEDACTION).
    Every field is quoted, quotes doubled, as IdFix's reader
    (Microsoft.VisualBasic's TextFieldParser) reads them; it trims white space
    around every field, so a value that begins or ends with a space does not come
    back whole (IdFix's own export has the same limit). UTF-8 with BOM.
    Raises OSError when it cannot write.
    """
    from ..checks.idfix.checks import IDFIX_TAIL
    from ..sources.directory.frame import _rdn_value

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(",".join(GRID_COLUMNS) + "\r\n")
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for f in idfix_findings(report):
            tail = IDFIX_TAIL.search(f.message)
            error, action = (tail.group("error"), tail.group("action")) if tail else ("", "Edit")
            value = f.value or ""
            update = f.suggested_value if f.suggested_value is not None else value
            writer.writerow([f.dn or "", _rdn_value(f.dn or ""), f.object_class or "", f.attribute or "", error,
                             value, update, action, ""])
    return path
