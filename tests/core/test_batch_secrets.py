"""Password bytes are never echoed (issue 15, item 5): whatever the line breaks (CR as
Excel's "CSV (Macintosh)" writes, LF, CRLF, mixed) and the encoding, in every report format.

Each case puts a password holding a byte that stops the file from being text (an
invalid byte, a lone surrogate, a control character) on line 3, renders the report
in every format and looks for the password, its characters and its bytes in any
spelling (raw, hex, code point, escape) and for the byte offset that would tell
where in the password the byte is.
"""

from __future__ import annotations

import re

import pytest

import preflight
from preflight.formatters import FORMATS, render

SECRET_HEAD = "Zq7Kx"  # the ASCII part of the password, before the offending character
SECRET_TAIL = "qX9w"
BREAKS = {"CR": ["\r"] * 3, "LF": ["\n"] * 3, "CRLF": ["\r\n"] * 3, "mixed": ["\r\n", "\r", "\n"]}


def _lines(header: bool, bad: str) -> list[str]:
    rows = ["bob@contoso.com,Pa55word!b,False", f"ann@contoso.com,{SECRET_HEAD}{bad}{SECRET_TAIL},False"]
    return (["EmailAddress,Password,ForceChangePassword"] if header else ["eve@contoso.com,Pa55word!e,False"]) + rows


def _join(lines: list[str], breaks: list[str]) -> str:
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=True))


# (name, bytes of the file for the given line breaks, the offending byte(s) or character)
def _cases():
    for brk_name, breaks in BREAKS.items():
        for header in (True, False):
            tag = f"{brk_name}-{'header' if header else 'no-header'}"
            # Windows-1252 ü in a UTF-8 file
            yield f"cp1252-{tag}", _join(_lines(header, "ü"), breaks).encode("cp1252"), b"\xfc", "ü"
            # UTF-8 with BOM, an invalid byte
            text = _join(_lines(header, "\udcff"), breaks)
            yield f"utf8bom-{tag}", b"\xef\xbb\xbf" + text.encode("utf-8", "surrogateescape"), b"\xff", None
            # a control character in a valid UTF-8 file
            yield f"control-{tag}", _join(_lines(header, "\x01"), breaks).encode("utf-8"), b"\x01", "\x01"
            # UTF-16 LE/BE with BOM, a lone high surrogate before an ASCII character
            for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
                text = _join(_lines(header, "\ud83d"), breaks)
                data = bom + text.encode(codec, "surrogatepass")
                yield f"{codec}-{tag}", data, "\ud83d".encode(codec, "surrogatepass"), None
                yield f"{codec}-control-{tag}", bom + _join(_lines(header, "\x02"), breaks).encode(codec), b"\x02", "\x02"
            # UTF-32 with BOM, a code point beyond U+10FFFF
            text = _join(_lines(header, "\U0001f600"), breaks)
            data = b"\xff\xfe\x00\x00" + text.encode("utf-32-le").replace("\U0001f600".encode("utf-32-le"), b"\x00\x00\x11\x00")
            yield f"utf-32-{tag}", data, b"\x00\x00\x11\x00", None


CASES = list(_cases())


def _spellings(bad: bytes, char: str | None) -> list[str]:
    out = ["".join(f"\\x{b:02x}" for b in bad), f"0x{bad.hex()}"]
    # hex as such, unless all digits: "01" is also in a duration ("0.01 s"); its \x01 and U+0001 are looked for
    out += [h for h in {bad.hex(), bad.hex(" "), bad.hex(" ").upper()} if not h.replace(" ", "").isdigit()]
    if char:
        out += [char, f"U+{ord(char):04X}", f"\\u{ord(char):04x}", repr(char)[1:-1], f"&#{ord(char)};"]
    return out


@pytest.fixture(scope="module")
def rendered():
    """name -> (report, {format: output})"""
    out = {}
    for name, data, _bad, _char in CASES:
        report = preflight.check_bytes(data, "wave1.csv")
        out[name] = (report, {fmt: render(report, fmt) for fmt in FORMATS})
    return out


def test_every_format_is_covered():
    assert set(FORMATS) >= {"text", "json", "sarif", "junit", "github"}


@pytest.mark.parametrize(("name", "data", "bad", "char"), CASES, ids=[c[0] for c in CASES])
def test_password_bytes_are_never_echoed(rendered, name, data, bad, char):
    report, outputs = rendered[name]
    (f,) = [f for f in report.findings if f.code == "PF102"]
    assert f.line == 3, f.message  # the line the password is on, counted as the csv reader counts
    assert "not shown" in f.message
    offset = data.index(bad)
    for fmt, text in outputs.items():
        for secret in (SECRET_HEAD, SECRET_TAIL, *_spellings(bad, char)):
            # hex and numbers only as whole tokens: "ff" may be part of a word or a hash
            word = len(secret) <= 2 or secret.isalnum()
            pattern = rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])" if word else re.escape(secret)
            assert not re.search(pattern, text), (fmt, secret, text)
        assert "byte offset" not in text and not re.search(rf"(?<!\d){offset}(?!\d)", f.message), (fmt, f.message)


def test_bytes_of_a_file_without_secrets_are_still_shown():
    """What may be shown is shown: no Password column, CR line breaks."""
    data = "EmailAddress,ForceChangePassword\rann@contoso.com,False\rjürgen@contoso.com,False\r".encode("cp1252")
    (f,) = [f for f in preflight.check_bytes(data, "x.csv").findings if f.code == "PF102"]
    offset = data.index(b"\xfc")
    assert f.line == 3 and "fc" in f.message and f"offset {offset}" in f.message


def test_a_bad_byte_in_the_header_line_is_shown():
    data = "EmailAddress,Passwört\r\nann@contoso.com,Pa55word!x\r\n".encode("cp1252")
    (f,) = [f for f in preflight.check_bytes(data, "x.csv").findings if f.code == "PF102"]
    assert f.line == 1 and "f6" in f.message


@pytest.mark.parametrize("brk", ["\r", "\n", "\r\n"])
def test_a_type_line_ends_at_any_line_break(brk):
    """A "CSV (Macintosh)" export with a #TYPE line: the line is the first line only, never the rows after it."""
    text = brk.join(['#TYPE Obj', '"EmailAddress","Password"', f'"ann@contoso.com","{SECRET_HEAD}-{SECRET_TAIL}!"', ""])
    report = preflight.check_bytes(text.encode(), "wave1.csv")
    assert [(f.code, f.line) for f in report.findings] == [("PF110", 1)]
    assert report.findings[0].message == "the first line is '#TYPE Obj', not the header"
    assert {r.code: r.status.value for r in report.results}["PF131"] == "passed"  # the row was read
    for fmt in FORMATS:
        out = render(report, fmt)
        assert SECRET_HEAD not in out and SECRET_TAIL not in out
