"""Mailbox statistics: each on-premises mailbox's size and item count, from the exports
an admin can make on the Exchange server. The capacity checks (PF7xx) read it.

Exchange 2007 (Exchange Management Shell)::

    Get-MailboxStatistics -Server EX2007 | Select-Object DisplayName, LegacyExchangeDN,
        TotalItemSize, ItemCount, Database | Export-Csv mailbox-stats.csv -NoTypeInformation

Exchange 2003 (WMI, from any PowerShell that reaches the server)::

    Get-WmiObject -ComputerName EX2003 -Namespace root\\MicrosoftExchangeV2 -Class Exchange_Mailbox |
        Select-Object MailboxDisplayName, LegacyDN, Size, TotalItems, StoreName |
        Export-Csv mailbox-stats.csv -NoTypeInformation

The format is recognized by its columns (any case; an Export-Csv ``#TYPE`` first line, UTF-8
with or without BOM, UTF-16 with BOM, and comma, semicolon or tab delimiters are accepted).

``TotalItemSize`` is parsed in every form Exchange writes it: Exchange 2007's
ByteQuantifiedSize ``6672B`` (bytes with a ``B`` suffix), a value with a unit (``512KB``,
``1.5 MB``, ``2GB``), Exchange 2010-and-later's ``1.243 GB (1,334,578,302 bytes)`` (the
bytes in parentheses win, whatever their thousands separator), and bare bytes. Units are
binary (1 KB = 1,024 bytes), as Exchange's. The WMI ``Size`` is in KB (as Microsoft's
``ExchMailBoxStats.vbs`` reads it; the SDK's MOF says bytes: set ``size_unit = "B"`` in
``[tool.preflight.capacity]`` if your figures look 1,024 times too small).

Rows are keyed by legacyExchangeDN (case-insensitive), which the directory objects carry.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..registry import SourceError
from .text import decode_export

_UNITS = {"": 1, "B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
_BYTES_IN_PARENS = re.compile(r"\(\s*([\d.,\u00a0\u202f' ]+)\s*bytes?\s*\)", re.IGNORECASE)
_WITH_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMGT]?B)?\s*$", re.IGNORECASE)

#: Column names (lower case) of each export format.
FORMATS = {
    "get-mailboxstatistics": {"dn": "legacyexchangedn", "size": "totalitemsize", "items": "itemcount",
                              "name": "displayname", "database": "database"},
    "exchange_mailbox": {"dn": "legacydn", "size": "size", "items": "totalitems",
                         "name": "mailboxdisplayname", "database": "storename"},
}


def parse_size(text: str, unit: str = "B") -> int:
    """Bytes from a mailbox size as Exchange writes it.

    Args:
        text: ``"6672B"``, ``"512KB"``, ``"1.5 MB"``, ``"1.243 GB (1,334,578,302 bytes)"`` or ``"123456"``.
        unit: the unit of a bare number (``"B"``, or ``"KB"`` for the WMI ``Size``).

    Returns:
        The size in bytes (an ``int`` ≥ 0).

    Raises:
        ValueError: the text is not a size.
    """
    s = text.strip()
    if s.isdigit():  # bare bytes (or KB), the common case first
        return int(s) * _UNITS[unit.upper()]
    if s[-1:] in "bB" and s[:-1].isdigit():  # Exchange 2007: 6672B
        return int(s[:-1])
    m = _BYTES_IN_PARENS.search(s)
    if m:
        digits = re.sub(r"\D", "", m.group(1))
        if digits:
            return int(digits)
    m = _WITH_UNIT.match(s)
    if not m:
        raise ValueError(f"not a mailbox size: {text!r}")
    number = float(m.group(1).replace(",", "."))
    factor = _UNITS[(m.group(2) or unit).upper()]
    return int(round(number * factor))


@dataclass
class MailboxStats:
    """Mailbox statistics keyed by legacyExchangeDN.

    Attributes:
        path: the export read.
        fmt: ``"get-mailboxstatistics"`` (Exchange 2007) or ``"exchange_mailbox"`` (Exchange 2003 WMI).
        rows: one per mailbox: ``{"legacy_dn", "name", "bytes", "items", "database", "line"}``
            (``line``: the physical line of the export, 1-based).
    """

    path: str
    fmt: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def by_legacy_dn(self) -> dict[str, dict[str, Any]]:
        """Rows by case-folded legacyExchangeDN (the first of duplicates)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            out.setdefault(r["legacy_dn"].casefold(), r)
        return out

    def describe(self) -> dict[str, Any]:
        return {"kind": "mailbox-statistics", "format": self.fmt, "path": self.path, "mailboxes": len(self.rows)}


def parse_mailbox_stats(data: bytes, name: str = "<memory>", size_unit: str = "KB") -> MailboxStats:
    """Read an export (see the module docstring).

    Args:
        data: the file's bytes.
        name: its path, for messages.
        size_unit: the unit of the WMI ``Size`` column (``"KB"`` or ``"B"``).

    Raises:
        SourceError: not text, not CSV, no known columns, a row cut short (a truncated file), a size
            that is not a size, or no mailbox at all — never a partial result.
    """
    text = decode_export(data, name, SourceError)
    lines = text.splitlines(keepends=True)
    skip = 1 if lines and lines[0].lstrip().upper().startswith("#TYPE") else 0
    if not text.endswith(("\n", "\r")) and len(lines) > skip + 1:
        # Export-Csv ends every record with a line break: a last line without one was cut off
        raise SourceError(f"{name} ends in the middle of a line: the export is truncated; export it again")
    body = "".join(lines[skip:])
    first = lines[skip] if len(lines) > skip else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        records = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise SourceError(f"{name} is not a readable CSV file: {exc}") from None
    if not records:
        raise SourceError(f"{name} is empty: export the mailbox statistics again (see --help for the command)")
    header = [h.strip().lower() for h in records[0]]
    fmt = next((f for f, cols in FORMATS.items() if {cols["dn"], cols["size"]} <= set(header)), None)
    if fmt is None:
        raise SourceError(f"{name} has neither LegacyExchangeDN and TotalItemSize (Get-MailboxStatistics) nor "
                          "LegacyDN and Size (WMI Exchange_Mailbox) columns")
    cols = {k: (header.index(v) if v in header else None) for k, v in FORMATS[fmt].items()}
    bare_unit = size_unit if fmt == "exchange_mailbox" else "B"
    out = MailboxStats(path=name, fmt=fmt)
    line = 1 + skip
    dn_col, size_col, items_col, name_col, db_col = (cols[k] for k in ("dn", "size", "items", "name", "database"))
    width = len(header)
    for rec in records[1:]:
        line += 1
        if len(rec) < width:
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue  # a blank line
            raise SourceError(f"{name}, line {line}: {len(rec)} fields where the header has {width}: "
                              "the export is truncated or damaged; export it again")
        raw = rec[size_col].strip()  # type: ignore[index]
        try:
            size = parse_size(raw, bare_unit)
        except ValueError:
            raise SourceError(f"{name}, line {line}: {FORMATS[fmt]['size']} {raw!r} is not a mailbox size") from None
        items = rec[items_col].strip().replace(",", "") if items_col is not None else ""
        out.rows.append({
            "legacy_dn": rec[dn_col].strip(),  # type: ignore[index]
            "name": rec[name_col].strip() if name_col is not None else "",
            "bytes": size,
            "items": int(items) if items.isdigit() else None,
            "database": rec[db_col].strip() if db_col is not None else "",
            "line": line,
        })
        for v in rec:  # quoted values spanning lines
            if "\n" in v:
                line += v.count("\n")
    if not out.rows:
        raise SourceError(f"{name} has a header but no mailbox: the export is empty")
    return out


def read_mailbox_stats(path: str | os.PathLike[str], size_unit: str = "KB") -> MailboxStats:
    """:func:`parse_mailbox_stats` of a file.

    Raises:
        SourceError: the file cannot be read, or as :func:`parse_mailbox_stats`.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the mailbox statistics {path}: {exc.strerror or exc}") from None
    return parse_mailbox_stats(data, str(path), size_unit)
