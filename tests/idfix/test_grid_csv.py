"""``--idfix-csv`` writes a grid IdFix 2.6 imports: read back here the way its
SetFromCsv reads it (tests/idfix/setfromcsv.py)."""

from __future__ import annotations

import pytest
from idfix.setfromcsv import Malformed, parse, set_from_csv

import preflight
from preflight.exports.idfix import GRID_COLUMNS, write_idfix_csv
from preflight.sources.directory import FrameSource
from preflight.sources.schemas import directory_frame

BASE = "OU=IdFix,DC=contoso,DC=com"
OBJECTS = [
    {"dn": f"CN=Lee\\, Ann,{BASE}", "cn": "Lee, Ann", "objectClass": "user", "displayName": 'Ann "the" Lee',
     "mailNickname": "ann", "userPrincipalName": "ann lee@contoso.local", "sAMAccountName": "annlee",
     "proxyAddresses": ["SMTP:ann@contoso.com", "smtp:shared@contoso.com", 'smtp:"ann,lee"@contoso.com']},
    {"dn": f"CN=Bob,{BASE}", "cn": "Bob", "objectClass": "user", "displayName": "Bob", "mailNickname": "bob",
     "userPrincipalName": "bob@contoso.com", "sAMAccountName": "bob",
     "proxyAddresses": ["SMTP:shared@contoso.com", "smtp:bob@contoso.com"]},
    {"dn": f"CN=Cara,{BASE}", "cn": "Cara", "objectClass": "user", "mailNickname": "cara", "sAMAccountName": "cara",
     "userPrincipalName": "cara@contoso.com"},
]


@pytest.fixture
def grid(tmp_path):
    source = FrameSource(directory_frame(OBJECTS), {"kind": "directory"})
    report = preflight.run_batches([], {"directory": {"source": source}, "idfix": {"scope": "directory"}}, select=["PF4"])
    path = write_idfix_csv(report, tmp_path / "idfix.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: StreamReader detects it
    return set_from_csv(raw.decode("utf-8"))


def row(grid, dn_start, attribute, value=None):
    found = [r for r in grid if r["DISTINGUISHEDNAME"].startswith(dn_start) and r["ATTRIBUTE"] == attribute
             and (value is None or r["VALUE"] == value)]
    assert len(found) == 1, (dn_start, attribute, grid)
    return found[0]


def test_every_row_has_idfix_columns_and_no_action(grid):
    assert grid and all(list(r) == list(GRID_COLUMNS) for r in grid)
    assert all(r["ACTION"] == "" for r in grid)  # IdFix applies what ACTION says: the admin chooses


def test_error_update_and_proposed_action_as_idfix_writes_them(grid):
    upn = row(grid, "CN=Lee", "userPrincipalName")
    assert (upn["ERROR"], upn["VALUE"], upn["UPDATE"], upn["PROPOSEDACTION"]) == (
        "Character, TopLevelDomain", "ann lee@contoso.local", "annlee@contoso.local", "Edit")
    assert upn["COMMONNAME"] == "Lee, Ann" and upn["OBJECTCLASS"] == "user"
    assert upn["DISTINGUISHEDNAME"] == f"CN=Lee\\, Ann,{BASE}"
    # a duplicate: UPDATE is the value; the object's first proxy value SMTP: with a mailNickname -> Complete
    first = row(grid, "CN=Bob", "proxyAddresses")
    assert (first["ERROR"], first["UPDATE"], first["PROPOSEDACTION"]) == ("Duplicate", "SMTP:shared@contoso.com", "Complete")
    other = row(grid, "CN=Lee", "proxyAddresses", "smtp:shared@contoso.com")  # not its first value -> Edit
    assert (other["ERROR"], other["UPDATE"], other["PROPOSEDACTION"]) == ("Duplicate", "smtp:shared@contoso.com", "Edit")
    blank = row(grid, "CN=Cara", "displayName")
    assert (blank["ERROR"], blank["VALUE"], blank["UPDATE"]) == ("Blank", "", "Cara")


def test_values_with_quotes_and_commas_come_back_whole(grid):
    r = row(grid, "CN=Lee", "proxyAddresses", 'smtp:"ann,lee"@contoso.com')
    assert r["UPDATE"] == "smtp:annlee@contoso.com" and r["ERROR"] == "Character"


def test_the_reader_follows_textfieldparser():
    assert parse('a, "b ""c"", d" ,e\r\n\r\n  \r\n"x\r\n\r\ny",z\n') == [["a", 'b "c", d', "e"], ["x\r\ny", "z"]]
    with pytest.raises(Malformed):
        parse('"a"b,c\r\n')
    # an unknown header shifts the fields after it, as in IdFix
    assert set_from_csv("VALUE,EXTRA,UPDATE\r\n1,2\r\n") == [{"VALUE": "1", "UPDATE": "2"}]
    assert set_from_csv("ACTION\r\nSKIP\r\n") == [{"ACTION": ""}]
