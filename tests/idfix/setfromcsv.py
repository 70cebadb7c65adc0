"""A reader that follows IdFix 2.6's CSV import (``IdFixGrid.SetFromCsv``) and the
parser it uses, Microsoft.VisualBasic.FileIO.TextFieldParser with ``Delimiters
= {","}``, ``TrimWhiteSpace = true``, ``HasFieldsEnclosedInQuotes = true``:

- lines end at CR, LF or CRLF; blank and white-space-only lines are skipped,
  inside a quoted field too;
- a field that begins (after white space) with ``"`` is quoted: ``""`` is one
  quote, the closing quote may be followed only by white space, then a comma or
  the end of the line (else the line is malformed); it may run over lines;
- every field is trimmed of white space (String.Trim);
- the header row is upper-cased and mapped by name; a header IdFix does not know
  gets no mapper, so the fields after it land in the wrong cells (as in IdFix,
  field ``i`` goes to mapper ``i``), and a row with more fields than mappers
  stops the import;
- ACTION keeps only EDIT, REMOVE, COMPLETE, UNDO or FAIL.

Written from the behaviour of those two classes, for the tests.
"""

from __future__ import annotations

#: What .NET's TextFieldParser counts as white space (String.Trim's, less line ends).
SPACE = "\t\x0b\x0c \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b" \
        "\u2028\u2029\u3000\ufeff"
#: What String.Trim removes (.NET Framework 4: Char.IsWhiteSpace).
TRIM = SPACE + "\r\n\u202f\u205f"
KNOWN = {"DISTINGUISHEDNAME", "COMMONNAME", "OBJECTCLASS", "ATTRIBUTE", "ERROR", "VALUE", "UPDATE", "PROPOSEDACTION",
         "ACTION"}


class Malformed(ValueError):
    pass


def _lines(text: str):
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] not in "\r\n":
            j += 1
        end = j + (2 if text[j:j + 2] == "\r\n" else 1 if j < len(text) else 0)
        yield text[i:end]  # with its line end, as ReadNextLine returns it
        i = end


def _data_lines(text: str):
    for line in _lines(text):
        if line.strip(TRIM):
            yield line


def parse(text: str) -> list[list[str]]:
    """The rows TextFieldParser.ReadFields returns for ``text``."""
    rows = []
    lines = _data_lines(text)
    for first in lines:
        line, fields, i = first, [], 0
        while True:
            j = i
            while j < len(line) and line[j] in SPACE:
                j += 1
            if j < len(line) and line[j] == '"':  # quoted
                i, value = j + 1, []
                while True:
                    if i >= len(line):
                        try:
                            line += next(lines)
                        except StopIteration:
                            raise Malformed("unclosed quote") from None
                        continue
                    if line[i] == '"':
                        if line[i + 1:i + 2] == '"':
                            value.append('"')
                            i += 2
                            continue
                        k = i + 1
                        while k < len(line) and line[k] in SPACE:
                            k += 1
                        if k < len(line) and line[k] not in ",\r\n":
                            raise Malformed(f"text after a closing quote: {line!r}")
                        fields.append("".join(value).strip(TRIM))
                        if k < len(line) and line[k] == ",":
                            i = k + 1
                            break
                        rows.append(fields)
                        fields = None
                        break
                    value.append(line[i])
                    i += 1
                if fields is None:
                    break
                continue
            k = line.find(",", i)
            if k == -1:
                fields.append(line[i:].rstrip("\r\n").strip(TRIM))
                rows.append(fields)
                break
            fields.append(line[i:k].strip(TRIM))
            i = k + 1
    return rows


def set_from_csv(text: str) -> list[dict[str, str]]:
    """The grid rows IdFix's SetFromCsv makes of ``text``: column name -> cell."""
    text = text.removeprefix("\ufeff")  # StreamReader detects the BOM
    rows = parse(text)
    if not rows:
        return []
    mappers = [h.upper() for h in rows[0] if h.upper() in KNOWN]
    grid = []
    for fields in rows[1:]:
        if len(fields) > len(mappers):
            raise IndexError("more fields than known headers: IdFix stops the import here")
        cells = {}
        for name, field in zip(mappers, fields, strict=False):
            valid = name != "ACTION" or field in ("EDIT", "REMOVE", "COMPLETE", "UNDO", "FAIL")
            cells[name] = field if valid else ""
        grid.append(cells)
    return grid
