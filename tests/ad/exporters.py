"""Test-side writers that render directory entries as ldifde and csvde write them.

``entries`` are ``(dn, {attribute: value or values})`` as tests/ad/scenario.py
declares them or as ldap3's ``entry_raw_attributes`` returns them (lists of
bytes). LDIF goes through the ``ldif`` package's writer (base64 where LDIF needs
it, lines folded at 76 columns, ``changetype: add`` as ldifde -f writes);
csvde CSV joins multi-valued attributes with ``;`` and writes binary values as
``X'hex'``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

import ldif


def _values(value: Any) -> list[str | bytes]:
    """Values as ldifde/csvde see them: text, or bytes for binary attributes."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str | bytes] = []
    for v in items:
        if isinstance(v, bool):
            out.append("TRUE" if v else "FALSE")
        elif isinstance(v, bytes):
            try:
                out.append(v.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(v)
        else:
            out.append(str(v))
    return out


def _is_sid(name: str) -> bool:
    return name.casefold() in ("msexchmasteraccountsid", "objectsid", "objectguid")


def write_ldifde(entries: Iterable[tuple[str, dict[str, Any]]], path: Path, header: str = "") -> None:
    """Write ``entries`` as ``ldifde -f`` does (a ``changetype: add`` record each)."""
    buf = io.BytesIO()
    if header:
        buf.write(header.encode())
    writer = ldif.LDIFWriter(buf, cols=76)
    for dn, attrs in entries:
        record: dict[str, list] = {"changetype": ["add"]}
        for name, value in attrs.items():
            vals = _values(value)
            if _is_sid(name):  # binary: always base64, as ldifde writes it
                vals = [v if isinstance(v, bytes) else v.encode() for v in vals]
            record[name] = vals
        writer.unparse(dn, record)
    Path(path).write_bytes(buf.getvalue())


def write_csvde(entries: Iterable[tuple[str, dict[str, Any]]], path: Path, encoding: str = "utf-8") -> None:
    """Write ``entries`` as ``csvde -f`` does: a ``DN`` column, then the union of
    attributes in order of appearance; ``csvde -u`` is ``encoding="utf-16"``."""
    entries = list(entries)
    columns = list(dict.fromkeys(name for _, attrs in entries for name in attrs))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["DN", *columns])
    for dn, attrs in entries:
        row = [dn]
        for name in columns:
            vals = _values(attrs[name]) if name in attrs else []
            row.append(";".join(f"X'{v.hex()}'" if isinstance(v, bytes) else v for v in vals))
        writer.writerow(row)
    Path(path).write_bytes(buf.getvalue().encode(encoding))


def write_get_aduser_csv(entries: Iterable[tuple[str, dict[str, Any]]], path: Path, type_line: bool = True) -> None:
    """Write ``entries`` as the README's ``Get-ADObject … | Export-Csv`` pipeline does
    (``DistinguishedName`` first, multi-values ``-join ';'``, True/False, the SID as its presence)."""
    entries = list(entries)
    columns = list(dict.fromkeys(name for _, attrs in entries for name in attrs))
    buf = io.StringIO()
    if type_line:
        buf.write("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADObject\r\n")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["DistinguishedName", *columns])
    for dn, attrs in entries:
        row = [dn]
        for name in columns:
            if name not in attrs:
                row.append("")
            elif _is_sid(name):
                row.append("True")
            else:
                vals = [v.title() if v in ("TRUE", "FALSE") else v for v in _values(attrs[name])]
                row.append(";".join(vals))
        writer.writerow(row)
    Path(path).write_bytes(buf.getvalue().encode("utf-8-sig"))


def write_samples(folder: Path) -> dict[str, Path]:
    """Render the scenario directory (and the mailboxes of sample_data's other
    batch files) as the sample exports shipped in sample_data/directory/."""
    from ad import scenario

    paths = {"ldif": folder / "contoso.ldif", "csvde": folder / "contoso-csvde.csv"}
    objects = [*scenario.OBJECTS, *scenario.SAMPLE_EXTRA]
    write_ldifde(objects, paths["ldif"], header=scenario.LDIF_HEADER)
    write_csvde(objects, paths["csvde"])
    return paths


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print(write_samples(Path(__file__).resolve().parents[2] / "sample_data" / "directory"))
