"""Checks on the batch file as a whole: empty, encoding, delimiter, quoting, name."""

from __future__ import annotations

import csv
from pathlib import PurePath

from ...registry import Missing, Problem, check
from ...sources.batch_csv import BatchFile

_SAVE_AS = "In Excel: File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'."


@check("PF100", "csv-empty-file", severity="error")
def empty_file(raw: bytes, batch: BatchFile):
    """The batch file is empty (no bytes, or only white space).

    Why: the migration service refuses an empty CSV when the batch is created.

    Fix: export the batch again; the first line is the header
    `EmailAddress,Password,ForceChangePassword`, one mailbox per line after it.

    Source: Microsoft Learn, "CSV files for staged migration" (the file must not be empty).

    Okay: EmailAddress\\nann@contoso.com
    PF100:
    PF100:   \\n\\n
    """
    if not raw.strip() or batch.missing.get("text", "").startswith("the file is empty"):
        yield Problem("the file is empty", fix="Add the header line EmailAddress and one mailbox address per row.")


@check("PF101", "csv-no-mailbox-rows", severity="error")
def no_mailbox_rows(batch: BatchFile, header: list[str]):
    """The file has a header but no mailbox rows.

    Why: a batch with no mailbox migrates nothing; the service rejects it.

    Fix: add one row per mailbox under the header, or delete the file.

    Source: Microsoft Learn, "CSV files for staged migration".

    Okay: EmailAddress\\nann@contoso.com
    PF101: EmailAddress,Password,ForceChangePassword
    PF101: EmailAddress\\n\\n,\\n
    """
    if batch.mailbox_records:
        return
    if batch.parse_problems:  # rows there may be, but the CSV reader could not read them
        p = batch.parse_problems[0]
        raise Missing(f"the rows from line {p.line} on could not be read ({'PF104' if p.stops else 'PF106'})")
    first = batch.records[0] if batch.records else None
    yield Problem("the file has a header but no mailbox rows", row=first.row if first else 1, line=first.line if first else 1,
                  fix="Add one row per mailbox under the header, or delete the file.")


@check("PF102", "csv-encoding", severity="error")
def encoding(batch: BatchFile, raw: bytes):
    """The file is not Unicode text: UTF-8 (with or without BOM), or UTF-16/UTF-32 with a BOM.

    Why: Microsoft requires UTF-8 or another Unicode encoding when the file has
    non-ASCII characters; an ANSI (Windows-1252) file garbles names with accents,
    and a binary file is not a CSV at all.

    Fix: save the file as "CSV UTF-8 (Comma delimited)" in Excel, or with
    `Export-Csv -Encoding UTF8` in PowerShell.

    Source: Microsoft Learn, "CSV files for staged migration" (encoding).

    Okay: EmailAddress\\nrené@contoso.com
    PF102: EmailAddress\\nann@contoso.com\\x00
    """
    if batch.decode_problem is not None:
        p = batch.decode_problem
        at = "" if p.offset is None else f" at byte offset {p.offset}"
        yield Problem(
            f"the file is not Unicode text: {p.detail}{at} ({p.hint})",
            line=p.line,
            fix=_SAVE_AS,
        )
    elif "text" in batch.missing and raw.strip():
        raise Missing(batch.missing["text"])


@check("PF103", "csv-delimiter", severity="error")
def delimiter(batch: BatchFile, text: str):
    """The file is not comma-separated (semicolons or tabs between the columns).

    Why: the migration service reads commas only. Excel writes semicolons where
    the Windows list separator is ";" (most European locales), and tabs when
    saved as "Unicode Text (*.txt)".

    Fix: save as "CSV UTF-8 (Comma delimited)"; or in PowerShell
    `Import-Csv batch.csv -Delimiter ';' | Export-Csv fixed.csv -NoTypeInformation -Encoding UTF8`.

    Source: Microsoft Learn, "CSV files for staged migration" (comma-separated values).

    Okay: EmailAddress,Password,ForceChangePassword\\nann@contoso.com,Pa55word!x,False
    PF103: EmailAddress;Password;ForceChangePassword\\nann@contoso.com;Pa55word!x;False
    PF103: EmailAddress\\tPassword\\nann@contoso.com\\tPa55word!x
    """
    if batch.delimiter != ",":
        name = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}[batch.delimiter]
        first = batch.records[0] if batch.records else None
        yield Problem(
            f"the columns are separated by {name}, not commas",
            row=first.row if first else None,
            line=first.line if first else None,
            fix=_SAVE_AS if batch.delimiter != "|" else "Replace the delimiter with commas.",
        )


@check("PF104", "csv-quoting", severity="error")
def quoting(batch: BatchFile, text: str):
    """A quoted field is malformed (a quote not closed, or text after a closing quote).

    Why: the service's CSV reader stops at the broken quote; every row after it is lost or misread.
    A quote that is never closed makes the rest of the file one value.

    Fix: inside a quoted field, write a quote as two quotes (`""`); close every quoted field.

    Source: RFC 4180, section 2 (rules 5–7).

    Okay: EmailAddress,Password\\nann@contoso.com,"Pa""55word!"
    Okay: EmailAddress,Password\\r"ann@contoso.com","Pa55,word!"\\r
    PF104: EmailAddress,Password\\nann@contoso.com,"Pa55word!
    PF104: EmailAddress,Password\\nann@contoso.com,"Pa55"word!
    PF104: EmailAddress,Password\\rann@contoso.com,"Pa55word!\\rbob@contoso.com,Pa55word!x\\r
    """
    p = batch.parse_stop
    if p is None:
        return
    if p.kind == "quote":
        yield Problem(f"row {p.row}, line {p.line}: a quoted field has text after its closing quote; "
                      "the rows after it are not read", row=p.row, line=p.line,
                      fix='Write a quote inside a quoted field as two quotes (""), or remove the stray quote.')
    else:
        why = (f"runs past {csv.field_size_limit():,} characters (the CSV reader's limit): its closing quote is probably "
               "missing" if "field limit" in p.detail else "is never closed")
        yield Problem(f"row {p.row}: the quoted field that starts on line {p.line} {why}, so the rest of the file is read "
                      "as one value", row=p.row, line=p.line,
                      fix="Close the quoted field with a quote; write a quote inside one as two quotes (\"\").")


@check("PF106", "csv-field-too-long", severity="error")
def field_too_long(batch: BatchFile, text: str):
    """A line has an unquoted field longer than the CSV reader's limit (131,072 characters).

    Why: no value of a batch is that long (an address has at most 254
    characters, a password at most 256), so the line is not a mailbox row: it is
    pasted data, or rows whose line breaks were lost. The line is skipped here,
    and the rows after it are checked.

    Fix: delete the line; if it holds several mailbox rows, put each on a line of its own.

    Source: Python's csv module (`csv.field_size_limit()`, 131,072 by default);
    RFC 5321 section 4.5.3.1.3 (an address is at most 254 octets); PF152 (a password at most 256 characters).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    """
    for p in batch.parse_problems:
        if p.kind == "too-long":
            yield Problem(f"row {p.row}, line {p.line}: a field is longer than {csv.field_size_limit():,} characters "
                          "(the CSV reader's limit), so the line is not a mailbox row; it is skipped",
                          row=p.row, line=p.line,
                          fix=f"Delete line {p.line}; if it holds several mailbox rows, put each on a line of its own.")


@check("PF105", "csv-file-extension", severity="warning")
def file_extension(batch: BatchFile):
    """The file name does not end in .csv or .txt.

    Why: the migration batch wizard accepts .csv and .txt files only.

    Fix: rename the file to end in .csv.

    Source: Microsoft Learn, "CSV files for staged migration" (save as .csv or .txt).
    """
    suffix = PurePath(batch.path).suffix.lower()
    if batch.path.startswith("<"):
        raise Missing("the batch was given as bytes, without a file name")
    if suffix not in (".csv", ".txt"):
        yield Problem(f"the file name ends in {suffix or '(no extension)'!r}, not .csv or .txt", fix="Rename it to end in .csv.")
