"""Offline directory exports: ldifde LDIF, csvde CSV and ``Get-ADObject | Export-Csv``.

Each reader gives the normalized :class:`~preflight.sources.schemas.DirectoryObjects`
frame the live LDAP source gives, so every directory check runs the same on an
export; :func:`read_export` tells the three formats apart by their content and
wraps the frame in a :class:`~preflight.sources.directory.FrameSource`.

The commands that produce them, run on a domain-joined Windows machine with the
AD DS tools (``-d`` is the search base, ``-r`` the filter, ``-l`` the
attributes; narrow ``-d`` to an OU to export less)::

    ldifde -f contoso.ldif -d "DC=contoso,DC=com" -r "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))" -l "cn,sAMAccountName,userPrincipalName,mail,mailNickname,targetAddress,displayName,givenName,sn,homeMDB,msExchHomeServerName,msExchUMRecipientDialPlanLink,msExchUMTemplateLink,manager,legacyExchangeDN,objectClass,proxyAddresses,publicDelegates,msExchDelegateListLink,msExchRecipientTypeDetails,msExchUMEnabledFlags,userAccountControl,msExchHideFromAddressLists,isCriticalSystemObject,msExchMasterAccountSid"

    csvde -u -f contoso.csv -d "DC=contoso,DC=com" -r "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))" -l "cn,sAMAccountName,userPrincipalName,mail,mailNickname,targetAddress,displayName,givenName,sn,homeMDB,msExchHomeServerName,msExchUMRecipientDialPlanLink,msExchUMTemplateLink,manager,legacyExchangeDN,objectClass,proxyAddresses,publicDelegates,msExchDelegateListLink,msExchRecipientTypeDetails,msExchUMEnabledFlags,userAccountControl,msExchHideFromAddressLists,isCriticalSystemObject,msExchMasterAccountSid"

    Get-ADObject -SearchBase "DC=contoso,DC=com" -LDAPFilter "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))" -ResultPageSize 1000 -Properties cn,sAMAccountName,userPrincipalName,mail,mailNickname,targetAddress,displayName,givenName,sn,homeMDB,msExchHomeServerName,msExchUMRecipientDialPlanLink,msExchUMTemplateLink,manager,legacyExchangeDN,objectClass,proxyAddresses,publicDelegates,msExchDelegateListLink,msExchRecipientTypeDetails,msExchUMEnabledFlags,userAccountControl,msExchHideFromAddressLists,isCriticalSystemObject,msExchMasterAccountSid |
      Select-Object DistinguishedName,cn,sAMAccountName,userPrincipalName,mail,mailNickname,targetAddress,displayName,givenName,sn,homeMDB,msExchHomeServerName,msExchUMRecipientDialPlanLink,msExchUMTemplateLink,manager,legacyExchangeDN,ObjectClass,
        @{n='proxyAddresses';e={$_.proxyAddresses -join ';'}},
        @{n='publicDelegates';e={$_.publicDelegates -join ';'}},
        @{n='msExchDelegateListLink';e={$_.msExchDelegateListLink -join ';'}},
        msExchRecipientTypeDetails,msExchUMEnabledFlags,userAccountControl,msExchHideFromAddressLists,isCriticalSystemObject,msExchMasterAccountSid |
      Export-Csv contoso.csv -NoTypeInformation -Encoding UTF8

From Linux, OpenLDAP's ``ldapsearch`` writes LDIF too (the README has the command)::

    ldapsearch -H ldaps://dc1.contoso.com -x -D svc-preflight@contoso.com -W -E pr=1000/noprompt \
        -b "DC=contoso,DC=com" "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))" \
        <the attributes, space-separated> > contoso.ldif

The attribute list is :data:`ATTRIBUTES` (every normalized column but ``dn``,
with msExchMasterAccountSid for ``hasMasterAccountSid``). ``Get-ADUser`` in
place of ``Get-ADObject`` reads the same (its properties SamAccountName,
Surname, EmailAddress, Name are matched too) but exports users only, so
contacts and groups in a batch are then reported as not found.

What the readers accept:

* **LDIF** (``ldifde -f``, ``ldapsearch`` with or without ``-LLL``;
  :func:`read_ldif`, parsed with the ``ldif`` package after
  :mod:`.ldif_text` set apart ldapsearch's search references and result
  lines): ``changetype: add`` or plain content records, base64 values
  (``attr:: ``), folded lines, repeated lines for multi-valued attributes,
  comments (folded ones too), ``version: 1``; UTF-8, or UTF-16 as ``ldifde -u`` writes.
  A change record other than ``add`` (a ``--fix-ldif`` output, say) is refused.
* **csvde CSV** (:func:`read_csvde`): header ``DN,…``; multi-valued attributes
  joined with ``;``; binary values as ``X'hex'``; ``TRUE``/``FALSE``; UTF-8
  (BOM optional) or UTF-16 as ``csvde -u`` writes it. Without ``-u`` csvde
  writes the ANSI code page, which mangles non-ASCII names: use ``-u``.
* **Get-ADObject/Get-ADUser CSV** (:func:`read_get_aduser_csv`): PowerShell
  property names matched case-insensitively to the LDAP names
  (``DistinguishedName`` is ``dn``); an optional ``#TYPE …`` first line (no
  ``-NoTypeInformation``); ``True``/``False``; multi-valued properties joined
  with ``;`` by the ``-join ';'`` calculated properties above. Without them
  ``Export-Csv`` writes the type name
  ``Microsoft.ActiveDirectory.Management.ADPropertyValueCollection`` instead of
  the values: that export is refused, naming the column and the calculated
  property to add.

In both CSV forms a value may itself hold ``;`` (an
``EUM:4711;phone-context=…`` proxy address, an ``X400:c=US;a= ;…`` one): a
list is split only where the next value starts the way that attribute's values
do (a ``type:`` prefix for proxyAddresses, ``name=`` for DNs). msExchMasterAccountSid
counts by its presence only (``hasMasterAccountSid``). A missing ``cn`` is taken
from the first RDN of the DN. Values are kept as written (no stripping: the
IdFix checks look for stray white space).

An export with no objects, or cut short (no line break after the last
line, a last entry without objectClass, a base64 value cut on the last line,
ldapsearch's final result missing or not a success, a CSV record with fewer
fields than the header), is a :class:`~preflight.registry.SourceError`.

The CSV readers are column-wise (``pandas.read_csv`` with ``dtype=str``, then
one operation per column — low-cardinality columns are parsed once per distinct
value through :func:`pandas.factorize`): a csvde export of 10^6 objects loads
in a few seconds (``benchmarks/bench_exports.py``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ... import _ldif
from ...registry import SourceError
from ..schemas import DIRECTORY_COLUMNS, DIRECTORY_LISTS
from . import FrameSource, ldif_text
from .frame import build, first_line, tuples

__all__ = ["ATTRIBUTES", "FORMATS", "ExportSource", "detect_format", "read_csvde", "read_export", "read_get_aduser_csv",
           "read_ldif"]

#: The ``-l`` / ``-Properties`` list of the export commands above.
ATTRIBUTES: tuple[str, ...] = tuple(
    "msExchMasterAccountSid" if c == "hasMasterAccountSid" else c for c in DIRECTORY_COLUMNS if c != "dn"
)
#: Normalized column -> the LDAP attribute an export holds it in.
_ATTRIBUTE_OF = {"hasMasterAccountSid": "msExchMasterAccountSid"}
#: ``describe()["format"]`` values.
FORMATS = ("ldif", "csvde", "get-aduser")

#: LDAP attribute names (case-folded) -> normalized column.
_LDAP_NAMES = {c.casefold(): c for c in DIRECTORY_COLUMNS if c != "hasMasterAccountSid"}
_LDAP_NAMES.update({"msexchmasteraccountsid": "hasMasterAccountSid", "distinguishedname": "dn"})
del _LDAP_NAMES["dn"]  # ``dn`` is the LDIF record's own line, ``DN`` csvde's first column
#: PowerShell property names of Get-ADUser/Get-ADObject that differ from the LDAP
#: name; an LDAP-named column wins over its alias when both are present.
_PS_ALIASES = {"name": "cn", "surname": "sn", "emailaddress": "mail"}
_COLLECTION = "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"
#: One value of a ``;``-joined list (``findall``): a value may hold ``;`` when the
#: text after it does not start as a new value of that attribute does.
_VALUE_RE = {
    "proxyAddresses": re.compile(r"[^;]+(?:;(?![A-Za-z0-9][A-Za-z0-9-]*:)[^;]*)*"),
    "publicDelegates": re.compile(r"[^;]+(?:;(?!\s*[A-Za-z][A-Za-z0-9-]*=)[^;]*)*"),
    "msExchDelegateListLink": re.compile(r"[^;]+(?:;(?!\s*[A-Za-z][A-Za-z0-9-]*=)[^;]*)*"),
}
_PLAIN_VALUE_RE = re.compile(r"[^;]+")
_SNIFF_BYTES = 65536


# --------------------------------------------------------------------------- entry points


def read_export(path: str | os.PathLike[str]) -> ExportSource:
    """Read a directory export, its format told by its content (:func:`detect_format`).

    Returns:
        an :class:`ExportSource` whose ``describe()`` is ``{"kind": "directory",
        "format": "ldif"|"csvde"|"get-aduser", "path": str, "objects": n}``.

    Raises:
        SourceError: the file is unreadable, of no known format, malformed
            (the reason names the file and, where known, the line, record or column),
            empty or cut short.
    """
    fmt = detect_format(path)
    frame, known = _read_ldif(path) if fmt == "ldif" else _read_csv(path, fmt)
    return ExportSource(frame, {"kind": "directory", "format": fmt, "path": str(path), "objects": len(frame)}, known)


class ExportSource(FrameSource):
    """A directory export in memory, and which attributes it holds.

    An attribute the export does not hold is *unknown*, not empty: in a CSV, a
    column the header lacks; in LDIF, an attribute no entry has (ldifde does not
    record its ``-l`` list) unless ldapsearch's ``# requesting:`` line names it.
    A present column's empty cell, or an entry without an attribute the
    export holds, is a known empty value.

    Args:
        frame, description: as :class:`FrameSource`.
        known: the normalized columns the export holds (``dn`` and ``cn`` always).
    """

    def __init__(self, frame: pd.DataFrame, description: dict[str, Any], known: Iterable[str]):
        super().__init__(frame, description)
        self.known = frozenset(known) | {"dn", "cn"}

    def unknown(self, attributes: Iterable[str]) -> str | None:
        missing = [a for a in dict.fromkeys(attributes) if a not in self.known]
        if not missing:
            return None
        names = ", ".join(_ATTRIBUTE_OF.get(a, a) for a in missing)
        name, fmt = Path(self.description.get("path", "")).name, self.description.get("format")
        these = "it" if len(missing) == 1 else "them"
        if fmt == "ldif":
            return (f"no entry of {name} has {names} (so the export may not have asked for "
                    f"{these}): add {these} to the attribute list of the export command (ldifde -l, or "
                    "ldapsearch's attributes; README: The on-premises directory)")
        where = "csvde's -l list" if fmt == "csvde" else "-Properties and Select-Object of Get-ADObject"
        return (f"{name} has no {names} column{'s' if len(missing) > 1 else ''}: add {these} to {where} "
                "(README: The on-premises directory)")


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"ldif"`` (first line other than blank or ``#`` comment is ``dn:``,
    ``version:`` or another ``attribute: value`` line), ``"csvde"`` (CSV header whose first field is ``DN``) or
    ``"get-aduser"`` (optional ``#TYPE …`` line, then a CSV header with a
    ``DistinguishedName`` field), from the first 64 KiB of the file.

    Raises:
        SourceError: unreadable, or none of the three.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None
    text = head.decode(_encoding_of(head), errors="ignore").lstrip("\ufeff")
    if text.startswith("#TYPE"):
        fields = _header_fields(next((ln for ln in text.splitlines()[1:] if ln.strip()), ""))
        if "distinguishedname" in fields:
            return "get-aduser"
    else:
        first = ldif_text.first_line(text.encode("utf-8"))  # past comments, folded ones too
        if not first.strip():  # ldifde writes nothing when its search finds nothing
            raise SourceError(f"{Path(path).name}: the export is empty: it holds no directory objects "
                              "(nothing but blank lines and comments)")
        if ldif_text.LDIF_LINE_RE.match(first):  # dn:, version:, or another attribute (then an LDIF error says why)
            return "ldif"
        fields = _header_fields(first.decode("utf-8"))
        if fields and fields[0] == "dn":
            return "csvde"
        if "distinguishedname" in fields:
            return "get-aduser"
    raise SourceError(
        f"{path} is not an ldifde LDIF, csvde CSV or Get-ADObject/Get-ADUser CSV export "
        "(expected a first line 'dn: …' or 'version: 1', or a CSV header whose first field is DN, "
        "or one with a DistinguishedName column)"
    )


def read_ldif(path: str | os.PathLike[str]) -> pd.DataFrame:
    """An LDIF export (``ldifde -f``, or OpenLDAP ``ldapsearch`` output with or
    without ``-LLL``) as a validated DirectoryObjects frame, parsed by the
    installed ``ldif`` module (:mod:`preflight._ldif`).

    Raises:
        SourceError: unreadable or malformed LDIF (with the line), a change
            record other than ``add``, a value that is not UTF-8 text, a bad
            integer or boolean, a duplicate DN; a file cut short or an
            ldapsearch that failed (:mod:`.ldif_text`); no entries.
    """
    return _read_ldif(path)[0]


def _read_ldif(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, frozenset[str]]:
    """The frame and the normalized columns the export holds: those some entry
    has, and those ldapsearch's ``# requesting:`` line names (all for ``*``)."""
    name = Path(path).name
    data = _read_bytes(path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # ldifde -u
        data = _decode(data, "utf-16", path).encode("utf-8")
    elif data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    text = ldif_text.split(data, name)
    try:
        rows = [(dn, entry) for dn, entry in _ldif.parse(text.data) if dn is not None]  # None: a lone ``version: 1``
    except _ldif.LDIFSyntaxError as exc:
        raise text.error(exc.record, first_line(exc)) from None

    n = len(rows)
    raw: dict[str, list] = {c: [""] * n for c in DIRECTORY_COLUMNS if c not in DIRECTORY_LISTS}
    lists: dict[str, list] = {c: [()] * n for c in DIRECTORY_LISTS}
    known = {"dn", "cn"} | {c for a, c in _LDAP_NAMES.items() if a in (text.requested or ())}
    if text.requested == {"*"}:
        known = set(DIRECTORY_COLUMNS)
    for i, (dn, entry) in enumerate(rows):
        if not dn.strip():
            raise SourceError(f"{name}: record {i + 1} has an empty dn")
        raw["dn"][i] = dn
        for attr, values in entry.items():
            key = attr.split(";", 1)[0].casefold()
            if key == "changetype":
                kind = " ".join(v.decode("ascii", "replace") if isinstance(v, bytes) else v for v in values).strip().lower()
                if kind != "add":
                    raise SourceError(f"{name}: the record of {dn} is a 'changetype: {kind}' change record, "
                                      "not an export (give the output of ldifde -f)")
                continue
            column = _LDAP_NAMES.get(key)
            if column is None or column == "dn":  # the record's dn line is the one
                continue
            known.add(column)
            if column == "hasMasterAccountSid":
                raw[column][i] = "TRUE"  # presence; the binary value is never needed
                continue
            try:
                texts = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
            except UnicodeDecodeError:
                raise SourceError(f"{name}: {attr} of {dn} is not UTF-8 text") from None
            if column in DIRECTORY_LISTS:  # ``proxyAddresses`` and ``proxyaddresses`` lines add up
                lists[column][i] = lists[column][i] + tuple(texts)
            elif not raw[column][i]:
                raw[column][i] = texts[0]
    cols = {c: pd.Series(v, dtype=object) for c, v in raw.items()}
    for c, v in lists.items():
        s = pd.Series(v, dtype=object)
        cols[c] = s.map(lambda t: tuple(x.lower() for x in t)) if c == "objectClass" else s
    if n > 1 and not lists["objectClass"][-1] and any(lists["objectClass"]):  # every exported object has one
        line = text.records[-1][0]
        raise ldif_text.cut_short(name, f"line {line}: the last entry ({rows[-1][0]}) has no objectClass, "
                                        "which the other entries have")
    return build(cols, name, lambda i: f"the record of {rows[i][0]}"), frozenset(known)


def read_csvde(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A csvde CSV (``DN`` first; UTF-8 with or without BOM, or UTF-16 as
    ``csvde -u`` writes) as a validated DirectoryObjects frame, column-wise.

    Raises:
        SourceError: unreadable or malformed CSV (with pandas' line), no ``DN``
            column, a duplicate or empty DN, a bad integer or boolean.
    """
    return _read_csv(path, "csvde")[0]


def read_get_aduser_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A ``Get-ADObject``/``Get-ADUser … | Export-Csv`` CSV (optional ``#TYPE``
    line; PowerShell property names; ``-join ';'`` multi-values) as a validated
    DirectoryObjects frame, column-wise.

    Raises:
        SourceError: as :func:`read_csvde`, no ``DistinguishedName`` column, or
            a column holding ``ADPropertyValueCollection`` instead of its values.
    """
    return _read_csv(path, "get-aduser")[0]


# --------------------------------------------------------------------------- CSV


def _read_csv(path: str | os.PathLike[str], fmt: str) -> tuple[pd.DataFrame, frozenset[str]]:
    """The frame and the normalized columns the header holds."""
    name = Path(path).name
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None
    encoding = _encoding_of(head)
    skip = 1 if head.decode(encoding, errors="ignore").lstrip("\ufeff").startswith("#TYPE") else 0
    options = {"dtype": str, "keep_default_na": False, "encoding": encoding, "skiprows": skip}
    try:
        # pyarrow's parser uses both cores (10^6 objects: 0.8 s against 3.3 s); a file it refuses is read
        # again by pandas' C parser, whose messages name the line.
        table = pd.read_csv(path, engine="pyarrow", **options)
    except Exception:
        table = None
    fallback = table is None
    try:
        if fallback:
            table = pd.read_csv(path, engine="c", na_filter=False, skip_blank_lines=True, **options)
    except UnicodeDecodeError:
        _decode(_read_bytes(path), encoding, path)  # raises with the line
        raise SourceError(f"{name}: not {encoding} text") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{name}: the file is empty (no CSV header)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SourceError(f"{name}: not a valid CSV export: {first_line(exc)}") from None
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None

    if not isinstance(table.index, pd.RangeIndex):  # pandas took the first field as the index
        raise SourceError(f"{name}: not a valid CSV export: the records have more fields than the header "
                          f"(line {skip + 1}) has")
    if not _ends_with_line_break(path, head, encoding):  # csvde and Export-Csv end every record with one
        raise ldif_text.cut_short(name, "the file ends inside a record (no line break after its last line)")
    if fallback:  # pyarrow refuses a record with fewer fields than the header; pandas' C parser pads it
        _check_field_counts(path, encoding, skip, len(table.columns), len(table), name)
    header = [str(c) for c in table.columns]
    columns = _map_columns(header, fmt, name)
    data = {canonical: table[original] for original, canonical in columns.items()}
    first = skip + 2  # the physical line of data record 0 (when no value spans lines)

    def where(i: int) -> str:
        return f"record {i + 1} (line {first + i}, DN {data['dn'].iat[i]})"

    if fmt == "get-aduser":
        for original, canonical in columns.items():
            if canonical in DIRECTORY_LISTS or canonical == "objectClass":
                values = data[canonical].tolist()
                if _COLLECTION in values:
                    i = values.index(_COLLECTION)
                    raise SourceError(
                        f"{name}: column {original} holds {_COLLECTION!r} instead of its values ({where(i)}): "
                        "Export-Csv writes a multi-valued property's type name. Re-export with the calculated "
                        f"property @{{n='{original}';e={{$_.{original} -join ';'}}}} in Select-Object "
                        "(the full command is in preflight.sources.directory.exports)"
                    )
    with _gc_paused():  # millions of new tuples: no use in the cyclic collector scanning them
        for c in DIRECTORY_LISTS:
            if c in data:
                data[c] = _split_lists(data[c], c)
        return build(data, name, where), frozenset(data)


def _ends_with_line_break(path: str | os.PathLike[str], head: bytes, encoding: str) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(fh.tell() - 2, 0))
        tail = fh.read()
    if encoding.startswith("utf-16"):
        return tail == (b"\x00\n" if head.startswith(codecs.BOM_UTF16_BE) else b"\n\x00")
    return tail.endswith(b"\n")


def _check_field_counts(path: str | os.PathLike[str], encoding: str, skip: int, width: int, records: int,
                        name: str) -> None:
    """Raise SourceError at the first record with fewer fields than the header:
    the last record (a file cut short), or another (a broken record)."""
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh)
        next(reader, None)
        number = 0
        for row in reader:
            if not row:
                continue
            number += 1
            if len(row) < width:
                where = (f"line {reader.line_num + skip}: record {number} (starting {row[0][:80]!r}) has {len(row)} "
                         f"of the header's {width} fields")
                if number == records:
                    raise ldif_text.cut_short(name, where)
                raise SourceError(f"{name}: not a valid CSV export: {where}")


def _map_columns(header: list[str], fmt: str, name: str) -> dict[str, str]:
    """Header name -> normalized column (unknown columns dropped). An LDAP name
    wins over a PowerShell alias of the same column; two headers for one
    column (``mail`` and ``Mail``) are an error."""
    out: dict[str, str] = {}
    taken: dict[str, str] = {}
    if fmt == "csvde":
        if not header or header[0].casefold() != "dn":
            raise SourceError(f"{name}: a csvde export's first column is DN; this header starts {header[:1]}")
        out[header[0]], taken["dn"] = "dn", header[0]
        rest = header[1:]
    else:
        dn = [h for h in header if h.casefold() == "distinguishedname"]
        if len(dn) != 1:
            raise SourceError(f"{name}: a Get-ADObject/Get-ADUser export needs one DistinguishedName column; "
                              f"found {len(dn)}")
        out[dn[0]], taken["dn"] = "dn", dn[0]
        rest = [h for h in header if h is not dn[0]]
    for alias_pass in (False, True):
        for h in rest:
            key = h.strip().casefold()
            canonical = (_PS_ALIASES if alias_pass and fmt == "get-aduser" else _LDAP_NAMES).get(key)
            if canonical is None or canonical == "dn" or (alias_pass and canonical in taken):
                continue  # csvde without -l also exports distinguishedName: the DN column is the one
            if canonical in taken:
                raise SourceError(f"{name}: columns {taken[canonical]} and {h} are both {canonical}")
            out[h], taken[canonical] = canonical, h
    return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _split_lists(column: pd.Series, attribute: str) -> pd.Series:
    """A ``;``-joined column as tuples (``()`` when empty) through C-level
    ``map`` calls of ``re.findall`` and ``tuple`` — no Python code per row.
    objectClass (a handful of distinct values) is split once per distinct value."""
    finder = _VALUE_RE.get(attribute, _PLAIN_VALUE_RE).findall
    if attribute == "objectClass":
        codes, uniques = pd.factorize(column, sort=False)
        table = tuples(list(map(tuple, map(finder, map(str.lower, uniques.tolist())))) + [()])
        return pd.Series(table.take(codes), index=column.index, dtype=object)
    return pd.Series(tuples(list(map(tuple, map(finder, column.tolist())))), index=column.index, dtype=object)


# --------------------------------------------------------------------------- bytes and text


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None


def _encoding_of(head: bytes) -> str:
    """UTF-16 with a BOM (``csvde -u``, ``ldifde -u``), BOM-less UTF-16LE (NULs
    in every second byte), else UTF-8 with an optional BOM."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:512]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return "utf-16-le"
    return "utf-8-sig"


def _decode(data: bytes, encoding: str, path: Any) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        unit = 2 if encoding.startswith("utf-16") else 1
        line = data[: exc.start].decode(encoding, errors="ignore").count("\n") + 1 if unit == 2 \
            else data[: exc.start].count(b"\n") + 1
        raise SourceError(f"{Path(path).name}: line {line}: not {'UTF-16' if unit == 2 else 'UTF-8'} text "
                          f"(byte offset {exc.start}); export with csvde -u / ldifde -u, or Export-Csv -Encoding UTF8"
                          ) from None


def _header_fields(line: str) -> list[str]:
    try:
        row = next(csv.reader([line]), [])
    except csv.Error:
        return []
    return [f.strip().lstrip("\ufeff").casefold() for f in row]
