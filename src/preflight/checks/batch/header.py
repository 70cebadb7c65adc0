"""Checks on the header line: the #TYPE line, the EmailAddress column, unknown and duplicate columns."""

from __future__ import annotations

import re

from ...registry import Missing, Problem, check
from ...sources.batch_csv import KNOWN_COLUMNS, BatchFile

_EMAIL_ALIASES = {"primarysmtpaddress", "windowsemailaddress", "mail", "email", "emailaddresses", "userprincipalname",
                  "smtpaddress"}
_KNOWN = {c.casefold() for c in KNOWN_COLUMNS}


def _fold(name: str) -> str:
    return name.casefold().replace(" ", "").replace("_", "")


def _is_header(header: list[str]) -> bool:
    """True when a field of the first record is a known column or a known
    alias. Otherwise the first record is probably a mailbox row (the header
    line is missing) and its fields — a password among them — must not be echoed."""
    return any(_fold(h) in _KNOWN or _fold(h) in _EMAIL_ALIASES for h in header)


def _require_header(header: list[str]) -> None:
    if not _is_header(header):
        raise Missing("the first line is not a header line (PF111)")


@check("PF110", "csv-type-line", severity="error")
def type_line(batch: BatchFile):
    """The file starts with a PowerShell `#TYPE` line.

    Why: `Export-Csv` without `-NoTypeInformation` (Windows PowerShell 5.1 and
    older) writes `#TYPE System.Management.Automation.PSCustomObject` above the
    header; the service then reads that line as the header and finds no EmailAddress column.

    Fix: export again with `Export-Csv -NoTypeInformation`, or delete the first line.

    Source: Microsoft Learn, Export-Csv (-NoTypeInformation); "CSV files for staged migration".

    Okay: EmailAddress\\nann@contoso.com
    PF110: #TYPE System.Management.Automation.PSCustomObject\\n"EmailAddress"\\n"ann@contoso.com"
    """
    if batch.type_line is not None:
        yield Problem(
            f"the first line is {batch.type_line[:60]!r}, not the header",
            row=1,
            line=1,
            fix="Delete the first line, or export with Export-Csv -NoTypeInformation.",
        )


@check("PF111", "csv-missing-email-column", severity="error")
def missing_email_column(batch: BatchFile, header: list[str]):
    """The header has no EmailAddress column.

    Why: EmailAddress (the primary SMTP address of the on-premises mailbox) is
    the one required column; without it the service rejects the batch.

    Fix: name the column exactly `EmailAddress`. An export of
    `Get-Mailbox | Select PrimarySmtpAddress` gives a column named
    PrimarySmtpAddress: rename it (`Select @{n='EmailAddress';e={$_.PrimarySmtpAddress}}`).

    Source: Microsoft Learn, "CSV files for staged migration" (EmailAddress is required).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF111: PrimarySmtpAddress\\nann@contoso.com
    PF111: Email Address\\nann@contoso.com
    PF111: ann@contoso.com,Pa55word!x,False\\nbob@contoso.com,Pa55word!y,False
    """
    if "EmailAddress" in batch.column_index():
        return
    if not batch.records:  # a header means a first record; this only narrows the type
        return
    first = batch.records[0]
    add_header = "Add the header line EmailAddress,Password,ForceChangePassword (the last two are optional)."
    if not _is_header(header):
        yield Problem("the first line has no known column name: the header line is missing", row=first.row,
                      line=first.line, fix=f"{add_header} It must be the first line.")
        return
    alias = next((h for h in header if _fold(h) in _EMAIL_ALIASES or _fold(h) == "emailaddress"), None)
    fix = f"Rename the column {alias!r} to 'EmailAddress'." if alias else add_header
    yield Problem("the header has no EmailAddress column", row=first.row, line=first.line, column=alias, fix=fix)


@check("PF112", "csv-unknown-column", severity="warning")
def unknown_column(batch: BatchFile, header: list[str]):
    """The header names a column a migration batch does not know.

    Why: a staged migration batch knows EmailAddress, Password and
    ForceChangePassword. Another column is a sign of a wrong export or a typo
    (`ForcePasswordChange`), and its data is not migrated.

    Fix: correct its name (the finding names the column it most likely stands
    for: a misnamed address column is renamed EmailAddress), or delete the column.

    Source: Microsoft Learn, "CSV files for staged migration" (the three attributes).

    Okay: EmailAddress,Password,ForceChangePassword\\nann@contoso.com,Pa55word!x,False
    PF112: EmailAddress,DisplayName\\nann@contoso.com,Ann
    """
    _require_header(header)
    if not batch.records:  # a header means a first record; this only narrows the type
        return
    first = batch.records[0]
    present = batch.column_index()
    for name in header:
        if name and name.casefold() not in _KNOWN:
            target = _meant_column(name)
            if target is None:
                fix = "Delete the column, or correct its name."
            elif target in present:
                fix = f"Delete the column: the batch already has {target}, and reads only that one."
            else:
                fix = f"Rename the column {name!r} to {target!r}."
            yield Problem(
                f"unknown column {name!r}; a batch knows {', '.join(KNOWN_COLUMNS)}",
                row=first.row,
                line=first.line,
                column=name,
                fix=fix,
            )


def _words(name: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name))


def _meant_column(name: str) -> str | None:
    """The known column an unknown header name most likely stands for (spacing, case, an
    address attribute's name, a near miss such as ForcePasswordChange), or None."""
    import difflib

    folded = _fold(name)
    known = {c.casefold(): c for c in KNOWN_COLUMNS}
    if folded in known:
        return known[folded]
    if folded in _EMAIL_ALIASES:
        return "EmailAddress"
    words = _words(name)
    for column in KNOWN_COLUMNS:
        if words == _words(column):  # the same words in another order
            return column
    close = difflib.get_close_matches(folded, list(known), n=1, cutoff=0.8)
    return known[close[0]] if close else None


@check("PF113", "csv-duplicate-column", severity="error")
def duplicate_column(batch: BatchFile, header: list[str]):
    """A column name occurs twice in the header (or a header field is empty).

    Why: the service cannot tell which of two same-named columns holds the
    value; an empty header name (a trailing comma) adds a nameless column.

    Fix: keep one column of each name; remove trailing commas from the header.

    Source: Microsoft Learn, "CSV files for staged migration".

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF113: EmailAddress,emailaddress\\nann@contoso.com,ann@contoso.com
    PF113: EmailAddress,\\nann@contoso.com,
    """
    _require_header(header)
    if not batch.records:  # a header means a first record; this only narrows the type
        return
    first = batch.records[0]
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if not name:
            yield Problem(f"header field {i} is empty", row=first.row, line=first.line,
                          fix="Remove the extra comma from the header.")
            continue
        key = name.casefold()
        if key in seen:
            yield Problem(
                f"column {name!r} (field {i}) repeats field {seen[key]}",
                row=first.row,
                line=first.line,
                column=name,
                fix="Delete one of the two columns.",
            )
        else:
            seen[key] = i
