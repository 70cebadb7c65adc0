"""The offline directory exports (ldifde LDIF, csvde CSV, Get-ADObject/Get-ADUser
CSV) give the same normalized frame as the scenario directory, awkward values
round-trip, and malformed files are source errors with a useful reason."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE_DATA
from pandas.testing import assert_frame_equal

from ad import exporters, scenario
from preflight.registry import SourceError
from preflight.sources.directory import exports
from preflight.sources.directory.exports import (
    ATTRIBUTES,
    detect_format,
    read_csvde,
    read_export,
    read_get_aduser_csv,
    read_ldif,
)
from preflight.sources.schemas import (
    DIRECTORY_COLUMNS,
    DIRECTORY_INTS,
    DirectoryObjects,
    directory_frame,
)

WRITERS = {
    "ldif": (exporters.write_ldifde, "contoso.ldif", read_ldif),
    "csvde": (exporters.write_csvde, "contoso.csv", read_csvde),
    "get-aduser": (exporters.write_get_aduser_csv, "contoso.csv", read_get_aduser_csv),
}


def expected_frame(entries) -> pd.DataFrame:
    """``entries`` normalized as every source must give them: the binary SID as
    hasMasterAccountSid, integers and booleans typed, cn the DN's first RDN value."""
    objects = []
    for dn, attrs in entries:
        obj = {k: v for k, v in attrs.items() if k != "msExchMasterAccountSid"}
        obj["dn"] = dn
        obj.setdefault("cn", exporters._rdn_value(dn))
        if "msExchMasterAccountSid" in attrs:
            obj["hasMasterAccountSid"] = True
        objects.append(obj)
    return directory_frame(objects)


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.sort_values("dn", ignore_index=True)[list(DIRECTORY_COLUMNS)]
    expected = expected.sort_values("dn", ignore_index=True)[list(DIRECTORY_COLUMNS)]
    assert_frame_equal(got, expected)


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_gives_the_scenario_frame(tmp_path, fmt):
    write, name, reader = WRITERS[fmt]
    write(scenario.ENTRIES, tmp_path / name)
    source = read_export(tmp_path / name)
    assert source.describe() == {"kind": "directory", "format": fmt, "path": str(tmp_path / name),
                                 "objects": len(scenario.ENTRIES)}
    same(source.frame, expected_frame(scenario.ENTRIES))
    same(reader(tmp_path / name), source.frame)  # the format's own reader gives the same
    write(scenario.OBJECTS, tmp_path / name)
    same(read_export(tmp_path / name).frame, scenario.frame())


def test_the_three_formats_give_identical_frames(tmp_path):
    frames = []
    for fmt, (write, name, reader) in WRITERS.items():
        write(scenario.ENTRIES, tmp_path / f"{fmt}-{name}")
        frames.append(reader(tmp_path / f"{fmt}-{name}"))
    for frame in frames[1:]:
        assert_frame_equal(frame, frames[0])  # same row order (the file's), same values and dtypes
    gina = frames[0].set_index("dn").loc[scenario.dn("Gina Roe")]
    assert bool(gina["hasMasterAccountSid"]) and gina["msExchRecipientTypeDetails"] == 2
    dan = frames[0].set_index("dn").loc[scenario.dn("Dan Kim")]
    assert dan["proxyAddresses"] == ("SMTP:dan.kim@contoso.com", "EUM:4711;phone-context=Contoso DP.contoso.com")


def test_ldifde_shape_changetype_crlf_folding(tmp_path):
    exporters.write_ldifde(scenario.ENTRIES, tmp_path / "c.ldif")
    raw = tmp_path.joinpath("c.ldif").read_bytes()
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(map(len, lines)) <= 78 and any(line.startswith(b" ") for line in lines)
    assert raw.count(b"\r\nchangetype: add\r\n") == len(scenario.ENTRIES)
    assert b"msExchMasterAccountSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==" in raw


AWKWARD = [
    ("CN=Zoë Müller,OU=Staff,DC=contoso,DC=com",
     {"objectClass": ["top", "person", "organizationalPerson", "User"], "displayName": "Zoë Müller",
      "givenName": " leading space", "sn": ":colon first", "mailNickname": "trailing space ",
      "mail": "zoe@contoso.com", "targetAddress": "<angle",
      "proxyAddresses": ["SMTP:zoe@contoso.com", "smtp:" + "z" * 90 + "@contoso.com",
                         "X400:c=US;a= ;p=Contoso;o=Exchange;s=Müller;g=Zoë;",
                         "EUM:4712;phone-context=Contoso DP.contoso.com"],
      "msExchHideFromAddressLists": False, "isCriticalSystemObject": False, "userAccountControl": 66048,
      "msExchRecipientTypeDetails": 2147483648, "msExchMasterAccountSid": scenario.MASTER_SID}),
    ("CN=Doe\\, John,OU=Staff,DC=contoso,DC=com",
     {"objectClass": "user", "displayName": "Doe, John \"JD\"", "mail": "john.doe@contoso.com",
      "manager": "CN=Zoë Müller,OU=Staff,DC=contoso,DC=com",
      "publicDelegates": ["CN=Zoë Müller,OU=Staff,DC=contoso,DC=com", "CN=Doe\\, Jane,OU=Staff,DC=contoso,DC=com"]}),
]


@pytest.mark.parametrize("fmt", WRITERS)
def test_awkward_values_round_trip(tmp_path, fmt):
    write, name, reader = WRITERS[fmt]
    write(AWKWARD, tmp_path / name)
    frame = reader(tmp_path / name).set_index("dn")
    zoe, john = frame.loc[AWKWARD[0][0]], frame.loc[AWKWARD[1][0]]
    assert zoe["cn"] == "Zoë Müller" and zoe["displayName"] == "Zoë Müller"
    assert (zoe["givenName"], zoe["sn"], zoe["mailNickname"], zoe["targetAddress"]) == (
        " leading space", ":colon first", "trailing space ", "<angle")
    assert zoe["proxyAddresses"] == tuple(AWKWARD[0][1]["proxyAddresses"])
    assert zoe["objectClass"] == (("user",) if fmt == "get-aduser" else ("top", "person", "organizationalperson", "user"))
    assert zoe["msExchRecipientTypeDetails"] == 2147483648 and zoe["userAccountControl"] == 66048
    assert not zoe["msExchHideFromAddressLists"] and bool(zoe["hasMasterAccountSid"])
    assert john["cn"] == "Doe, John" and john["displayName"] == "Doe, John \"JD\""
    assert john["publicDelegates"] == tuple(AWKWARD[1][1]["publicDelegates"])
    assert pd.isna(john["hasMasterAccountSid"]) and pd.isna(john["userAccountControl"])


def test_ldif_base64_and_folded_lines_are_decoded(tmp_path):
    exporters.write_ldifde(AWKWARD, tmp_path / "odd.ldif")
    text = tmp_path.joinpath("odd.ldif").read_bytes().decode("ascii")
    for attr in ("dn", "displayName", "givenName", "sn", "mailNickname", "targetAddress"):
        assert f"\r\n{attr}:: " in text, attr
    assert "\r\n " in text  # a folded line
    hand = (  # as a person or another tool might write it: LF, version line, comments, mixed case names
        "# exported by hand\nversion: 1\n\n"
        "dn: CN=Ann,OU=Staff,DC=contoso,DC=com\nchangetype: add\nOBJECTCLASS: user\n"
        "displayname:: Wm/DqyBNw7xsbGVy\nproxyAddresses: SMTP:ann@con\n toso.com\nproxyaddresses: smtp:a@contoso.com\n"
        "userAccountControl: 512\nmsExchHideFromAddressLists: TRUE\nmsExchMasterAccountSid;binary:: AQUA\n"
    )
    tmp_path.joinpath("hand.ldif").write_text(hand)
    row = read_export(tmp_path / "hand.ldif").frame.iloc[0]
    assert row["displayName"] == "Zoë Müller" and row["cn"] == "Ann" and row["objectClass"] == ("user",)
    assert row["proxyAddresses"] == ("SMTP:ann@contoso.com", "smtp:a@contoso.com")
    assert row["userAccountControl"] == 512 and row["msExchHideFromAddressLists"] and row["hasMasterAccountSid"]


def test_unicode_exports(tmp_path):
    """csvde -u and ldifde -u write UTF-16 (BOM, little-endian)."""
    exporters.write_csvde(AWKWARD, tmp_path / "u.csv", encoding="utf-16")
    assert tmp_path.joinpath("u.csv").read_bytes()[:2] == b"\xff\xfe"
    assert read_export(tmp_path / "u.csv").describe()["format"] == "csvde"
    exporters.write_csvde(AWKWARD, tmp_path / "8.csv")
    assert_frame_equal(read_csvde(tmp_path / "u.csv"), read_csvde(tmp_path / "8.csv"))
    exporters.write_ldifde(AWKWARD, tmp_path / "8.ldif")
    text = tmp_path.joinpath("8.ldif").read_text("ascii")
    tmp_path.joinpath("u.ldif").write_bytes(text.encode("utf-16"))
    assert_frame_equal(read_export(tmp_path / "u.ldif").frame, read_ldif(tmp_path / "8.ldif"))


def test_get_aduser_with_and_without_type_line(tmp_path):
    exporters.write_get_aduser_csv(scenario.OBJECTS, tmp_path / "t.csv")
    first = tmp_path.joinpath("t.csv").read_text("utf-8-sig").splitlines()[0]
    assert first == "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser"
    exporters.write_get_aduser_csv(scenario.OBJECTS, tmp_path / "n.csv", type_line=False)
    for name in ("t.csv", "n.csv"):
        assert detect_format(tmp_path / name) == "get-aduser"
        same(read_export(tmp_path / name).frame, scenario.frame())


def test_get_aduser_property_names_match_case_insensitively(tmp_path):
    """Get-ADUser's own spellings (Surname, EmailAddress, Name) are aliases; the LDAP name wins."""
    path = tmp_path / "ps.csv"
    path.write_text(
        '"Name","EmailAddress","Surname","SAMACCOUNTNAME","Enabled","DistinguishedName","mail","ObjectClass",'
        '"ProxyAddresses","MSEXCHMASTERACCOUNTSID"\n'
        '"Ann Lee","alias@contoso.com","Lee","alee","True","CN=Ann Lee,OU=Staff,DC=contoso,DC=com",'
        '"ann.lee@contoso.com","user","SMTP:ann.lee@contoso.com;smtp:alee@contoso.com","False"\n',
        encoding="utf-8",
    )
    row = read_export(path).frame.iloc[0]
    assert (row["cn"], row["sn"], row["sAMAccountName"], row["mail"]) == ("Ann Lee", "Lee", "alee", "ann.lee@contoso.com")
    assert row["proxyAddresses"] == ("SMTP:ann.lee@contoso.com", "smtp:alee@contoso.com")
    assert pd.isna(row["hasMasterAccountSid"])  # [bool] of an absent SID


def test_the_collection_type_name_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "lost.csv"
    path.write_text(
        "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\n"
        '"DistinguishedName","mail","proxyAddresses"\n'
        '"CN=A,DC=x","a@x.com","SMTP:a@x.com"\n'
        '"CN=B,DC=x","b@x.com","Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"\n'
    )
    with pytest.raises(SourceError) as exc:
        read_export(path)
    message = str(exc.value)
    assert "lost.csv" in message and "column proxyAddresses" in message and "record 2 (line 4" in message
    assert "@{n='proxyAddresses';e={$_.proxyAddresses -join ';'}}" in message


MALFORMED = [
    (b"", "the export is empty"),
    (b"\n\n# only a comment\n", "the export is empty"),
    (b"hello,world\n1,2\n", "not an ldifde LDIF"),
    (b"dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass user\n", "line 5: not valid LDIF: 'objectClass user'"),
    (b"dn: CN=A,DC=x\ndisplayName:: !!notbase64\n", "line 2: not valid LDIF: the base64 value of displayName"),
    (b"objectClass: user\ndn: CN=A,DC=x\n", "line 1: not valid LDIF: First line of record"),
    (b"dn: CN=A,DC=x\ndn: CN=B,DC=x\n", "line 1: not valid LDIF: Two lines starting with dn"),
    (b"dn: CN=A,DC=x\nchangetype: modify\nreplace: mail\nmail: a@x.com\n-\n",
     "'changetype: modify' change record, not an export"),
    (b"dn: CN=A,DC=x\nchangetype: delete\n", "the record of CN=A,DC=x is a 'changetype: delete' change record"),
    (b"dn: CN=A,DC=x\nmail:: /w==\n", "mail of CN=A,DC=x is not UTF-8"),
    (b"dn: CN=A,DC=x\nuserAccountControl: lots\n", "userAccountControl is 'lots', not an integer, in the record of CN=A,DC=x"),
    (b"dn: CN=A,DC=x\nmsExchHideFromAddressLists: yes\n", "msExchHideFromAddressLists is 'yes', not TRUE or FALSE"),
    (b"dn: CN=A,DC=x\n\ndn: cn=a,dc=X\n", "the DN cn=a,dc=X occurs twice"),
    (b"DN,mail\nCN=A,a@x.com\nCN=A,b@x.com\n", r"the DN CN=A occurs twice \(record 2 \(line 3"),
    (b"DN,mail\n,a@x.com\n", r"record 1 \(line 2, DN \) has an empty DN"),
    (b"DN,userAccountControl\nCN=A,512\nCN=B,abc\n", r"userAccountControl is 'abc', not an integer, in record 2 \(line 3"),
    (b"DN,isCriticalSystemObject\nCN=A,maybe\n", "isCriticalSystemObject is 'maybe', not TRUE or FALSE"),
    (b"DN,mail\n\"CN=A,a@x.com\n", "not a valid CSV export: .*EOF inside string"),
    (b"DN,mail\nCN=A,a@x.com,extra\n", "not a valid CSV export: the records have more fields than the header"),
    (b"DN,mail\nCN=A,a@x.com\nCN=B,b@x.com,extra\n", "not a valid CSV export: .*Expected 2 fields in line 3, saw 3"),
    (b"DN,mail\nCN=A,a@x.com\nCN=B,\xff\xfe\xfa\n", r"line 3: not UTF-8 text \(byte offset 26\)"),
    (b"DN,mail,Mail\nCN=A,a,b\n", "columns mail and Mail are both mail"),
    (b"mail,DistinguishedName,distinguishedName\nx,CN=A,CN=A\n", "needs one DistinguishedName column; found 2"),
]


@pytest.mark.parametrize(("content", "reason"), MALFORMED)
def test_malformed_exports_are_source_errors_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.export"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=reason) as exc:
        read_export(path)
    assert "bad.export" in str(exc.value)


def test_a_missing_or_unreadable_file_is_a_source_error(tmp_path):
    for reader in (read_export, read_ldif, read_csvde, read_get_aduser_csv):
        with pytest.raises(SourceError, match="cannot read the directory export .*absent"):
            reader(tmp_path / "absent")
    with pytest.raises(SourceError, match="cannot read"):
        read_export(tmp_path)  # a directory


def test_csvde_without_attribute_list_exports_distinguished_name_too(tmp_path):
    """``csvde`` without ``-l`` writes every attribute, distinguishedName and name among them."""
    path = tmp_path / "all.csv"
    path.write_text("DN,objectClass,distinguishedName,name,objectGUID,mail\n"
                    "\"CN=A,DC=x\",top;person;organizationalPerson;user,\"CN=A,DC=x\",A,X'a5dc',a@x.com\n")
    row = read_export(path).frame.iloc[0]
    assert (row["dn"], row["cn"], row["mail"]) == ("CN=A,DC=x", "A", "a@x.com")


def test_a_csvde_header_must_start_with_dn(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("mail,DN\na@x.com,CN=A\n")
    with pytest.raises(SourceError, match="first column is DN"):
        read_csvde(path)


def test_the_documented_commands_list_every_attribute():
    """The module docstring's ldifde, csvde and Get-ADObject commands cannot drift from the schema."""
    attrs = ",".join(ATTRIBUTES)
    assert set(ATTRIBUTES) == ({*DIRECTORY_COLUMNS} - {"dn", "hasMasterAccountSid"}) | {"msExchMasterAccountSid"}
    doc = exports.__doc__
    assert re.search(r'ldifde -f contoso\.ldif -d "[^"]+" -r "[^"]+" -l "' + re.escape(attrs) + '"', doc)
    assert re.search(r'csvde -u -f contoso\.csv -d "[^"]+" -r "[^"]+" -l "' + re.escape(attrs) + '"', doc)
    assert "-Properties " + attrs + " |" in doc
    assert "Export-Csv contoso.csv -NoTypeInformation -Encoding UTF8" in doc
    selected = re.search(r"Select-Object (.*?) \|\n", doc, re.S).group(1)
    names = {n.strip().casefold() for n in re.sub(r"@\{n='(\w+)'.*?\}\}", r"\1", selected).replace("\n", "").split(",")}
    assert names == {a.casefold() for a in ATTRIBUTES} | {"distinguishedname"}


def test_the_shipped_samples_are_the_scenario(tmp_path):
    """sample_data/directory/ cannot drift from tests/ad/scenario.py (regenerate with
    ``python tests/ad/exporters.py``)."""
    fresh = exporters.write_samples(tmp_path)
    for kind, path in fresh.items():
        assert (SAMPLE_DATA / "directory" / path.name).read_bytes() == path.read_bytes(), kind
    shipped = SAMPLE_DATA / "directory"
    assert shipped.joinpath("contoso.ldif").read_text("ascii").startswith(scenario.LDIF_HEADER.splitlines()[0])
    expected = expected_frame([*scenario.OBJECTS, *scenario.SAMPLE_EXTRA])
    same(read_export(shipped / "contoso.ldif").frame, expected)
    same(read_export(shipped / "contoso-csvde.csv").frame, expected)


def test_a_large_csvde_export_loads_column_wise(tmp_path):
    n = 200_000
    rows = pd.DataFrame({
        "DN": [f"CN=User {i},OU=Staff,DC=contoso,DC=com" for i in range(n)],
        "objectClass": "top;person;organizationalPerson;user",
        "mail": [f"user{i}@contoso.com" for i in range(n)],
        "proxyAddresses": [f"SMTP:user{i}@contoso.com;smtp:u{i}@contoso.com" for i in range(n)],
        "msExchRecipientTypeDetails": "1",
        "userAccountControl": ["514" if i % 7 == 0 else "512" for i in range(n)],
        "msExchHideFromAddressLists": ["TRUE" if i % 1000 == 0 else "" for i in range(n)],
        "msExchMasterAccountSid": ["X'0105'" if i % 5000 == 0 else "" for i in range(n)],
    })
    rows.to_csv(tmp_path / "big.csv", index=False, lineterminator="\r\n")
    source = read_export(tmp_path / "big.csv")
    got = source.frame
    assert source.describe()["objects"] == len(got) == n
    DirectoryObjects.validate(got.head(1000))
    assert got["proxyAddresses"].iat[n - 1] == (f"SMTP:user{n - 1}@contoso.com", f"smtp:u{n - 1}@contoso.com")
    assert got["objectClass"].iat[3] == ("top", "person", "organizationalperson", "user")
    assert int(got["msExchHideFromAddressLists"].sum()) == n // 1000
    assert int(got["hasMasterAccountSid"].sum()) == n // 5000 and got["hasMasterAccountSid"].isna().sum() == n - n // 5000
    assert int((got["userAccountControl"] == 514).sum()) == len(range(0, n, 7))
    assert got["cn"].iat[7] == "User 7" and got["msExchRecipientTypeDetails"].iat[5] == 1
    assert got["publicDelegates"].iat[0] == () and got["manager"].iat[0] == ""
    assert all(got[c].dtype == "Int64" for c in DIRECTORY_INTS)


#: Names a copy of python-ldap's own ldif.py (the ldif package replaces it on install); without
#: it, the copy tests/install-debian.sh takes from python-ldap's source release, if there is one.
PYTHON_LDAP_LDIF = "PREFLIGHT_PYTHON_LDAP_LDIF"
PYTHON_LDAP_LDIF_COPY = Path(__file__).resolve().parents[2] / ".cache" / "python-ldap-ldif.py"


@pytest.fixture(params=["ldif-package", "python-ldap"])
def ldif_module(request, monkeypatch):
    """preflight._ldif made to use the ldif package's module, then python-ldap's: both install a
    top-level ``ldif.py`` and the one installed last is the one imported. The one not installed is
    loaded from the file ``$PREFLIGHT_PYTHON_LDAP_LDIF`` names (python-ldap's), or the case is skipped."""
    import importlib.util
    import os

    import ldif

    from preflight import _ldif

    if _ldif._is_python_ldap(ldif) == (request.param == "python-ldap"):
        return ldif
    path = os.environ.get(PYTHON_LDAP_LDIF) or (str(PYTHON_LDAP_LDIF_COPY) if PYTHON_LDAP_LDIF_COPY.is_file() else None)
    if request.param == "ldif-package" or not path:
        pytest.skip(f"the {request.param} ldif module is not installed"
                    + ("" if request.param == "ldif-package" else f" and ${PYTHON_LDAP_LDIF} is not set"))
    spec = importlib.util.spec_from_file_location("python_ldap_ldif", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _ldif._is_python_ldap(module), path
    monkeypatch.setattr(_ldif, "_module", lambda: module)
    return module


def test_ldif_writer_and_parser_round_trip(ldif_module):
    """preflight._ldif over each ``ldif`` module: what the writer writes, the
    parser reads back value for value."""
    import io

    from preflight import _ldif

    long_value = "smtp:" + "x" * 120 + "@contoso.com"
    records = [
        ("CN=Zoë Ørsted,OU=Users,DC=contoso,DC=com",
         [("objectClass", ["top", "person", "user"]), ("displayName", ["Zoë Ørsted"]),
          ("proxyAddresses", ["SMTP:zoe@contoso.com", long_value]), ("sn", [b"trailing "]),
          ("msExchMasterAccountSid", [b"\x01\x05\x00\xff"])]),
        ("CN=Ann,DC=contoso,DC=com",
         [(1, "proxyAddresses", ["smtp:ann @contoso.com"]), (0, "proxyAddresses", ["smtp:ann@contoso.com"]),
          (2, "mail", ["ann@contoso.com"])]),
    ]
    buf = io.BytesIO()
    writer = _ldif.Writer(buf, cols=40, line_sep=b"\r\n")
    for dn, modlist in records:
        writer.unparse(dn, modlist)
    text = buf.getvalue()
    assert max(len(line) for line in text.split(b"\r\n")) <= 40  # folded
    assert text.count(b"changetype: add") == 1 and text.count(b"changetype: modify") == 1
    assert b"\r\n-\r\n" in text and b"\n-\n" not in text.replace(b"\r\n", b"")

    def as_bytes(values):
        return [v if isinstance(v, bytes) else v.encode("utf-8") for v in values]

    add, modify = text.split(b"\r\n\r\n")[:2]
    (dn, entry), = _ldif.parse(add)  # the package's parser reads content and add records only
    assert dn == records[0][0]
    for attr, values in records[0][1]:
        assert as_bytes(entry[attr]) == as_bytes(values)
    assert as_bytes(entry["changetype"]) == [b"add"]
    lines = modify.replace(b"\r\n ", b"").split(b"\r\n")  # unfolded
    assert lines == [b"dn: CN=Ann,DC=contoso,DC=com", b"changetype: modify",
                     b"delete: proxyAddresses", b"proxyAddresses: smtp:ann @contoso.com", b"-",
                     b"add: proxyAddresses", b"proxyAddresses: smtp:ann@contoso.com", b"-",
                     b"replace: mail", b"mail: ann@contoso.com", b"-"]


@pytest.mark.parametrize(
    ("data", "record"),
    [
        (b"dn: CN=A,DC=x\nmail: a@x.com\n\ndn: CN=B,DC=x\nmail b@x.com\n", 2),
        (b"dn: CN=A,DC=x\n\n\ndn: CN=B,DC=x\n\ndn: CN=C,DC=x\ncn:: QQ\n", 3),
        (b"mail: a@x.com\n", 1),
    ],
)
def test_ldif_syntax_errors_name_the_record(ldif_module, data, record):
    from preflight import _ldif

    with pytest.raises(_ldif.LDIFSyntaxError) as exc:
        list(_ldif.parse(data))
    assert exc.value.record == record
    assert not str(exc.value).startswith("Line ")


def test_each_ldif_module_reads_the_sample_export_alike(ldif_module):
    """The shipped ldifde sample gives the frame the csvde sample gives, whichever module parses it."""
    directory = SAMPLE_DATA / "directory"
    assert_frame_equal(read_ldif(directory / "contoso.ldif"), read_csvde(directory / "contoso-csvde.csv"))


LDIF_MALFORMED = [case for case in MALFORMED if case[0].startswith((b"dn:", b"objectClass:"))]


@pytest.mark.parametrize(("content", "reason"), LDIF_MALFORMED)
def test_each_ldif_module_refuses_malformed_ldif_alike(ldif_module, tmp_path, content, reason):
    path = tmp_path / "bad.ldif"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=reason):
        read_ldif(path)


# --------------------------------------------------------------------------- folded comments, empty and cut exports


def test_a_folded_comment_is_one_comment_for_detection_and_parsing(tmp_path):
    """RFC 2849 folds comments too: a header comment's continuation line is part of the comment."""
    exporters.write_ldifde(scenario.ENTRIES, tmp_path / "plain.ldif")
    header = ("# Export of the Contoso mail objects for the staged migration, made with ldifde -f contoso.ldif -d\n"
              " \"DC=contoso,DC=com\" -r (objectClass=user): see the runbook\n")
    folded = tmp_path / "folded.ldif"
    folded.write_bytes(header.encode() + tmp_path.joinpath("plain.ldif").read_bytes())
    assert detect_format(folded) == "ldif"
    assert_frame_equal(read_export(folded).frame, read_ldif(tmp_path / "plain.ldif"))
    broken = tmp_path / "broken.ldif"  # line numbers still count the physical lines
    broken.write_bytes(header.encode() + b"version: 1\n\ndn: CN=A,DC=x\nobjectClass user\n")
    with pytest.raises(SourceError, match="line 6: not valid LDIF: 'objectClass user'"):
        read_export(broken)


EMPTY = {
    "csvde": b"DN,objectClass,mail,proxyAddresses\r\n",
    "get-aduser": b'#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n"DistinguishedName","mail"\r\n',
    "ldif": b"# ldifde export\r\nversion: 1\r\n\r\n",
    "ldapsearch": (b"# extended LDIF\n#\n# LDAPv3\n# base <OU=Empty,DC=contoso,DC=com> with scope subtree\n"
                   b"# filter: (objectClass=user)\n# requesting: mail \n#\n\n# search result\nsearch: 2\n"
                   b"result: 0 Success\n\n# numResponses: 1\n"),
}


@pytest.mark.parametrize("kind", EMPTY)
def test_an_export_without_objects_is_an_error(tmp_path, kind):
    path = tmp_path / "empty.export"
    path.write_bytes(EMPTY[kind])
    assert detect_format(path) == ("ldif" if kind == "ldapsearch" else kind)
    with pytest.raises(SourceError, match="empty.export: the export is empty: it holds no directory objects"):
        read_export(path)


def cuts(raw: bytes) -> dict[str, bytes]:
    """An ldifde export cut the ways a copy or a full disk cuts it."""
    last = raw.rindex(b"\r\ndn: ")
    changetype = raw.index(b"changetype: add\r\n", last) + len(b"changetype: add\r\n")
    sid = raw.index(b"msExchMasterAccountSid:: ")
    return {
        "mid-line": raw[: raw.index(b"mail: ", last) + 8],
        "in the dn": raw[: last + 12],
        "after the dn": raw[:changetype],
        "in a base64 value": raw[: sid + len(b"msExchMasterAccountSid:: ") + 10] + b"\r\n",
    }


@pytest.mark.parametrize("cut", ["mid-line", "in the dn", "after the dn", "in a base64 value"])
def test_a_cut_ldifde_export_is_an_error(tmp_path, cut):
    entries = [*scenario.ENTRIES, *AWKWARD[1:]]  # Gina's SID is folded: ends on a fold
    exporters.write_ldifde(entries, tmp_path / "full.ldif")
    path = tmp_path / "cut.ldif"
    path.write_bytes(cuts(tmp_path.joinpath("full.ldif").read_bytes())[cut])
    reason = {"mid-line": "ends inside an entry", "in the dn": "ends inside an entry",
              "after the dn": "has no objectClass, which the other entries have",
              "in a base64 value": "ends inside a base64 value"}[cut]
    with pytest.raises(SourceError, match=f"cut.ldif: line \\d+: .*{reason}.*the file is cut short"):
        read_export(path)


@pytest.mark.parametrize("fmt", ["csvde", "get-aduser"])
def test_a_cut_csv_export_is_an_error(tmp_path, fmt):
    write, name, _ = WRITERS[fmt]
    write(scenario.ENTRIES, tmp_path / name)
    raw = tmp_path.joinpath(name).read_bytes()
    path = tmp_path / "cut.csv"
    path.write_bytes(raw[: len(raw) - 40])  # inside the last record
    with pytest.raises(SourceError, match="cut.csv: the file ends inside a record .*cut short"):
        read_export(path)
    lines = raw.split(b"\r\n")
    fields = next(csv.reader([lines[-2].decode("utf-8")]))[:3]  # the last record, its first fields only
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    short = buf.getvalue().encode("utf-8")
    path.write_bytes(b"\r\n".join([*lines[:-2], short, b""]))
    with pytest.raises(SourceError, match=r"cut.csv: line \d+: record \d+ .*of the header's \d+ fields.*cut short"):
        read_export(path)
    whole = 3 if fmt == "get-aduser" else 2  # the #TYPE line, the header, record 1
    path.write_bytes(b"\r\n".join([*lines[:whole], short, *lines[whole:]]))  # a short record among whole ones
    with pytest.raises(SourceError, match=r"not a valid CSV export: line \d+: record 2 .*of the header's"):
        read_export(path)


@pytest.mark.parametrize("kind", ["empty", "cut"])
def test_an_empty_or_cut_export_errors_the_directory_checks(tmp_path, kind):
    """Never findings about the batch from an export that lost its objects: every directory and IdFix check is
    errored with the reason (none is passed; no row becomes PF200)."""
    import preflight
    from preflight.sources.batch_csv import parse_batch

    exporters.write_ldifde(scenario.ENTRIES, tmp_path / "full.ldif")
    raw = tmp_path.joinpath("full.ldif").read_bytes()
    path = tmp_path / "contoso.ldif"
    path.write_bytes(raw[: raw.index(b"\r\ndn: ")] if kind == "empty" else cuts(raw)["mid-line"])
    batches = [parse_batch(text.encode(), name) for name, text in scenario.BATCHES.items()]
    report = preflight.run_batches(batches, {"directory": {"source": str(path)}}, select=["PF2", "PF4"])
    assert not report.findings
    reason = "the export is empty" if kind == "empty" else "the file is cut short"
    assert report.results and all(r.status.value == "errored" and reason in r.reason for r in report.results)
