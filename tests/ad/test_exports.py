"""The offline directory exports (ldifde LDIF, csvde CSV, Get-ADUser CSV) give the
same normalized frame as the scenario directory, and malformed files are source
errors with a reason."""

from __future__ import annotations

import pandas as pd
import pytest

from ad import exporters, scenario
from conftest import SAMPLE_DATA
from preflight.registry import SourceError
from preflight.sources.directory.exports import read_export

WRITERS = {
    "ldif": (exporters.write_ldifde, "x.ldif"),
    "csvde": (exporters.write_csvde, "x.csv"),
    "get-aduser": (exporters.write_get_aduser_csv, "x.csv"),
}


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.sort_values("dn", ignore_index=True)
    expected = expected.sort_values("dn", ignore_index=True)
    for column in expected.columns:
        assert got[column].tolist() == expected[column].tolist(), column


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_gives_the_scenario_frame(tmp_path, fmt):
    write, name = WRITERS[fmt]
    write(scenario.OBJECTS, tmp_path / name)
    source = read_export(tmp_path / name)
    assert source.describe()["format"] == fmt and source.describe()["objects"] == len(scenario.OBJECTS)
    assert_same(source.frame, scenario.frame())


def test_csvde_unicode_and_get_aduser_without_type_line(tmp_path):
    exporters.write_csvde(scenario.OBJECTS, tmp_path / "u.csv", encoding="utf-16")
    assert_same(read_export(tmp_path / "u.csv").frame, scenario.frame())
    exporters.write_get_aduser_csv(scenario.OBJECTS, tmp_path / "g.csv", type_line=False)
    assert_same(read_export(tmp_path / "g.csv").frame, scenario.frame())


def test_base64_folded_and_awkward_values_round_trip(tmp_path):
    odd = [("CN=Zoë Müller,OU=Staff,DC=contoso,DC=com",
            {"objectClass": "user", "displayName": " Zoë Müller: Sales", "mail": "zoe@contoso.com",
             "proxyAddresses": ["SMTP:zoe@contoso.com", "smtp:" + "z" * 90 + "@contoso.com"],
             "msExchMasterAccountSid": scenario.MASTER_SID})]
    path = tmp_path / "odd.ldif"
    exporters.write_ldifde(odd, path)
    text = path.read_text()
    assert "displayName:: " in text and "\n " in text  # base64 and a folded line
    frame = read_export(path).frame
    assert frame["displayName"].tolist() == [" Zoë Müller: Sales"]
    assert frame["cn"].tolist() == ["Zoë Müller"]
    assert frame["proxyAddresses"][0][1] == "smtp:" + "z" * 90 + "@contoso.com"
    assert bool(frame["hasMasterAccountSid"][0])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not an ldifde LDIF"),
        (b"hello,world\n1,2\n", "not an ldifde LDIF"),
        (b"dn: CN=A,DC=x\nobjectClass user\n", "not valid LDIF"),
        (b"dn: CN=A,DC=x\nuserAccountControl: lots\n", "wrong type"),
        (b"DN,mail\nCN=A,a@x.com\nCN=A,b@x.com\n", "occurs twice"),
        (b"DN,userAccountControl\nCN=A,abc\n", "not an integer"),
        (b"DN,mail\n\"CN=A,a@x.com\n", "not a valid CSV"),
        (b"DN,mail\nCN=A,\xff\xfe\xfa\n", "not UTF-8"),
        (b"DistinguishedName,proxyAddresses\nCN=A,Microsoft.ActiveDirectory.Management.ADPropertyValueCollection\n",
         "-join"),
    ],
)
def test_malformed_exports_are_source_errors_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.export"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=reason) as exc:
        read_export(path)
    assert "bad.export" in str(exc.value)


def test_a_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot read"):
        read_export(tmp_path / "absent.ldif")


def test_the_shipped_samples_are_the_scenario(tmp_path):
    """sample_data/directory/ cannot drift from tests/ad/scenario.py (regenerate with
    ``python tests/ad/exporters.py``)."""
    fresh = exporters.write_samples(tmp_path)
    for kind, path in fresh.items():
        assert (SAMPLE_DATA / "directory" / path.name).read_bytes() == path.read_bytes(), kind


def test_a_large_csvde_export_loads_column_wise(tmp_path):
    n = 200_000
    frame = pd.DataFrame({
        "DN": [f"CN=User {i},OU=Staff,DC=contoso,DC=com" for i in range(n)],
        "objectClass": "user",
        "mail": [f"user{i}@contoso.com" for i in range(n)],
        "proxyAddresses": [f"SMTP:user{i}@contoso.com;smtp:u{i}@contoso.com" for i in range(n)],
        "msExchRecipientTypeDetails": "1",
        "msExchHideFromAddressLists": ["TRUE" if i % 1000 == 0 else "" for i in range(n)],
    })
    frame.to_csv(tmp_path / "big.csv", index=False)
    got = read_export(tmp_path / "big.csv").frame
    assert len(got) == n
    assert got["proxyAddresses"][n - 1] == (f"SMTP:user{n - 1}@contoso.com", f"smtp:u{n - 1}@contoso.com")
    assert int(got["msExchHideFromAddressLists"].sum()) == n // 1000
    assert got["cn"][7] == "User 7" and got["msExchRecipientTypeDetails"][5] == 1
