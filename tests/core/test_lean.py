"""The batch-only run (the pre-commit hook's) stays lean: no pandas, numpy or pyarrow.

The batch checks run on plain lists (``MailboxRows``); the areas that join batch rows with
large data build their pandas frames from those rows themselves. Speed figures are in
benchmarks/bench_batch.py, not here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT, SAMPLE_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

HEAVY = ("pandas", "pyarrow", "numpy", "pandera")


def test_a_batch_only_cli_run_imports_neither_pandas_nor_pyarrow(tmp_path):
    for path in SAMPLE_DATA.glob("*.csv"):
        shutil.copy(path, tmp_path)
    # Committed batches are compared (PF135) and single sign-on is declared (PF141): every batch check runs.
    (tmp_path / "preflight.toml").write_text('sso = true\nbatch_folder = "."\n')
    names = sorted(p.name for p in tmp_path.glob("*.csv"))
    # `python -m preflight ...`, and at its exit the modules it imported (-X importtime does not show
    # the ones importlib.import_module loads, as the check registry does)
    code = ("import atexit, runpy, sys; "
            "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr)); "
            "runpy.run_module('preflight', run_name='__main__', alter_sys=True)")
    proc = subprocess.run([sys.executable, "-c", code, *names, "--format", "json"], cwd=tmp_path, capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 1, proc.stderr[-2000:]
    imported = set(proc.stderr.rpartition("MODULES ")[2].split())
    assert "preflight.checks.batch.password" in imported
    assert not {m for m in imported if m.split(".")[0] in HEAVY}, sorted(m for m in imported if m.split(".")[0] in HEAVY)
    report = json.loads(proc.stdout)
    found = {f["code"] for f in report["findings"]}
    # the checks ran on the rows: addresses, passwords, ForceChangePassword, another batch
    assert {"PF121", "PF131", "PF132", "PF134", "PF135", "PF141", "PF151"} <= found, found


def test_the_api_on_a_batch_imports_no_pandas():
    code = ("import sys, preflight; "
            "r = preflight.check_bytes(b'EmailAddress,Password\\nann@contoso.com,password\\nAnn@contoso.com,Pa55!\\n', 'b.csv'); "
            "assert {f.code for f in r.findings} == {'PF134', 'PF151', 'PF152'}, r.findings; "
            f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


def test_character_classes_and_the_one_pass_over_the_joined_values():
    from preflight.checks.batch.password import character_classes, uses_three_classes

    values = ["Pa55word!", "password", "PASSWORD1", "pässword1", "12345678", "", "Zz9 "]
    assert [character_classes(v) for v in values] == [4, 1, 2, 3, 1, 0, 4]
    expected = [True, False, False, True, False, False, True]
    assert uses_three_classes(values) == expected  # one pass over the joined values
    # a value with a line break (a quoted field) is counted alone; the break is a symbol
    assert uses_three_classes([*values, "a\nB1", "ab\ncd"]) == [*expected, True, False]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"]), max_size=12), max_size=8))
def test_the_one_pass_agrees_with_counting_each_value(values):
    from preflight.checks.batch.password import character_classes, uses_three_classes

    assert uses_three_classes(values) == [character_classes(v) >= 3 for v in values]


def test_frames_for_the_directory_paths_are_built_from_the_rows():
    from preflight.checks.directory.providers import batch_address_rows
    from preflight.sources.batch_csv import parse_batch

    bf = parse_batch(b"EmailAddress,Password\r\n Ann@Contoso.com ,x\r\n,y\r\n\r\nbob@contoso.com,z\r\n", "b.csv")
    assert bf.rows is not None and bf.rows.row == [2, 3, 5] and bf.addresses == ["Ann@Contoso.com", "", "bob@contoso.com"]
    frame = bf.frame
    assert list(frame.columns) == ["row", "line", "EmailAddress", "Password"] and frame["row"].tolist() == [2, 3, 5]
    rows = batch_address_rows([bf])
    assert rows[["row", "address", "key"]].values.tolist() == [[2, "Ann@Contoso.com", "ann@contoso.com"],
                                                             [5, "bob@contoso.com", "bob@contoso.com"]]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("a@é ,;\t\r\n\u2028\x85"), max_size=40), st.sampled_from(",;\t"))
def test_a_file_without_quotes_is_read_as_the_csv_module_reads_it(body, delimiter):
    import csv
    import io

    from preflight.sources.batch_csv import BatchFile, _read_records

    records = _read_records(BatchFile("b.csv", delimiter=delimiter), body, 1)
    expected = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True))
    assert [r.fields for r in records] == expected
    assert [(r.row, r.line) for r in records] == [(n, n) for n in range(1, len(expected) + 1)]


def test_the_address_fast_path_refuses_every_special_use_name_email_validator_refuses():
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    from preflight.checks.batch.email_address import address_error, fast_ok
    from preflight.sources.dns import SPECIAL_USE_TLDS

    assert set(SPECIAL_USE_DOMAIN_NAMES) <= SPECIAL_USE_TLDS
    values = [f"ann@contoso.{n}" for n in SPECIAL_USE_DOMAIN_NAMES]
    assert fast_ok(values) == [False] * len(values)
    assert all(address_error(v) for v in values)
