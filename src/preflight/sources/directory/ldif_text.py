"""LDIF exports as the tools write them: one reading of the text for format
detection, parsing and error messages.

RFC 2849 lets any line be folded (a continuation line starts with one space),
comment lines (``#``) included. :func:`logical_lines` unfolds them, so a folded
comment is one comment wherever the file is read. :func:`split` groups the
logical lines into records and sets apart what is not an entry:

* ``ldapsearch`` (OpenLDAP) output without ``-LLL``: its header comments
  (``# extended LDIF``, ``# requesting: attr …``), ``# search reference`` blocks
  (``ref: ldap://…``; AD returns them for a subtree search from the domain
  root), and the ``search: N`` / ``result: 0 Success`` block that ends the
  search (one per page with ``-E pr=…``). A result other than success
  (``result: 4 Size limit exceeded``) means the export is incomplete.
* a file cut short: no line break after the last line, a base64 value that
  does not decode on the last line, an ldapsearch output without its final
  result (or ending between pages). (The reader also takes a last entry
  without objectClass, where the others have one, for a cut.)

The entries go to the LDIF parser (:mod:`preflight._ldif`) as the records of
:attr:`LdifText.data`; a parser error in record *k* is placed on its line by
:meth:`LdifText.error`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...registry import SourceError

#: A logical line: (its first physical line number, its text unfolded, without the line break).
Line = tuple[int, bytes]

#: An LDIF ``attribute: value`` (or ``attribute:: base64``) line: what makes a file LDIF.
LDIF_LINE_RE = re.compile(rb"^[A-Za-z][\w;.-]*::? ")
_LDAPSEARCH_HEADER = b"# extended LDIF"
_REQUESTING = b"# requesting:"
#: First lines of the blocks ldapsearch prints that are not entries.
_RESULT, _REFERENCE = b"search:", b"ref:"
_BASE64_RE = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")


def logical_lines(data: bytes) -> Iterator[Line]:
    """The lines of LDIF ``data`` with folded lines joined (a line starting with
    one space continues the one before it, comments too); blank lines are ``b""``.
    Line breaks may be LF or CRLF."""
    current: Line | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        if raw.startswith(b" ") and current is not None and current[1]:
            current = (current[0], current[1] + raw[1:])
            continue
        if current is not None:
            yield current
        current = (number, raw.rstrip(b"\r") if raw.strip() else b"")
    if current is not None:
        yield current


def first_line(data: bytes) -> bytes:
    """The first logical line that is neither blank nor a comment (format detection)."""
    return next((text for _, text in logical_lines(data) if text and not text.startswith(b"#")), b"")


@dataclass
class LdifText:
    """An LDIF export read into records (see the module docstring).

    Attributes:
        records: the entries (and a ``version: 1`` record), each a list of logical lines, comments left out.
        requested: the attributes ldapsearch's ``# requesting:`` line names (case-folded), ``{"*"}`` for
            all (``ALL``, ``*``), or None without that line (ldifde, ``ldapsearch -LLL``).
    """

    name: str
    records: list[list[Line]] = field(default_factory=list)
    requested: set[str] | None = None

    @property
    def data(self) -> bytes:
        """The records as LDIF for the parser: one logical line per line, a blank line between records."""
        return b"\n\n".join(b"\n".join(text for _, text in record) for record in self.records) + b"\n"

    def entry_line(self, index: int) -> int:
        """The line the ``index``-th record (0-based) starts on."""
        return self.records[index][0][0]

    def error(self, record_no: int, reason: str) -> SourceError:
        """The SourceError for a parser error in the ``record_no``-th record (1-based), on its line."""
        if not 1 <= record_no <= len(self.records):
            line = self.records[-1][0][0] if self.records else 1
            return SourceError(f"{self.name}: line {line}: not valid LDIF: {reason}")
        lines = self.records[record_no - 1]
        for number, text in lines:
            attr, _, value = text.partition(b":")
            if attr.strip().lower() == b"changetype" and value.strip().lower() != b"add":
                kind = value.strip().decode("ascii", "replace")
                reason = f"a 'changetype: {kind}' change record, not an export (give the output of ldifde -f)"
                return SourceError(f"{self.name}: line {number}: not valid LDIF: {reason}")
        for number, text in lines:
            if b":" not in text:
                shown = text[:60].decode("utf-8", "replace")
                return SourceError(f"{self.name}: line {number}: not valid LDIF: {shown!r} is not 'attribute: value'")
            if not _decodes(text):
                name = text.partition(b":")[0].decode("ascii", "replace")
                return SourceError(f"{self.name}: line {number}: not valid LDIF: the base64 value of {name} "
                                   "does not decode")
        return SourceError(f"{self.name}: line {lines[0][0]}: not valid LDIF: {reason}")


def split(data: bytes, name: str) -> LdifText:
    """Read LDIF ``data`` (UTF-8) into an :class:`LdifText`.

    Raises:
        SourceError: the file is cut short (see the module docstring), or
            ldapsearch reported that the search failed or stopped early.
    """
    text = LdifText(name)
    ldapsearch = False
    result: Line | None = None  # the last ldapsearch result seen, and whether entries followed it
    cookie = b""
    record: list[Line] = []
    lines = list(logical_lines(data))
    for number, line in [*lines, (0, b"")]:
        if line.startswith(b"#"):
            if line.startswith(_LDAPSEARCH_HEADER):
                ldapsearch = True
            elif line.startswith(_REQUESTING):
                names = line[len(_REQUESTING):].decode("utf-8", "replace").split()
                requested = {n.casefold() for n in names}
                text.requested = {"*"} if requested & {"all", "*"} else (text.requested or set()) | requested
            continue
        if line:
            record.append((number, line))
            continue
        if not record:
            continue
        head = record[0][1].lower()
        if head.startswith(_RESULT):
            cookie = b""
            for n, ln in record:
                key, _, value = ln.partition(b":")
                if key.lower() == b"result":
                    result = (n, value.strip())
                elif key.lower() == b"pagedresults":
                    cookie = value.strip().removeprefix(b"cookie=")
        elif not head.startswith(_REFERENCE):
            text.records.append(record)
            result = None
        record = []

    if result is not None and not result[1].startswith(b"0 "):
        shown = result[1].decode("utf-8", "replace")
        hint = " (page the search: ldapsearch -E pr=1000/noprompt)" if shown.startswith("4 ") else ""
        raise SourceError(f"{name}: line {result[0]}: ldapsearch reported 'result: {shown}': the export is "
                          f"incomplete{hint}")
    cut = _cut(data, lines, text, ldapsearch and (result is None or bool(cookie)))
    if cut:
        raise cut_short(name, cut)
    return text


def _cut(data: bytes, lines: list[Line], text: LdifText, no_final_result: bool) -> str | None:
    """Why the file looks cut short, or None."""
    if data and not data.endswith(b"\n"):
        return f"line {lines[-1][0]}: the file ends inside an entry (no line break after its last line)"
    if not text.records:
        return None
    last = text.records[-1]
    if _unterminated(last[-1][1]):
        return f"line {last[-1][0]}: the file ends inside a base64 value"
    if no_final_result:
        return "ldapsearch's output ends without its final 'result:' line"
    return None


def cut_short(name: str, where: str) -> SourceError:
    """The error for an export cut short (``where``: the line, and how it shows)."""
    return SourceError(f"{name}: {where}: the file is cut short (copied or written only in part); "
                       "export the directory again")


def _unterminated(line: bytes) -> bool:
    """True for an ``attribute:: value`` line whose value is base64 cut short (its length not a multiple of 4)."""
    head, sep, value = line.partition(b"::")
    value = value.strip()
    return bool(sep) and b":" not in head and _BASE64_RE.match(value) is not None and len(value) % 4 != 0


def _decodes(line: bytes) -> bool:
    """False for an ``attribute:: value`` line whose value is not base64."""
    _, sep, value = line.partition(b"::")
    if not sep or b":" in line.partition(b"::")[0]:
        return True
    try:
        base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
