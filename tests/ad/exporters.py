"""Test-side writers that render directory entries as ldifde, csvde and
``Get-ADObject | Export-Csv`` write them (the export commands are in
``preflight.sources.directory.exports``).

``entries`` are ``(dn, {attribute: value or values})`` as tests/ad/scenario.py
declares them, or as ldap3's ``entry_raw_attributes`` returns them (lists of
bytes). A value is text, or binary when it is ``bytes`` that is not UTF-8 text
or holds control characters, or belongs to a binary attribute (SIDs, GUIDs,
security descriptors).

* ldifde (``write_ldifde``): CRLF lines, an empty line before each record, ``dn:``
  then ``changetype: add`` then the attributes, a line per value, base64
  (``attr:: ``) for binary values and for text that is not an LDIF SAFE-STRING
  (non-ASCII, a leading space, colon or ``<``, a trailing space), lines folded
  at 78 columns (continuations start with one space). Written through the
  LDIF writer preflight's ``--fix-ldif`` uses (:class:`preflight._ldif.Writer`).
* csvde (``write_csvde``): CRLF, a ``DN`` column then the union of the
  attributes in order of first appearance, multi-values joined with ``;``,
  binary values as ``X'hex'``, ``TRUE``/``FALSE``; UTF-8, or
  ``encoding="utf-16"`` as ``csvde -u`` writes (BOM, little-endian).
* Export-Csv (``write_get_aduser_csv``): Windows PowerShell 5.1's output of the
  documented pipeline — an optional ``#TYPE`` line, every field quoted,
  ``DistinguishedName`` and ``Name`` first, Get-ADUser's property spellings
  (``SamAccountName``, ``Surname``, ``ObjectClass``: the most specific class
  only), multi-values ``-join ';'``, ``True``/``False``, a SID as ``S-1-5-…``,
  UTF-8 with BOM.
* OpenLDAP ``ldapsearch`` (``run_ldapsearch``): the real client run against a
  test server (slapd or Samba), its standard output saved as the export.
"""

from __future__ import annotations

import csv
import io
import os
import re
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from preflight._ldif import Writer

Entry = tuple[str, dict[str, Any]]

#: Attributes AD stores as octet strings (never text), as ldifde/csvde treat them.
BINARY = frozenset(a.casefold() for a in (
    "msExchMasterAccountSid", "objectSid", "objectGUID", "msExchMailboxGuid", "msExchMailboxSecurityDescriptor",
    "nTSecurityDescriptor", "sIDHistory", "thumbnailPhoto", "userCertificate", "msExchArchiveGUID", "mS-DS-ConsistencyGuid",
    "logonHours", "replPropertyMetaData", "tokenGroups", "msExchSafeSendersHash", "msExchBlockedSendersHash",
    "schemaIDGUID", "attributeSecurityGUID",
))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The PowerShell spelling of properties Get-ADUser returns by default.
PS_NAMES = {"objectClass": "ObjectClass", "sAMAccountName": "SamAccountName", "userPrincipalName": "UserPrincipalName",
            "givenName": "GivenName", "sn": "Surname"}
TYPE_LINE = "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser"


def values(name: str, value: Any) -> list[str | bytes]:
    """An attribute's values as the export tools see them: text, or ``bytes`` when binary."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str | bytes] = []
    for v in items:
        if isinstance(v, bool):
            out.append("TRUE" if v else "FALSE")
        elif isinstance(v, (bytes, bytearray)):
            raw = bytes(v)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                out.append(raw)
                continue
            out.append(raw if name.casefold() in BINARY or _CONTROL.search(text) else text)
        elif name.casefold() in BINARY:
            out.append(str(v).encode("utf-8"))
        else:
            out.append(str(v))
    return out


def write_ldifde(entries: Iterable[Entry], path: Path, header: str = "") -> None:
    """Write ``entries`` as ``ldifde -f`` does (``header``: leading ``#`` comment lines)."""
    buf = io.BytesIO()
    if header:
        buf.write(header.rstrip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n")
    writer = Writer(buf, cols=78, line_sep=b"\r\n")
    for dn, attrs in entries:
        buf.write(b"\r\n")
        record: list[tuple[str, list]] = []  # (attribute, values) pairs: a changetype: add record
        for name, value in attrs.items():
            # an RFC 2849 SAFE-STRING may not end with a space: such values go base64 too
            vals = [v.encode("utf-8") if isinstance(v, str) and v.endswith(" ") else v for v in values(name, value)]
            if vals:
                record.append((name, vals))
        writer.unparse(dn, record)
    Path(path).write_bytes(buf.getvalue())


def _columns(entries: list[Entry]) -> list[str]:
    return list(dict.fromkeys(name for _, attrs in entries for name in attrs))


def write_csvde(entries: Iterable[Entry], path: Path, encoding: str = "utf-8") -> None:
    """Write ``entries`` as ``csvde -f`` does; ``encoding="utf-16"`` is ``csvde -u``."""
    entries = list(entries)
    columns = _columns(entries)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["DN", *columns])
    for dn, attrs in entries:
        row = [dn]
        for name in columns:
            vals = values(name, attrs[name]) if name in attrs else []
            row.append(";".join(f"X'{v.hex()}'" if isinstance(v, bytes) else v for v in vals))
        writer.writerow(row)
    Path(path).write_bytes(buf.getvalue().encode(encoding))


def sid_string(sid: bytes) -> str:
    """A binary SID as PowerShell shows a SecurityIdentifier (``S-1-5-21-…``)."""
    count = sid[1]
    authority = int.from_bytes(sid[2:8], "big")
    subs = struct.unpack(f"<{count}I", sid[8: 8 + 4 * count])
    return "-".join(["S", str(sid[0]), str(authority), *map(str, subs)])


def _rdn_value(dn: str) -> str:
    m = re.match(r"^[^=]+=((?:\\.|[^,])*)", dn)
    return re.sub(r"\\(.)", r"\1", m.group(1)) if m else dn


def write_get_aduser_csv(entries: Iterable[Entry], path: Path, type_line: bool = True) -> None:
    """Write ``entries`` as the documented ``Get-ADObject … | Select-Object … |
    Export-Csv -Encoding UTF8`` does (``type_line=False``: ``-NoTypeInformation``)."""
    entries = list(entries)
    columns = _columns(entries)
    buf = io.StringIO()
    if type_line:
        buf.write(TYPE_LINE + "\r\n")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["DistinguishedName", "Name", *(PS_NAMES.get(c, c) for c in columns)])
    for dn, attrs in entries:
        row = [dn, _rdn_value(dn)]
        for name in columns:
            vals = values(name, attrs[name]) if name in attrs else []
            if not vals:
                row.append("")
            elif name == "objectClass":
                row.append(str(vals[-1]))  # ADObject.ObjectClass: the most specific class
            elif name.casefold() == "msexchmasteraccountsid":
                row.append(sid_string(vals[0]) if isinstance(vals[0], bytes) else str(vals[0]))
            else:
                vals = [v.title() if v in ("TRUE", "FALSE") else v for v in vals]
                row.append(";".join(v.hex() if isinstance(v, bytes) else v for v in vals))
        writer.writerow(row)
    Path(path).write_bytes(buf.getvalue().encode("utf-8-sig"))


def run_ldapsearch(url: str, bind_dn: str, password: str, base: str, search_filter: str, attributes: Iterable[str],
                   path: Path, *, ca_file: Path, options: Iterable[str] = (), verify_name: bool = True) -> bytes:
    """Run OpenLDAP's ``ldapsearch`` (simple bind over LDAPS, the password from a file), save its standard
    output to ``path`` as an admin's ``> contoso.ldif`` does, and return it. ``options``: e.g. ``-LLL``,
    ``-o ldif-wrap=no``, ``-E pr=2/noprompt``. ``verify_name=False`` checks the certificate chain but not the
    host name (libldap can only check the name it connects to; Samba's certificate names the DC)."""
    env = dict(os.environ, LDAPTLS_CACERT=str(ca_file), LDAPTLS_REQCERT="demand" if verify_name else "allow")
    with tempfile.NamedTemporaryFile("w", suffix=".pw") as pw:
        pw.write(password)
        pw.flush()
        done = subprocess.run(["ldapsearch", "-H", url, "-x", "-D", bind_dn, "-y", pw.name, *options, "-b", base,
                               search_filter, *attributes], env=env, capture_output=True, timeout=120, check=False)
    if done.returncode not in (0, 4):  # 4: size limit exceeded (a result the reader must refuse)
        raise RuntimeError(f"ldapsearch exited with {done.returncode}: {done.stderr.decode(errors='replace')}")
    Path(path).write_bytes(done.stdout)
    return done.stdout


def write_samples(folder: Path) -> dict[str, Path]:
    """Render the sample exports shipped in sample_data/directory/: the scenario's
    Staff OU (its mail objects, and the mailboxes of sample_data's other batch
    files) as the LDIF header's ldifde command and the matching csvde command give it."""
    from ad import scenario

    paths = {"ldif": Path(folder) / "contoso.ldif", "csvde": Path(folder) / "contoso-csvde.csv"}
    objects = [*scenario.OBJECTS, *scenario.SAMPLE_EXTRA]
    write_ldifde(objects, paths["ldif"], header=scenario.LDIF_HEADER)
    write_csvde(objects, paths["csvde"])  # UTF-8, to stay readable and diffable (csvde -u: UTF-16, tested too)
    return paths


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    print(write_samples(Path(__file__).resolve().parents[2] / "sample_data" / "directory"))
