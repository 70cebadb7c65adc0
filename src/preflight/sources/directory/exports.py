"""Offline directory exports: ldifde LDIF, csvde CSV and ``Get-ADUser | Export-Csv``.

Each reader gives the normalized :class:`~preflight.sources.schemas.DirectoryObjects`
frame the live LDAP source gives, so every directory check runs the same on an
export. :func:`read_export` tells the formats apart by their content.

The commands that produce them (run on a domain-joined Windows machine with the
AD tools; ``-d`` is the search base, ``-r`` the filter, ``-l`` the attributes)::

    ldifde -f contoso.ldif -d "DC=contoso,DC=com" -r "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))" -l "objectClass,cn,sAMAccountName,userPrincipalName,mail,proxyAddresses,mailNickname,targetAddress,displayName,givenName,sn,homeMDB,msExchHomeServerName,msExchRecipientTypeDetails,msExchHideFromAddressLists,msExchUMEnabledFlags,msExchUMRecipientDialPlanLink,msExchUMTemplateLink,userAccountControl,manager,publicDelegates,msExchDelegateListLink,msExchMasterAccountSid,legacyExchangeDN,isCriticalSystemObject"

    csvde -u -f contoso.csv -d "DC=contoso,DC=com" -r "<the same filter>" -l "<the same attributes>"

    Get-ADObject -SearchBase "DC=contoso,DC=com" -LDAPFilter "<the same filter>" -Properties <the same attributes> |
      Select-Object DistinguishedName, ObjectClass, cn, sAMAccountName, userPrincipalName, mail, mailNickname,
        targetAddress, displayName, givenName, sn, homeMDB, msExchHomeServerName, msExchRecipientTypeDetails,
        msExchHideFromAddressLists, msExchUMEnabledFlags, msExchUMRecipientDialPlanLink, msExchUMTemplateLink,
        userAccountControl, manager, legacyExchangeDN, isCriticalSystemObject,
        @{n='proxyAddresses';e={$_.proxyAddresses -join ';'}},
        @{n='publicDelegates';e={$_.publicDelegates -join ';'}},
        @{n='msExchDelegateListLink';e={$_.msExchDelegateListLink -join ';'}},
        @{n='msExchMasterAccountSid';e={[bool]$_.msExchMasterAccountSid}} |
      Export-Csv contoso.csv -NoTypeInformation -Encoding UTF8

In the two CSV forms a multi-valued attribute holds its values joined with ``;``
(csvde's separator; the ``-join ';'`` above); a proxy address that contains ``;``
itself (``EUM:4711;phone-context=…``) is kept whole, since each value starts with
its type prefix. Without the calculated properties
``Export-Csv`` writes the type name ``Microsoft.ActiveDirectory.Management.
ADPropertyValueCollection`` instead of the values: that export is refused with
the column named. A ``#TYPE`` first line (no ``-NoTypeInformation``) is skipped.
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path
from typing import Any

from ...registry import SourceError
from ..schemas import DIRECTORY_BOOLS, DIRECTORY_COLUMNS, DIRECTORY_INTS, DIRECTORY_LISTS, DIRECTORY_STRINGS
from . import FrameSource

#: Attribute and PowerShell property names (case-folded) -> normalized column.
_ALIASES = {c.casefold(): c for c in DIRECTORY_COLUMNS}
_ALIASES.update({"distinguishedname": "dn", "msexchmasteraccountsid": "hasMasterAccountSid", "name": "cn"})
_COLLECTION = "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"
#: Where a ``;``-joined multi-value splits. A value may hold ``;`` itself (an
#: ``EUM:4711;phone-context=…`` proxy address): split only where the next value
#: starts as one of that attribute does (a proxy type prefix, an RDN).
_SPLIT_PLAIN = re.compile(";")
_SPLIT = {
    "proxyAddresses": re.compile(r";(?=[A-Za-z0-9][A-Za-z0-9-]*:)"),
    "publicDelegates": re.compile(r";(?=\s*[A-Za-z][A-Za-z0-9-]*=)"),
    "msExchDelegateListLink": re.compile(r";(?=\s*[A-Za-z][A-Za-z0-9-]*=)"),
}


def read_export(path: str | os.PathLike[str]) -> FrameSource:
    """Read a directory export, its format told by its content.

    Returns a :class:`FrameSource` whose ``describe()`` names the format
    (``ldif``, ``csvde`` or ``get-aduser``), the path and the object count.

    Raises:
        SourceError: the file is unreadable, of no known format, or malformed
            (the reason names the file and, where known, the line or column).
    """
    path = Path(path)
    try:
        head = path.open("rb").read(4096)
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None
    text = _decode(head, path, partial=True).lstrip("\ufeff")
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    if first.lower().startswith(("dn:", "version:")):
        frame, fmt = read_ldif(path), "ldif"
    elif first.split(",")[0].strip('"').casefold() in ("dn", "distinguishedname"):
        frame = read_csv(path)
        fmt = "csvde" if first.split(",")[0].strip('"') == "DN" else "get-aduser"
    else:
        raise SourceError(f"{path} is not an ldifde LDIF, csvde CSV or Get-ADUser CSV export "
                          "(expected a first line 'dn: …', or a CSV header starting DN or DistinguishedName)")
    return FrameSource(frame, {"kind": "directory", "format": fmt, "path": str(path), "objects": len(frame)})


def read_ldif(path: str | os.PathLike[str]):
    """An ldifde LDIF file (base64 values, folded lines, repeated attributes) as a
    DirectoryObjects frame, parsed with the ``ldif`` package.

    Raises:
        SourceError: unreadable or malformed LDIF (with the parser's reason).
    """
    import ldif

    from ..schemas import directory_frame

    objects: list[dict[str, Any]] = []
    try:
        with open(path, "rb") as fh:
            for dn, entry in ldif.LDIFParser(fh, encoding=None).parse():
                obj: dict[str, Any] = {"dn": dn.decode("utf-8") if isinstance(dn, bytes) else dn}
                for name, values in entry.items():
                    column = _ALIASES.get(name.casefold())
                    if column == "hasMasterAccountSid":
                        obj[column] = True
                    elif column is not None and column != "dn":
                        decoded = [v.decode("utf-8") for v in values]
                        obj[column] = decoded if column in DIRECTORY_LISTS else decoded[0]
                obj.setdefault("cn", _first_rdn(obj["dn"]))
                objects.append(obj)
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path} is not valid LDIF: {exc}") from None
    try:
        return directory_frame(objects)
    except Exception as exc:  # pandera SchemaError: e.g. a non-numeric integer attribute
        raise SourceError(f"{path}: an attribute value has the wrong type: {exc}") from None


def read_csv(path: str | os.PathLike[str]):
    """A csvde or ``Get-ADUser | Export-Csv`` CSV (UTF-8 with or without BOM, or
    UTF-16 as ``csvde -u`` writes it) as a DirectoryObjects frame, column-wise
    (no per-object Python loop: this reads directories of 10^6 objects).

    Raises:
        SourceError: unreadable or malformed CSV, no DN column, a duplicate DN,
            or a multi-valued column holding PowerShell's collection type name.
    """
    import io

    import pandas as pd

    from ..schemas import DirectoryObjects

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the directory export {path}: {exc.strerror or exc}") from None
    text = _decode(raw, path)
    skip = 1 if text.startswith("#TYPE") else 0
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skiprows=skip)
    except (ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"{path} is not a valid CSV export: {exc}") from None
    names: dict[str, str] = {}
    for c in df.columns:  # the first of synonyms wins (DN over distinguishedName, cn over name)
        canonical = _ALIASES.get(c.casefold())
        if canonical is not None and canonical not in names.values():
            names[c] = canonical
    df = df[list(names)].rename(columns=names)
    if "dn" not in df.columns:
        raise SourceError(f"{path} has no DN (csvde) or DistinguishedName (Get-ADUser) column")
    for column in DIRECTORY_LISTS:
        if column in df.columns and df[column].str.startswith(_COLLECTION).any():
            raise SourceError(f"{path}: column {column} holds {_COLLECTION!r}, not its values; export it as "
                              f"@{{n='{column}';e={{$_.{column} -join ';'}}}} (see the export commands in the README)")
    n = len(df)
    empty = pd.Series([""] * n, dtype="string")
    col = {c: df[c].astype("string").str.strip() if c in df.columns else empty for c in DIRECTORY_COLUMNS}
    out: dict[str, Any] = {c: col[c] for c in DIRECTORY_STRINGS}
    if "cn" not in df.columns:
        out["cn"] = col["dn"].str.extract(r"^\s*[A-Za-z]+=((?:\\.|[^,])*)", expand=False).fillna("")
    for c in DIRECTORY_LISTS:
        values = col[c].str.lower() if c == "objectClass" else col[c]
        split = _SPLIT.get(c, _SPLIT_PLAIN).split
        out[c] = pd.Series([tuple(split(v)) if v else () for v in values.tolist()], dtype=object)
    for c in DIRECTORY_INTS:
        out[c] = pd.to_numeric(col[c].replace("", pd.NA), errors="coerce").astype("Int64")
        bad = (col[c] != "") & out[c].isna()
        if bad.any():
            raise SourceError(f"{path}: {c} is not an integer on data row {int(bad.to_numpy().nonzero()[0][0]) + 1}")
    flags = {"TRUE": True, "FALSE": False}
    for c in DIRECTORY_BOOLS:
        out[c] = col[c].str.upper().map(flags).astype("boolean")
    sid = col["hasMasterAccountSid"].str.upper()
    out["hasMasterAccountSid"] = pd.array([True if v not in ("", "FALSE") else None for v in sid.tolist()], dtype="boolean")
    frame = pd.DataFrame(out)
    duplicated = frame["dn"].str.casefold().duplicated()
    if duplicated.any():
        raise SourceError(f"{path}: the DN {frame['dn'][duplicated].iloc[0]} occurs twice")
    try:
        return DirectoryObjects.validate(frame)
    except Exception as exc:  # pandera SchemaError
        raise SourceError(f"{path}: unexpected values: {exc}") from None


def _decode(data: bytes, path: Any, partial: bool = False) -> str:
    """UTF-16 (with BOM, as ``csvde -u`` writes) or UTF-8 (BOM optional)."""
    codec = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(codec, errors="ignore" if partial else "strict")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path} is not UTF-8 or UTF-16 text (byte offset {exc.start}); "
                          "export with csvde -u or Export-Csv -Encoding UTF8") from None


def _first_rdn(dn: str) -> str:
    m = re.match(r"^\s*[A-Za-z]+=((?:\\.|[^,])*)", dn)
    return m.group(1) if m else dn
