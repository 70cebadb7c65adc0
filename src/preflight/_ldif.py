"""LDIF parsing and writing through whichever top-level ``ldif`` module is installed.

preflight depends on the ``ldif`` package; python-ldap (the ``fast-ldap``
extra) installs a top-level ``ldif.py`` of its own, and the one installed last
replaces the other. Both parse and write RFC 2849 LDIF, with different APIs:
the package's parser is a generator and its writer takes a binary file;
python-ldap's parser calls ``handle()`` per record and its writer takes a text
file and ``bytes`` values. These two functions give one API over either, so
LDIF exports read and ``--fix-ldif`` writes the same with or without the extra.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

_LINE_PREFIX = re.compile(r"^Line \d+: ")


class LDIFSyntaxError(ValueError):
    """The LDIF does not parse; ``record`` is the 1-based number of the record
    (blank-line separated block) the parser was in; the message is the parser's."""

    def __init__(self, record: int, message: str) -> None:
        super().__init__(message)
        self.record = record


def _module() -> Any:
    import ldif

    return ldif


def _is_python_ldap(ldif: Any) -> bool:
    return hasattr(ldif, "LDIFRecordList")


def parse(data: bytes) -> Iterator[tuple[str | None, dict[str, list[bytes | str]]]]:
    """The ``(dn, entry)`` records of LDIF ``data`` (UTF-8 bytes), in order.

    ``entry`` maps each attribute name as written to its values (``bytes``, or
    ``str`` where the ``ldif`` package decoded UTF-8). ``dn`` is ``None`` for a
    block holding only ``version: 1``. ``changetype`` lines come as attributes.

    Raises:
        LDIFSyntaxError: malformed LDIF (a line that is not ``attribute: value``,
            bad base64, a record not starting with ``dn:``, non-UTF-8 dn).
    """
    ldif = _module()
    errors = (ValueError, UnicodeError)  # binascii.Error is a ValueError
    if _is_python_ldap(ldif):
        # A record of a lone dn line at the very end makes its parser raise EOFError: end with a blank line.
        parser = ldif.LDIFRecordList(io.BytesIO(data + b"\n\n"))
        try:
            parser.parse()
        except errors as exc:  # it counts finished records; its messages start "Line N: " (of its own count)
            raise LDIFSyntaxError(parser.records_read + 1, _LINE_PREFIX.sub("", str(exc))) from exc
        for number, (dn, entry) in enumerate(parser.all_records, start=1):
            if any(attr.lower() == "dn" for attr in entry):  # it takes a second dn line as an attribute
                raise LDIFSyntaxError(number, "Two lines starting with dn: in one record.")
            yield dn, entry
        return
    parser = ldif.LDIFParser(io.BytesIO(data), encoding=None, strict=True)
    records = parser.parse()
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except errors as exc:
            # the parser counts a record when it starts it
            raise LDIFSyntaxError(parser.records_read, str(exc) or type(exc).__name__) from exc
        yield record


class Writer:
    """Writes LDIF records to a binary file (``cols``: fold width; ``line_sep``:
    ``b"\\n"`` or ``b"\\r\\n"``). Values may be ``str`` (UTF-8) or ``bytes``;
    each writer base64-encodes what RFC 2849 does not allow as plain text."""

    def __init__(self, output: BinaryIO, cols: int = 76, line_sep: bytes = b"\n") -> None:
        ldif = _module()
        self._output = output
        self._text: io.StringIO | None = None
        if _is_python_ldap(ldif):
            self._text = io.StringIO()
            self._writer = ldif.LDIFWriter(self._text, cols=cols, line_sep=line_sep.decode("ascii"))
        else:
            self._writer = ldif.LDIFWriter(output, cols=cols, line_sep=line_sep)

    def unparse(self, dn: str, modlist: list[tuple]) -> None:
        """Write one change record: ``modlist`` holds ``(attribute, values)``
        pairs (``changetype: add``) or ``(op, attribute, values)`` triples with
        op 0 add, 1 delete, 2 replace (``changetype: modify``)."""
        if self._text is None:
            self._writer.unparse(dn, list(modlist))
            return
        encoded = [(*mod[:-1], [v.encode("utf-8") if isinstance(v, str) else v for v in mod[-1]]) for mod in modlist]
        self._writer.unparse(dn, encoded)
        self._output.write(self._text.getvalue().encode("ascii"))
        self._text.seek(0)
        self._text.truncate()
