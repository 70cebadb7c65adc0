"""Checks on the records: field counts, the 2,000-row cap, blank rows."""

from __future__ import annotations

from operator import itemgetter

from ...registry import Missing, Problem, check
from ...sources.batch_csv import BatchFile, is_blank

#: The most mailbox rows one migration batch takes.
MAX_ROWS = 2000


@check("PF120", "csv-field-count", severity="error")
def field_count(batch: BatchFile, header: list[str]):
    """A record has more or fewer fields than the header.

    Why: the service checks that every row has the header's number of columns
    and rejects the whole file with one message and no row number. Typical
    causes: a comma inside an unquoted value, a trailing comma, a missing value.

    Fix: quote values that contain commas (`"a,b"`); give every row one value
    per column (an empty value is two adjacent commas).

    Source: Microsoft Learn, "CSV files for staged migration" (values in the header's order).

    Okay: EmailAddress,Password,ForceChangePassword\\nann@contoso.com,,False
    PF120: EmailAddress,Password,ForceChangePassword\\nann@contoso.com,Pa55word!x,False,
    PF120: EmailAddress,Password\\nann@contoso.com
    """
    width = len(header)
    if set(map(len, map(itemgetter(2), batch.mailbox_records))) <= {width}:  # in C: once per row
        return
    for r in batch.mailbox_records:
        if len(r.fields) != width:
            yield Problem(
                f"row {r.row} has {len(r.fields)} field(s); the header has {width}",
                row=r.row,
                line=r.line,
                fix="Give the row one value per header column; quote values that contain commas.",
            )


@check("PF121", "csv-row-limit", severity="error")
def row_limit(batch: BatchFile, header: list[str]):
    """The batch has more than 2,000 mailbox rows.

    Why: a staged migration batch takes at most 2,000 mailboxes; the service
    rejects a larger CSV. Rows are counted as records: a quoted value that spans
    lines is one row.

    Fix: split the file into batches of at most 2,000 rows, keeping managers,
    their reports and delegates in the same batch.

    Source: Microsoft Learn, "Perform a staged migration" (a CSV of up to 2,000 rows).

    Okay: EmailAddress\\nann@contoso.com
    """
    rows = batch.mailbox_records
    stop = batch.parse_stop
    if stop is not None and len(rows) <= MAX_ROWS:
        raise Missing(f"only the rows before line {stop.line} could be read (PF104)")
    if len(rows) > MAX_ROWS:
        first_over = rows[MAX_ROWS]
        yield Problem(
            f"the batch has {len(rows):,} mailbox rows; a migration batch takes at most {MAX_ROWS:,} "
            f"(row {first_over.row} is the first over the limit)",
            row=first_over.row,
            line=first_over.line,
            fix=f"Split the file into {-(-len(rows) // MAX_ROWS)} batches of at most {MAX_ROWS:,} rows.",
        )


@check("PF122", "csv-blank-row", severity="warning")
def blank_row(batch: BatchFile, header: list[str]):
    """A row is blank (an empty line, or only commas).

    Why: Excel leaves `,,` rows behind when row contents are cleared; the
    service counts them as rows with a wrong number of columns or no address.

    Fix: delete the blank rows (in Excel, delete the rows, not only their contents).

    Source: Microsoft Learn, "CSV files for staged migration".

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x\\n
    PF122: EmailAddress,Password\\n,\\nann@contoso.com,Pa55word!x
    PF122: EmailAddress\\n\\nann@contoso.com
    """
    if len(batch.mailbox_records) == len(batch.data_records):
        return
    for r in batch.data_records:
        if is_blank(r):
            yield Problem(f"row {r.row} is blank", row=r.row, line=r.line, fix="Delete the row.")
