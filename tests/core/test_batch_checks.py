"""Behaviour of the batch-CSV checks beyond their docstring examples:
locations (row vs line), limits at their edges, encodings, statuses."""

from __future__ import annotations

import codecs
import re

import pytest

import preflight
from preflight.model import Status

HEADER = "EmailAddress,Password,ForceChangePassword\r\n"


def run(data: bytes | str, *select: str, name: str = "batch.csv", **config):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return preflight.check_bytes(data, name, config or None, select=list(select) or None)


def codes(report):
    return sorted({f.code for f in report.findings})


def rows_csv(n: int, start: int = 0) -> str:
    return HEADER + "".join(f"user{i}@contoso.com,Pa55word!{i},False\r\n" for i in range(start, start + n))


def test_microsoft_sample_with_trailing_spaces_is_clean():
    sample = (
        "EmailAddress,Password,ForceChangePassword \r\n"
        "pilarp@contoso.com,Pa$$w0rd,False \r\n"
        "tobyn@contoso.com,Pa$$w0rd,False \r\n"
    )
    report = run(sample)
    assert report.findings == []
    assert report.exit_code() == 0


@pytest.mark.parametrize(("n", "expected"), [(2000, []), (2001, ["PF121"])])
def test_row_limit_edge(n, expected):
    report = run(rows_csv(n), "PF121")
    assert codes(report) == expected
    if expected:
        (f,) = report.findings
        assert f.row == 2002  # header is row 1; the 2,001st mailbox is row 2,002
        assert "2,001" in f.message


def test_row_limit_counts_records_not_lines():
    # 2,000 records, one of them with a quoted multi-line value: 2,001 physical lines.
    body = rows_csv(1999) + '"multi\r\nline@contoso.com",Pa55word!x,False\r\n'
    assert body.count("\n") == 2001 + 1
    assert codes(run(body, "PF121")) == []


def test_row_and_line_differ_after_a_multiline_field():
    text = HEADER + 'ann@contoso.com,"Pa55\nword!",False\r\nbob@contoso.com,Pa55word!x,Maybe\r\n'
    (f,) = run(text, "PF140").findings
    assert (f.row, f.line, f.column) == (3, 4, "ForceChangePassword")


def test_field_count_names_each_bad_record():
    text = HEADER + "a@contoso.com,Pa55word!x,False,extra\r\nb@contoso.com,Pa55word!x,False\r\nc@contoso.com\r\n"
    found = run(text, "PF120").findings
    assert [(f.row, f.line) for f in found] == [(2, 2), (4, 4)]
    assert "4 field(s); the header has 3" in found[0].message


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"", "utf-8"), (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_unicode_encodings_are_accepted(bom, codec):
    data = bom + "EmailAddress\r\nrené.o@contoso.com\r\nzoë@contoso.com\r\n".encode(codec)
    report = run(data, "PF1")
    assert "PF102" not in codes(report)
    assert "PF103" not in codes(report)
    # the non-ASCII local parts are read correctly, so PF133 names them
    assert [f.row for f in report.findings if f.code == "PF133"] == [2, 3]


def test_windows_1252_is_reported_with_offset_and_hint():
    data = "EmailAddress\r\nrené@contoso.com\r\n".encode("cp1252")
    report = run(data)
    (f,) = [f for f in report.findings if f.code == "PF102"]
    offset = data.index(b"\xe9")
    assert f"offset {offset}" in f.message
    assert "Windows-1252" in f.message
    # checks of later layers are skipped with the reason, never passed
    skipped = {r.code: r.reason for r in report.results if r.status is Status.SKIPPED}
    assert "PF131" in skipped and "PF102" in skipped["PF131"]
    assert not any(r.status is Status.PASSED and r.code in ("PF131", "PF120") for r in report.results)


def test_utf16_without_bom_is_recognised():
    data = "EmailAddress\r\nann@contoso.com\r\n".encode("utf-16-le")
    (f,) = [f for f in run(data).findings if f.code == "PF102"]
    assert "UTF-16 without a byte order mark" in f.message


def test_binary_junk_is_a_finding():
    report = run(bytes(range(256)) * 4)
    assert "PF102" in codes(report)
    assert report.exit_code() == 1


def test_empty_and_bom_only_files():
    for data in (b"", b"   \r\n", codecs.BOM_UTF8):
        report = run(data)
        assert codes(report) == ["PF100"], data
        assert {r.code for r in report.results if r.status is Status.SKIPPED} >= {"PF101", "PF131"}


def test_semicolon_file_is_still_checked_beyond_the_delimiter():
    text = "EmailAddress;Password;ForceChangePassword\r\nann@contoso.com;short;False\r\nann@contoso.com;Pa55word!x;Ja\r\n"
    assert codes(run(text)) == ["PF103", "PF134", "PF140", "PF151"]


def test_type_line_is_reported_and_the_rest_checked():
    text = '#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n"PrimarySmtpAddress"\r\n"ann@contoso.com"\r\n'
    report = run(text)
    assert codes(report) == ["PF110", "PF111", "PF112"]
    by_code = {f.code: f for f in report.findings}
    assert by_code["PF111"].row == 2
    assert "'PrimarySmtpAddress' to 'EmailAddress'" in by_code["PF111"].fix


def test_duplicates_name_both_rows():
    text = (HEADER + "ann@contoso.com,Pa55word!x,False\r\nbob@contoso.com,Pa55word!x,False\r\n"
            " ANN@contoso.com,Pa55word!x,False\r\n")
    (f,) = [f for f in run(text).findings if f.code == "PF134"]
    assert f.row == 4 and f.related == ({"row": 2, "line": 2},)


def test_cross_file_duplicates_name_both_files(tmp_path):
    a = tmp_path / "wave1.csv"
    b = tmp_path / "wave2.csv"
    a.write_text(rows_csv(3))
    b.write_text(HEADER + "other@contoso.com,Pa55word!x,False\r\nUSER1@contoso.com,Pa55word!x,False\r\n")
    report = preflight.check_batch([a, b], select=["PF135"])
    (f,) = report.findings
    assert (f.path, f.row) == (str(b), 3)
    assert f.related == ({"path": str(a), "row": 3, "line": 3},)


def test_batch_folder_compares_with_committed_batches(tmp_path):
    committed = tmp_path / "batches"
    committed.mkdir()
    (committed / "wave1.csv").write_text(rows_csv(5))
    new = committed / "wave2.csv"
    new.write_text(HEADER + "user4@contoso.com,Pa55word!x,False\r\n")
    report = preflight.check_batch([new], {"batch_folder": str(committed)}, select=["PF135"])
    (f,) = report.findings
    assert f.path == str(new) and f.related[0]["path"].endswith("wave1.csv")
    assert [i["kind"] for i in report.to_dict()["inputs"]] == ["batch", "reference"]
    # without the folder the new file alone is clean
    assert preflight.check_batch([new], select=["PF135"]).findings == []


def test_sso_check_is_skipped_unless_declared():
    text = HEADER + "ann@contoso.com,Pa55word!x,True\r\n"
    (res,) = run(text, "PF141").results
    assert res.status is Status.SKIPPED and "sso" in res.reason
    assert codes(run(text, "PF141", sso=True)) == ["PF141"]


def test_password_checks_skip_without_password_column():
    report = run("EmailAddress\r\nann@contoso.com\r\n", "PF15")
    assert {r.status for r in report.results} == {Status.SKIPPED}
    assert all("no Password column" in r.reason for r in report.results)


def test_password_complexity_edges():
    long_pw = "Aa1" * 86  # 258 characters
    text = (HEADER + f"a@contoso.com,{long_pw},False\r\nb@contoso.com,abcdefgh,False\r\n"
            "c@contoso.com,abcdEFGH,False\r\nd@contoso.com,abcdEF12,False\r\n")
    found = run(text, "PF152").findings
    assert [f.row for f in found] == [2, 3, 4]
    assert "longer than 256" in found[0].message


def test_unreadable_path_errors_its_checks(tmp_path):
    report = preflight.check_batch([tmp_path], select=["PF1"])
    per_file = [r for r in report.results if r.subject == str(tmp_path)]
    assert per_file and all(r.status is Status.ERRORED for r in per_file)
    assert all("cannot read" in r.reason for r in per_file)


def test_unknown_selector_raises():
    with pytest.raises(KeyError):
        run(HEADER, "PF9")


def test_report_counts_and_exit_codes():
    text = HEADER + "ann@contoso.com,,False\r\n"  # one warning (empty password)
    report = run(text)
    assert report.counts()["findings"] == {"info": 0, "warning": 1, "error": 0}
    assert report.exit_code("error") == 0 and report.exit_code("warning") == 1


def test_a_missing_header_line_never_echoes_the_first_rows_password():
    text = "ann@contoso.com,Zq9!first-row-secret,False\r\nbob@contoso.com,Zq9!second-secret,False\r\n"
    report = run(text)
    assert "PF111" in codes(report)
    dumped = str(report.to_dict())
    assert "Zq9!" not in dumped
    skipped = {r.code for r in report.results if r.status is Status.SKIPPED}
    assert {"PF112", "PF113"} <= skipped


def test_sample_frames_follow_the_declared_schema():
    from conftest import SAMPLE_DATA

    from preflight.sources.batch_csv import read_batch
    from preflight.sources.schemas import BatchRows

    frames = [read_batch(p).frame for p in sorted(SAMPLE_DATA.glob("*.csv"))]
    frames = [f for f in frames if f is not None]
    assert len(frames) >= 4
    for frame in frames:
        BatchRows.validate(frame, lazy=True)


def test_invalid_bytes_of_a_line_with_a_password_are_not_echoed():
    import preflight

    report = preflight.check_bytes(b"EmailAddress,Password\r\nann@contoso.com,Gr\xfcn-Pa55word!\r\n", "pw.csv")
    (f,) = [f for f in report.findings if f.code == "PF102"]
    assert "fc" not in f.message and "Gr" not in str(report.to_dict()) and "not shown" in f.message
    report = preflight.check_bytes(b"EmailAddress\r\nj\xfcrgen@contoso.com\r\n", "nopw.csv")
    (f,) = [f for f in report.findings if f.code == "PF102"]
    assert "fc" in f.message


# --- PF104/PF106: what the csv reader could not read (issue 15, item 7) ---------------------------------


def test_an_unquoted_field_over_the_reader_limit_is_pf106_not_quoting():
    big = "x" * (10 * 1024 * 1024)
    text = HEADER + f"ann@contoso.com,{big},False\r\nbob@contoso.com,short,False\r\nbob@contoso.com,Pa55word!x,False\r\n"
    report = run(text)
    (f,) = [f for f in report.findings if f.code == "PF106"]
    assert (f.row, f.line) == (2, 2)
    assert "131,072" in f.message and "quot" not in f.message and "Delete line 2" in f.fix
    assert "PF104" not in codes(report)
    # the rows after the long line are read and checked, with their own row numbers
    assert sorted((g.code, g.row) for g in report.findings if g.code in ("PF134", "PF151")) == [("PF134", 4), ("PF151", 3)]


def test_an_unclosed_quote_is_pf104_with_its_line_and_no_spurious_pf101():
    text = 'EmailAddress,Password\nann@contoso.com,"Pa55word!\nbob@contoso.com,Pa55word!x\n'
    report = run(text)
    assert codes(report) == ["PF104"]
    (f,) = report.findings
    assert (f.row, f.line) == (2, 2) and "never closed" in f.message and f.fix
    results = {r.code: r for r in report.results}
    assert results["PF101"].status is Status.SKIPPED and "PF104" in results["PF101"].reason
    assert results["PF121"].status is Status.SKIPPED  # 2,000 rows or not: the rows after line 2 are unknown


def test_an_unclosed_quote_in_a_large_file_is_not_called_a_long_field():
    text = HEADER + 'ann@contoso.com,"Pa55word!,False\r\n' + rows_csv(5000).split("\r\n", 1)[1]
    (f,) = run(text).findings
    assert f.code == "PF104" and (f.row, f.line) == (2, 2) and "closing quote is probably missing" in f.message


def test_text_after_a_closing_quote_names_its_line():
    text = HEADER + 'ann@contoso.com,"Pa55\nword!",False\r\nbob@contoso.com,"Pa55"word!,False\r\n'
    (f,) = run(text, "PF104").findings
    assert (f.row, f.line) == (3, 4)


def test_pf104_and_pf106_findings_carry_their_line_to_github_and_sarif():
    import json

    from preflight.formatters import render

    text = HEADER + "x" * 200_000 + "\r\n" + 'bob@contoso.com,"Pa55"word!,False\r\n'
    report = run(text, "PF104", "PF106")
    assert sorted((f.code, f.line) for f in report.findings) == [("PF104", 3), ("PF106", 2)]
    github = render(report, "github")
    assert re.search(r"^::error [^:]*line=2,title=PF106", github, re.M)
    assert re.search(r"^::error [^:]*line=3,title=PF104", github, re.M)
    sarif = json.loads(render(report, "sarif"))
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]}
    assert lines == {"PF104": 3, "PF106": 2}


# --- PF131: the RFC 5321 length limits, in octets (issue 15, item 8) -------------------------------------


def _domain(n: int) -> str:
    """A valid domain name of ``n`` characters (labels of at most 63), ending in .com."""
    labels, left = [], n - len(".com")
    while left > 0:
        size = min(63, left) if left != 64 else 62  # never leave a lone dot to fill
        labels.append("d" * size)
        left -= size + 1
    return ".".join(labels)[: n - 4] + ".com"


@pytest.mark.parametrize(
    ("local", "ok"),
    [
        ("a" * 64, True),
        ("a" * 65, False),
        ("é" * 32, True),  # 32 characters, 64 octets in UTF-8
        ("é" * 32 + "a", False),  # 33 characters, 65 octets
        ("a" * 63 + "é", False),  # 64 characters, 65 octets
    ],
)
def test_local_part_limit_is_64_octets(local, ok):
    value = f"{local}@contoso.com"
    found = run(HEADER + f"{value},Pa55word!x,False\r\n", "PF131").findings
    assert (found == []) is ok, found
    if not ok:
        assert "before the @-sign" in found[0].message


@pytest.mark.parametrize(
    ("local", "total", "ok"),
    [
        ("ann", 254, True),
        ("ann", 255, False),
        ("é" * 10, 254, True),  # 244 characters, 254 octets
        ("é" * 10, 255, False),  # 245 characters, 255 octets
    ],
)
def test_whole_address_limit_is_254_octets(local, total, ok):
    domain = _domain(total - len(local.encode()) - 1)
    value = f"{local}@{domain}"
    assert len(value.encode()) == total
    found = run(HEADER + f"{value},Pa55word!x,False\r\n", "PF131").findings
    assert (found == []) is ok, found
    if not ok:
        assert "too long" in found[0].message


# --- PF134/PF135: IDN addresses compared in their IDNA form (issue 15, item 9) ---------------------------


def test_an_idn_address_and_its_xn_form_are_one_address_in_a_file():
    rows = ("user@bücher.example", "other@contoso.com", "USER@XN--BCHER-KVA.example")
    text = HEADER + "".join(f"{r},Pa55word!x,False\r\n" for r in rows)
    (f,) = run(text, "PF134").findings
    assert (f.row, f.related) == (4, ({"row": 2, "line": 2},))
    assert "'user@bücher.example'" in f.message  # how row 2 wrote it


def test_an_idn_address_and_its_xn_form_are_one_address_across_files(tmp_path):
    a, b = tmp_path / "wave1.csv", tmp_path / "wave2.csv"
    a.write_text(HEADER + "user@xn--bcher-kva.example,Pa55word!x,False\r\n", encoding="utf-8")
    b.write_text(HEADER + "other@contoso.com,Pa55word!x,False\r\nuser@Bücher.example,Pa55word!x,False\r\n", encoding="utf-8")
    (f,) = preflight.check_batch([a, b], select=["PF135"]).findings
    assert (f.path, f.row) == (str(b), 3) and f.related == ({"path": str(a), "row": 2, "line": 2},)


def test_address_key_forms():
    from preflight.sources.batch_csv import address_key

    assert address_key("Ann@Contoso.COM") == "ann@contoso.com"
    assert address_key("user@bücher.example") == address_key("user@XN--BCHER-KVA.example") == "user@xn--bcher-kva.example"
    assert address_key("user@bücher\uff0eexample") == "user@xn--bcher-kva.example"  # full-width dot: UTS #46 maps it
    assert address_key("rene\u0301@contoso.com") == address_key("ren\u00e9@contoso.com")  # NFD and NFC
    assert address_key("user@bücher.example") != address_key("user@bucher.example")
    assert address_key("straße@contoso.com") != address_key("strasse@contoso.com")  # simple case mapping, as Windows
    assert address_key("user@bad..bücher") == "user@bad..bücher"  # not an IDN: lower-cased only (PF131 reports it)
