"""LDIF exports as the tools write them: one reading of the text for format
detection, parsing and error messages.

RFC 2849 lets any line be folded (a continuation line starts with one space),
comment lines (``#``) included. :func:`logical_lines` unfolds them, so a folded
comment is one comment wherever the file is read (format detection, error
lines); :func:`split` cuts the file into records at blank lines, leaves out
their leading comments (folded ones too) with the same rule in C-level
scans, and sets apart what is not an entry:

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
    one space continues the one before it, comments too); blank (empty or
    white-space) lines are ``b""``. Line breaks may be LF or CRLF."""
    current: Line | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        blank = not raw.strip()
        if not blank and raw.startswith(b" ") and current is not None and current[1]:
            current = (current[0], current[1] + raw[1:])
            continue
        if current is not None:
            yield current
        current = (number, b"" if blank else raw)
    if current is not None:
        yield current


def first_line(data: bytes) -> bytes:
    """The first logical line that is neither blank nor a comment (format detection)."""
    return next((text for _, text in logical_lines(data) if text and not text.startswith(b"#")), b"")


#: Blank lines (the same rule as :func:`logical_lines`): what separates records.
_BLANK_LINES = re.compile(rb"\n(?:[ \t\r\f\v]*\n)+")
#: Comment lines, with their continuation lines, at the start of a block.
_COMMENTS = re.compile(rb"(?:#[^\n]*(?:\n [^\n]*)*(?:\n|\Z))*")
#: The rest of a (folded) line.
_REQUESTED_RE = re.compile(rb"[^\n]*(?:\n [^\n]*)*")


@dataclass
class LdifText:
    """An LDIF export read into records (see the module docstring).

    Attributes:
        records: the entries (and a ``version: 1`` record), each as ``(line, text)``: the line it starts on
            and its text (LF line breaks, folded lines and inner comments as written; leading comments left out).
        requested: the attributes ldapsearch's ``# requesting:`` line names (case-folded), ``{"*"}`` for
            all (``ALL``, ``*``), or None without that line (ldifde, ``ldapsearch -LLL``).
    """

    name: str
    records: list[tuple[int, bytes]] = field(default_factory=list)
    requested: set[str] | None = None

    @property
    def data(self) -> bytes:
        """The records as LDIF for the parser, a blank line between them."""
        return b"\n\n".join(text for _, text in self.records) + b"\n"

    def lines(self, index: int) -> list[Line]:
        """The logical lines of the ``index``-th record (0-based), comments left out, with their line numbers."""
        start, text = self.records[index]
        return [(start + n - 1, t) for n, t in logical_lines(text) if t and not t.startswith(b"#")]

    def error(self, record_no: int, reason: str) -> SourceError:
        """The SourceError for a parser error in the ``record_no``-th record (1-based), on its line."""
        if not 1 <= record_no <= len(self.records):
            line = self.records[-1][0] if self.records else 1
            return SourceError(f"{self.name}: line {line}: not valid LDIF: {reason}")
        lines = self.lines(record_no - 1)
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
        return SourceError(f"{self.name}: line {lines[0][0] if lines else self.records[record_no - 1][0]}: "
                           f"not valid LDIF: {reason}")


def split(data: bytes, name: str) -> LdifText:
    """Read LDIF ``data`` (UTF-8) into an :class:`LdifText`, block by block (a
    block: the lines between blank lines), with C-level scans only.

    Raises:
        SourceError: the file is cut short (see the module docstring), or
            ldapsearch reported that the search failed or stopped early.
    """
    text = LdifText(name)
    normalized = data.replace(b"\r\n", b"\n") if b"\r" in data else data
    ldapsearch = _at_line_start(normalized, _LDAPSEARCH_HEADER) >= 0
    at = _at_line_start(normalized, _REQUESTING)  # the same on every page
    if at >= 0:
        m = _REQUESTED_RE.match(normalized, at + len(_REQUESTING))
        requested = {n.casefold() for n in m.group(0).replace(b"\n ", b"").decode("utf-8", "replace").split()}  # type: ignore[union-attr]
        text.requested = {"*"} if requested & {"all", "*"} else requested
    result: Line | None = None  # the last ldapsearch result, while no entry follows it
    cookie = b""
    line, offset = 1, 0
    for block_end, next_start in [*((m.start(), m.end()) for m in _BLANK_LINES.finditer(normalized)),
                                  (len(normalized), len(normalized))]:
        block = normalized[offset:block_end]
        comments = _COMMENTS.match(block).end()  # type: ignore[union-attr]  # it matches the empty string
        start = line + block.count(b"\n", 0, comments)
        body = block[comments:]
        line += normalized.count(b"\n", offset, next_start)
        offset = next_start
        if not body.strip():
            continue
        head = body[:8].lower()
        if head.startswith(_RESULT):
            cookie = b""
            for number, ln in logical_lines(body):
                key, _, value = ln.partition(b":")
                if key.lower() == b"result":
                    result = (start + number - 1, value.strip())
                elif key.lower() == b"pagedresults":
                    cookie = value.strip().removeprefix(b"cookie=")
        elif not head.startswith(_REFERENCE):
            text.records.append((start, body))
            result = None

    if result is not None and not result[1].startswith(b"0 "):
        shown = result[1].decode("utf-8", "replace")
        hint = " (page the search: ldapsearch -E pr=1000/noprompt)" if shown.startswith("4 ") else ""
        raise SourceError(f"{name}: line {result[0]}: ldapsearch reported 'result: {shown}': the export is "
                          f"incomplete{hint}")
    cut = _cut(data, text, ldapsearch and (result is None or bool(cookie)))
    if cut:
        raise cut_short(name, cut)
    return text


def _at_line_start(data: bytes, text: bytes) -> int:
    """The offset of the first line starting with ``text`` (a C-level search), or -1."""
    if data.startswith(text):
        return 0
    at = data.find(b"\n" + text)
    return at + 1 if at >= 0 else -1


def _cut(data: bytes, text: LdifText, no_final_result: bool) -> str | None:
    """Why the file looks cut short, or None."""
    if data and not data.endswith(b"\n"):
        last_line = data.count(b"\n") + 1
        return f"line {last_line}: the file ends inside an entry (no line break after its last line)"
    if not text.records:
        return None
    last = text.lines(len(text.records) - 1)
    if last and _unterminated(last[-1][1]):
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
