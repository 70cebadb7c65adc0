"""Batch CSV source: reads a migration batch file and normalizes it in layers.

Only :func:`read_batch` touches the file system; :func:`parse_batch` is a pure
function of the bytes, so the API, the CLI and the tests share one path.

Layers (each ``None`` with a reason in ``BatchFile.missing`` when it cannot be built):

``raw``      the bytes.
``text``     decoded: UTF-8 (with or without BOM), UTF-16 or UTF-32 with BOM.
``records``  :class:`Record` list from the stdlib ``csv`` reader, header included,
             with spreadsheet row numbers and physical start lines.
``header``   the header's column names, surrounding whitespace removed.
``rows``     the mailbox rows whose field count matches the header, column-wise
             in plain lists (:class:`MailboxRows`): ``row``, ``line`` and one
             column per known column (``EmailAddress``, ``Password``,
             ``ForceChangePassword``).
``addresses`` the EmailAddress values without surrounding white space (``rows``' order).
``address_keys`` the same, in the form two addresses are compared in (IDNA
             domain, lower case; see :func:`address_key`).
``frame``    ``rows`` as a pandas frame (:meth:`MailboxRows.frame`, schema
             :class:`preflight.sources.schemas.BatchRows`), built on first use
             for the paths that join the rows with large data (directory, DNS).

The stdlib ``csv`` module is used for the raw records (not pandas' reader) because
the structural checks need each record's physical line and its true field
count, which pandas' parser normalizes away. A batch has at most 2,000 rows, so
the batch checks run on plain lists: the batch-only run (the pre-commit hook)
never imports pandas, numpy or pyarrow.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, repeat
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Any, NamedTuple

from ..registry import Missing, SourceError

if TYPE_CHECKING:  # pandas is imported where the frame is built
    import pandas as pd

#: Columns a staged migration batch knows, in Microsoft's documented order.
KNOWN_COLUMNS = ("EmailAddress", "Password", "ForceChangePassword")
_KNOWN_BY_FOLDED = {c.casefold(): c for c in KNOWN_COLUMNS}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than TAB, LF, CR, and DEL: never in a text CSV.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TYPE_LINE_RE = re.compile(r"^\s*#TYPE\b", re.IGNORECASE)
# What ends a line for the csv reader on a text opened with newline="".
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# Header columns whose values are never secret (folded): a byte in their rows may be shown.
_NO_SECRET = frozenset({"emailaddress", "forcechangepassword"})
_WITHHELD = "not shown: a password may hold it"


class Record(NamedTuple):
    """One CSV record: ``row`` as a spreadsheet numbers it (the file's first line
    is row 1), ``line`` the physical line it starts on, and its fields."""

    row: int
    line: int
    fields: list[str]


@dataclass(frozen=True)
class DecodeProblem:
    """Why the bytes are not text: ``offset`` is the byte offset of the first
    offending byte (``None`` when withheld: it could tell a password's length or
    a character's place in it); ``line`` its physical line; ``detail`` says what
    it is; ``hint`` the likely cause."""

    offset: int | None
    line: int
    detail: str
    hint: str


class ParseProblem(NamedTuple):
    """Where the csv reader failed. ``kind``: ``"quote"`` (text after a closing
    quote; the reader stops), ``"unclosed"`` (a quoted field runs to the end of
    the file or past the reader's field limit; the reader stops) or
    ``"too-long"`` (an unquoted field over the reader's limit,
    :func:`csv.field_size_limit`; the record is skipped, reading goes on).
    ``row`` and ``line``: the record's row and the line of the fault (for
    ``"unclosed"`` and ``"too-long"``, the line the record starts on);
    ``detail``: the reader's message."""

    kind: str
    row: int
    line: int
    detail: str

    @property
    def stops(self) -> bool:
        """True when the records after this one could not be read."""
        return self.kind != "too-long"


@dataclass(frozen=True)
class MailboxRows:
    """The mailbox rows of a batch, column-wise: ``row[i]`` (spreadsheet row),
    ``line[i]`` (physical line the record starts on) and ``columns[name][i]``
    (the text as written; an empty field is ``""``) describe one row. Only the
    known columns the header has are in ``columns``."""

    row: list[int]
    line: list[int]
    columns: dict[str, list[str]]

    def __len__(self) -> int:
        return len(self.row)

    def column(self, name: str) -> list[str]:
        """The values of column ``name``.

        Raises:
            Missing: the file has no such column.
        """
        values = self.columns.get(name)
        if values is None:
            raise Missing(f"the file has no {name} column")
        return values

    def where(self, flags: Iterable[object]) -> Iterator[tuple[int, int]]:
        """(row, line) of the rows whose flag (in row order) is true; in C, not a Python step per row."""
        return compress(zip(self.row, self.line, strict=True), flags)

    def having(self, values: list[Any], wanted: set[Any]) -> Iterator[tuple[int, int, Any]]:
        """(row, line, value) of the rows whose value (``values[i]`` for row ``i``) is in ``wanted``."""
        if wanted.isdisjoint(values):
            return iter(())
        return compress(zip(self.row, self.line, values, strict=True), map(wanted.__contains__, values))

    def frame(self) -> pd.DataFrame:
        """The rows as a pandas frame following :class:`preflight.sources.schemas.BatchRows`
        (``row`` and ``line`` int64, one ``string`` column per known column)."""
        import pandas as pd

        data: dict[str, Any] = {
            "row": pd.array(self.row, dtype="int64"),
            "line": pd.array(self.line, dtype="int64"),
        }
        for name, values in self.columns.items():
            data[name] = pd.array(values, dtype="string")
        # The frame follows schemas.BatchRows by construction; the test suite
        # validates it there (validating here would import pandera on every run).
        return pd.DataFrame(data)


@dataclass
class BatchFile:
    """A batch file in its normalized layers (see the module doc).

    ``path`` is the path as given (for messages); ``encoding`` the codec used;
    ``delimiter`` the delimiter detected on the header line; ``type_line`` the
    PowerShell ``#TYPE`` line when the file starts with one (it is not a record);
    ``decode_problem`` why ``text`` is ``None``; ``parse_problems`` where the csv
    reader failed (at most one that stops it, the last).
    """

    path: str
    raw: bytes | None = None
    text: str | None = None
    encoding: str | None = None
    decode_problem: DecodeProblem | None = None
    delimiter: str = ","
    type_line: str | None = None
    records: list[Record] | None = None
    parse_problems: list[ParseProblem] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    _frame: Any = field(default=None, repr=False)

    @property
    def parse_stop(self) -> ParseProblem | None:
        """The quoting error where the csv reader stopped (the records after it are unknown), or ``None``."""
        return next((p for p in self.parse_problems if p.stops), None)

    @property
    def header(self) -> list[str] | None:
        if not self.records:
            return None
        return [name.strip() for name in self.records[0].fields]

    @property
    def data_records(self) -> list[Record]:
        """Records after the header (blank ones included)."""
        return self.records[1:] if self.records else []

    @cached_property
    def mailbox_records(self) -> list[Record]:
        """Records after the header that are not blank (see :func:`is_blank`)."""
        records = self.data_records  # not is_blank(r), in C: once per row
        return list(compress(records, map(str.strip, map("".join, map(itemgetter(2), records)))))

    def column_index(self) -> dict[str, int]:
        """Known column name -> field index (first occurrence, case-insensitive)."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.header or ()):
            canon = _KNOWN_BY_FOLDED.get(name.casefold())
            if canon and canon not in out:
                out[canon] = i
        return out

    def get(self, name: str) -> Any:
        """The layer ``name`` for the runner.

        Raises:
            SourceError: the file could not be read.
            Missing: the layer could not be built (reason given).
        """
        if "raw" in self.errors:
            raise SourceError(self.errors["raw"])
        if name == "batch":
            return self
        value = getattr(self, name)
        if value is None:
            raise Missing(self.missing.get(name) or self.missing.get("rows") or f"no {name}")
        return value

    @cached_property
    def rows(self) -> MailboxRows | None:
        """The mailbox rows (see :class:`MailboxRows`), or ``None`` with the reason in ``missing``."""
        if "rows" in self.missing:
            return None
        rows = build_rows(self)
        if rows is None:
            self.missing["rows"] = "no mailbox rows"
        return rows

    @property
    def frame(self) -> pd.DataFrame | None:
        """``rows`` as a pandas frame, built on first use (imports pandas)."""
        if self._frame is None and self.rows is not None:
            self._frame = self.rows.frame()
        return self._frame

    @cached_property
    def addresses(self) -> list[str] | None:
        """The EmailAddress values without surrounding white space (``rows``' order), made once
        for every check that reads them."""
        rows = self.rows
        return None if rows is None else list(map(str.strip, rows.columns["EmailAddress"]))

    @cached_property
    def address_keys(self) -> list[str] | None:
        """The form in which two EmailAddress values are the same mailbox address
        (``addresses``' order): see :func:`address_key`. Only the non-ASCII values
        need more than lower-casing."""
        addresses = self.addresses
        if addresses is None:
            return None
        if "".join(addresses).isascii():
            return list(map(str.lower, addresses))
        return [v.lower() if v.isascii() else address_key(v) for v in addresses]

    def passwords(self) -> set[str]:
        """Every non-empty Password value, so the runner can keep them out of any
        message (see :func:`preflight.runner.redact`)."""
        idx = self.column_index().get("Password")
        if idx is None:
            return set()
        fields = list(map(itemgetter(2), self.data_records))
        try:
            found = set(map(itemgetter(idx), fields))
        except IndexError:  # a short record
            found = {f[idx] for f in fields if len(f) > idx}
        found.discard("")
        return found


def address_key(value: str) -> str:
    """``value`` in the form two addresses are compared in: the domain in IDNA
    ASCII form (UTS #46 mapping, so `bücher.example`, `Bücher.example` and
    `xn--bcher-kva.example` are one domain), the local part NFC-normalized, and
    all lower-cased (SMTP addresses are case-insensitive in Exchange and Active
    Directory; Windows compares by simple case mapping, so `ß` is not `ss`).

    A domain that is not a valid IDN is only lower-cased (PF131 reports it).
    Source: RFC 5890/5891 (IDNA2008), UTS #46; RFC 6531 section 3.2 (NFC).
    """
    local, at, domain = value.rpartition("@")
    if not at:
        return value.lower()
    if not domain.isascii():
        import idna

        with contextlib.suppress(idna.IDNAError, UnicodeError):
            domain = idna.encode(domain, uts46=True).decode("ascii")
    if not local.isascii():
        import unicodedata

        local = unicodedata.normalize("NFC", local)
    return f"{local}@{domain}".lower()


def read_batch(path: str | os.PathLike[str]) -> BatchFile:
    """Read and normalize one batch file.

    Never raises for file contents; an unreadable file (missing, a folder,
    no permission) gives a BatchFile whose layers raise :class:`SourceError`.
    """
    shown = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        bf = BatchFile(path=shown)
        bf.errors["raw"] = f"cannot read {shown}: {exc.strerror or exc}"
        return bf
    return parse_batch(data, shown)


def parse_batch(data: bytes, path: str = "<memory>") -> BatchFile:
    """Normalize the bytes of a batch file (pure; never raises for any input)."""
    bf = BatchFile(path=path, raw=data)
    _decode(bf, data)
    if bf.text is not None and not bf.text.strip():
        bf.text = None
        bf.missing["text"] = "the file is empty (PF100)"
    if bf.text is None:
        for layer in ("records", "header", "rows"):
            bf.missing[layer] = bf.missing["text"]
        return bf
    _parse(bf, bf.text)
    return bf


def _line_at(text: str, pos: int) -> int:
    """The physical line (from 1) of ``text[pos]``; CR, LF and CRLF each end a
    line, as for the csv reader (a "CSV (Macintosh)" file has CRs only)."""
    return len(_LINE_BREAK_RE.findall(text, 0, pos)) + 1


def _may_show(text: str, line: int) -> bool:
    """Whether the offending character(s) on ``line`` of ``text`` (the file decoded,
    bad bytes replaced) may be echoed: only when they cannot be part of a password.

    That is: on a header line (one naming a known column) or a ``#TYPE`` line above
    it, or on a later line when every header column is one known to hold no secret
    (EmailAddress, ForceChangePassword). A file without a recognisable header, or
    with a Password or an unknown column, has its bytes withheld, whatever its
    line breaks and encoding."""
    lines = _LINE_BREAK_RE.split(text, 2)
    header_line = 2 if _TYPE_LINE_RE.match(lines[0]) and len(lines) > 1 else 1
    names = {re.sub(r"[\s_\"\x00]", "", f).casefold() for f in re.split(r"[,;\t|]", lines[header_line - 1])} - {""}
    if not names & _KNOWN_BY_FOLDED.keys():
        return False  # no header: the first line may be a mailbox row with its password
    return line <= header_line or names <= _NO_SECRET


def _decode(bf: BatchFile, data: bytes) -> None:
    encoding = "utf-8"
    for bom, codec in _BOMS:
        if data.startswith(bom):
            encoding = codec
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : max(exc.end, exc.start + 1)]
        approx = data.decode(encoding, errors="replace")
        before = data[: exc.start].decode(encoding, errors="replace")
        line = _line_at(before, len(before))
        if _may_show(approx, line):
            problem = DecodeProblem(exc.start, line, f"byte(s) {bad.hex(' ')} on line {line} are not valid {encoding.upper()}",
                                    _guess(data, encoding))
        else:
            problem = DecodeProblem(None, line, f"bytes on line {line} are not valid {encoding.upper()} ({_WITHHELD})",
                                    _guess(data, encoding))
        bf.decode_problem = problem
        bf.missing["text"] = f"the file is not valid {encoding.upper()} (PF102)"
        return
    if encoding == "utf-8-sig" or encoding == "utf-8":
        text = text.removeprefix("\ufeff")
    elif text.startswith("\ufeff"):
        text = text[1:]
    m = _CONTROL_RE.search(text)
    if m:
        hint = "the file is binary, not a CSV"
        if encoding == "utf-8" and data.count(b"\x00") * 4 >= len(data):
            hint = "the file looks like UTF-16 without a byte order mark"
        line = _line_at(text, m.start())
        if _may_show(text, line):
            offset = len(text[: m.start()].encode(encoding.replace("-sig", "")))
            if encoding.startswith("utf-8") and data.startswith(codecs.BOM_UTF8):
                offset += len(codecs.BOM_UTF8)
            problem = DecodeProblem(offset, line, f"control character U+{ord(m.group()):04X} on line {line}", hint)
        else:
            problem = DecodeProblem(None, line, f"a control character on line {line} ({_WITHHELD})", hint)
        bf.decode_problem = problem
        bf.missing["text"] = "the file contains binary data (PF102)"
        return
    bf.text = text
    bf.encoding = encoding


def _guess(data: bytes, encoding: str) -> str:
    if encoding == "utf-8":
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return "the file is binary or in an unknown encoding"
        return "the file looks like Windows-1252 (Excel's plain 'CSV (Comma delimited)')"
    return f"the file is damaged: its byte order mark says {encoding.upper()}"


def sniff_delimiter(line: str) -> str:
    """The delimiter a header line uses: ``","`` when it has a comma outside
    quotes, else ``";"`` or ``"\\t"`` when it has one of those, else ``","``."""
    outside = re.sub(r'"[^"]*"', "", line)
    if "," in outside:
        return ","
    counts = {d: outside.count(d) for d in (";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_first_line(text: str) -> tuple[str, str]:
    """``text``'s first line and the text after its line break (CR, LF or CRLF)."""
    m = _LINE_BREAK_RE.search(text)
    return (text[: m.start()], text[m.end() :]) if m else (text, "")


def _parse(bf: BatchFile, text: str) -> None:
    first, rest = _split_first_line(text)
    start_line = 1
    body = text
    if _TYPE_LINE_RE.match(first):
        bf.type_line = first.strip()
        body = rest
        start_line = 2
        first = _split_first_line(body)[0]
    bf.delimiter = sniff_delimiter(first)
    records = _read_records(bf, body, start_line)
    if not records or not any(f.strip() for f in records[0].fields):
        reason = "the file has no header line" if records else "the file has no records"
        bf.missing.update(records=reason, header=reason, rows=reason)
        if records:
            bf.records = records
            bf.missing.pop("records")
        return
    bf.records = records
    if "EmailAddress" not in bf.column_index():
        bf.missing["rows"] = "the header has no EmailAddress column (PF111)"


def _read_records(bf: BatchFile, body: str, start_line: int) -> list[Record]:
    """The records of ``body`` (whose first line is ``start_line``); where the csv
    reader fails, a :class:`ParseProblem` in ``bf.parse_problems``.

    A record with an unquoted field over the reader's limit is skipped and
    reading goes on (its line ends it); a quoting error stops the reading, as it
    stops the service's reader: the records after it are unknown."""
    physical = _LINE_BREAK_RE.split(body) if '"' not in body else []
    if physical and max(map(len, physical)) <= csv.field_size_limit():
        # No quoted field and no line over the reader's limit: one record per physical line, its
        # fields what the csv reader reads, at the cost of a split (a property test holds it so).
        if physical[-1] == "":
            physical.pop()  # the last line break ends the last record, it starts none
        rows = list(map(methodcaller("split", bf.delimiter), physical))
        if "" in physical:  # an empty line is a record without fields
            rows = [r if r != [""] else [] for r in rows]
        numbers = range(start_line, start_line + len(rows))
        # tuple.__new__ on the zipped fields: the Records without a Python call each
        return list(map(tuple.__new__, repeat(Record), zip(numbers, numbers, rows, strict=True)))
    last = [""]  # the physical line the reader read last

    def lines() -> Iterator[str]:
        for line in io.StringIO(body, newline=""):
            last[0] = line
            yield line

    reader = csv.reader(lines(), delimiter=bf.delimiter, strict=True)
    records: list[Record] = []
    row, prev = start_line, 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            first, at = start_line + prev, start_line + reader.line_num - 1
            if "field limit" in str(exc) and first == at and '"' not in last[0]:
                bf.parse_problems.append(ParseProblem("too-long", row, first, str(exc)))
                row, prev = row + 1, reader.line_num
                continue
            if "expected after" in str(exc):
                bf.parse_problems.append(ParseProblem("quote", row, at, str(exc)))
            else:  # the end of the file, or the field limit, inside a quoted field
                bf.parse_problems.append(ParseProblem("unclosed", row, first, str(exc)))
            break
        records.append(Record(row, start_line + prev, fields))
        row, prev = row + 1, reader.line_num
    return records


def is_blank(record: Record) -> bool:
    """True for an empty line or a line of empty fields (``,,``)."""
    return not "".join(record.fields).strip()


def build_rows(bf: BatchFile) -> MailboxRows | None:
    """The mailbox rows (see :class:`MailboxRows`), or ``None`` when no record
    has the header's field count."""
    width = len(bf.records[0].fields) if bf.records else 0
    keep = bf.mailbox_records
    if set(map(len, map(itemgetter(2), keep))) != {width}:
        keep = [r for r in keep if len(r.fields) == width]
    if not keep:
        return None
    fields = list(map(itemgetter(2), keep))
    columns = {name: list(map(itemgetter(i), fields)) for name, i in bf.column_index().items()}
    return MailboxRows(list(map(itemgetter(0), keep)), list(map(itemgetter(1), keep)), columns)


def lone_cr_lines(text: str) -> list[int]:
    """The physical lines (numbered as :class:`Record` ``line``: CR, LF and CR LF
    each end a line) that end with a lone CR, which SARIF and most editors do
    not count as a line break (SARIF 2.1.0 section 3.30.2: CR LF and LF)."""
    if not re.search(r"\r(?!\n)", text):
        return []
    return [n for n, m in enumerate(_LINE_BREAK_RE.finditer(text), 1) if m.group() == "\r"]
