"""Tenant recipients source: Exchange Online's recipients and Entra ID's users, from exports.

The cloud checks (PF6xx) join each batch row with the cloud object that carries
its address. The data comes from exports an admin makes once and gives with
``--tenant-recipients FILE`` (repeatable; a folder of Graph pages too) or
``[tool.preflight.cloud] recipients = [...]``. Each file's kind is recognized
from its columns (keys compared case-insensitively), JSON or CSV; files may be
UTF-8 (BOM optional) or UTF-16 with BOM (Windows PowerShell 5.1's ``>`` and
``-Encoding Unicode``), and CSV files may start with Export-Csv's ``#TYPE`` line.

``get-recipient`` — Exchange Online PowerShell (``Connect-ExchangeOnline``).
``EmailAddresses`` is multi-valued: join it with ``;`` in a calculated
property, or Export-Csv writes its type name (``System.Collections.ArrayList``)
instead of the addresses::

    Get-Recipient -ResultSize Unlimited | Select-Object Name, PrimarySmtpAddress, RecipientTypeDetails,
        @{n='EmailAddresses'; e={$_.EmailAddresses -join ';'}}, ExternalEmailAddress, IsDirSynced |
        Export-Csv recipients.csv -NoTypeInformation -Encoding UTF8
    # or JSON (EmailAddresses stays a list):
    Get-Recipient -ResultSize Unlimited | Select-Object Name, PrimarySmtpAddress, RecipientTypeDetails,
        EmailAddresses, ExternalEmailAddress, IsDirSynced | ConvertTo-Json -Depth 3 | Set-Content recipients.json

A joined cell is split only where the next value starts with a prefix
(``smtp:``, ``X500:``, …), so an ``X400:c=US;a= ;…`` address keeps its ``;``.

``graph-users`` — Microsoft Graph ``GET /users`` (Entra ID: licences and sync state)::

    az rest --method get --url 'https://graph.microsoft.com/v1.0/users?$top=999&$select=userPrincipalName,mail,
        proxyAddresses,assignedLicenses,onPremisesSyncEnabled' > users-1.json     # (one line, no spaces)
    # then GET each page's @odata.nextLink into users-2.json, users-3.json, … (a folder of pages),
    # or append the pages to one file (pages concatenated)

    Get-MgUser -All -Property UserPrincipalName,Mail,ProxyAddresses,AssignedLicenses,OnPremisesSyncEnabled |
        Select-Object UserPrincipalName, Mail, ProxyAddresses, AssignedLicenses, OnPremisesSyncEnabled |
        ConvertTo-Json -Depth 5 | Set-Content users.json

Pages are Graph's response objects (``value``, ``@odata.nextLink``), one after
the other in a file, in a JSON list, one per file in a folder (read in the
natural order of the file names: ``users-2`` before ``users-10``), or one per
file given in order. Every page
but the last must have ``@odata.nextLink`` and the last must not: a listing
that stops early is refused as truncated, as is one with fewer users than its
``@odata.count`` (``$count=true``), or one that repeats a userPrincipalName
(a page saved twice). ``ConvertTo-Json`` needs ``-Depth 5``: at its default
depth it writes each licence as the text ``Microsoft.Graph…AssignedLicense``.

``subscribed-skus`` — Microsoft Graph ``GET /subscribedSkus`` (which licence
SKUs carry an Exchange Online mailbox plan)::

    az rest --method get --url https://graph.microsoft.com/v1.0/subscribedSkus > skus.json
    Get-MgSubscribedSku -All | Select-Object SkuId, SkuPartNumber, ServicePlans | ConvertTo-Json -Depth 5 | Set-Content skus.json

A SKU gives an Exchange Online mailbox when one of its service plans is named
``EXCHANGE_S_*`` other than ``EXCHANGE_S_FOUNDATION`` (in non-mail SKUs such as
Entra ID P1) and ``EXCHANGE_S_ARCHIVE*`` (archive add-ons): Plan 1
(``EXCHANGE_S_STANDARD``), Plan 2 (``EXCHANGE_S_ENTERPRISE``), Kiosk
(``EXCHANGE_S_DESKLESS``), Essentials. A user's licence counts when that plan
is not in the licence's ``disabledPlans``.

Instead of exporting ``/users`` and ``/subscribedSkus``, preflight can read them
live (``graph_tenant`` and friends in ``[cloud]``; see :mod:`preflight.sources.graph`).

Only :func:`read_recipients` and :func:`recipients_from_config` touch the file
system (and the latter Microsoft Graph, when configured); :func:`parse_recipients`
is a pure function of the bytes.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..registry import Missing, SourceError
from .directory.exports import _split_lists
from .tenant import TenantExportError, _decode

#: Kinds of export (``describe()["files"][i]["kind"]``).
KINDS = ("get-recipient", "graph-users", "subscribed-skus")
CLOUD_KEYS = frozenset({"recipients"})
#: Columns of the normalized frame (one row per cloud object, index ``oid``).
RECIPIENT_COLUMNS = ("view", "source", "item", "name", "mail", "proxyAddresses", "recipientTypeDetails",
                     "dirSynced", "licences")
#: ``view`` values: the object as Exchange Online shows it (Get-Recipient) or as Entra ID does (Graph users).
VIEWS = ("exchange", "entra")

_REQUIRED = {
    "get-recipient": ("primarysmtpaddress", "emailaddresses", "recipienttypedetails", "isdirsynced"),
    "graph-users": ("userprincipalname", "mail", "proxyaddresses"),
}
_TYPE_NAME_RE = re.compile(r"^(?:System|Microsoft|Deserialized)\.[\w.`\[\]]+$")
#: RecipientTypeDetails enum values Windows PowerShell's ConvertTo-Json may write as numbers.
_RECIPIENT_TYPES = {
    1: "UserMailbox", 2: "LinkedMailbox", 4: "SharedMailbox", 16: "RoomMailbox", 32: "EquipmentMailbox",
    64: "MailContact", 128: "MailUser", 256: "MailUniversalDistributionGroup", 512: "MailNonUniversalGroup",
    1024: "MailUniversalSecurityGroup", 2048: "DynamicDistributionGroup", 2147483648: "RemoteUserMailbox",
}
_NATURAL_RE = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Sku:
    """A subscribed licence SKU: its part number and the ids (lower case) of its
    Exchange Online mailbox service plans (empty when it has none)."""

    part_number: str
    exchange_plans: frozenset[str]
    exchange_plan_names: tuple[str, ...] = ()


@dataclass
class TenantRecipients:
    """The tenant's recipients and users from one or more exports.

    Attributes:
        objects: one row per cloud object, index ``oid`` 0..n-1, columns
            :data:`RECIPIENT_COLUMNS`: ``view`` (``"exchange"`` or ``"entra"``),
            ``source`` (file) and ``item`` (1-based position in it), ``name``
            (Name, or userPrincipalName), ``mail`` (primary SMTP address, ``""``
            when none), ``proxyAddresses`` (tuple, ``SMTP:``/``smtp:``/… prefixed),
            ``recipientTypeDetails`` (``""`` in the entra view), ``dirSynced``
            (nullable boolean: IsDirSynced, or onPremisesSyncEnabled is true),
            ``licences`` (entra view: tuple of ``(skuId, frozenset(disabledPlans))``,
            lower case; None when the export has no assignedLicenses).
        skus: skuId (lower case) -> :class:`Sku`, or None when no
            ``/subscribedSkus`` export was given.
        files: what was read, per file: ``{"path", "kind", "items"}``.
        index: the join key, a pyarrow Table of ``oid`` (int64) and ``key``
            (string): each object's primary SMTP address and ``smtp:`` proxy
            addresses, lower case, stripped (see :func:`address_index`).
    """

    objects: pd.DataFrame
    skus: dict[str, Sku] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    index: Any = None

    def __post_init__(self) -> None:
        if self.index is None:
            self.index = address_index(self.objects)

    def views(self) -> set[str]:
        return set(self.objects["view"].unique().tolist())

    def describe(self) -> dict[str, Any]:
        counts = self.objects["view"].value_counts()
        out: dict[str, Any] = {"kind": "tenant-recipients", "paths": sorted({f["path"] for f in self.files})}
        out["recipients"] = int(counts.get("exchange", 0))
        out["users"] = int(counts.get("entra", 0))
        if self.skus is not None:
            out["skus"] = len(self.skus)
        return out


# --------------------------------------------------------------------------- reading


def recipients_from_config(config: Any) -> TenantRecipients:
    """The exports ``[cloud] recipients`` names (a path or a list of paths,
    relative to the config file; a folder holds Graph pages or other exports).

    Raises:
        Missing: none given.
        SourceError: a file unreadable, of no known kind, broken or truncated.
        preflight.config.ConfigError: unknown key or bad value.
    """
    from ..config import ConfigError
    from .graph import GRAPH_KEYS, options_from_config, read_graph

    raw = dict(getattr(config, "cloud", None) or {})
    where = f" in {config.source}" if getattr(config, "source", None) else ""
    known = CLOUD_KEYS | GRAPH_KEYS
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"unknown [cloud] option(s){where}: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    value = raw.get("recipients") or []
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, os.PathLike)) for v in value):
        raise ConfigError(f"[cloud] recipients{where} must be a path or a list of paths")
    graph = options_from_config(raw, config, where)
    if not value and graph is None:
        raise Missing("no tenant recipients given ([cloud] recipients, or graph_tenant for a live read)")
    groups = _groups([config.path(v) for v in value])
    if graph is not None:  # the live responses, read as the exports of the same requests would be
        groups += [[response] for response in read_graph(graph)]
    return _combine(groups)


def read_recipients(paths: list[str | os.PathLike[str]]) -> TenantRecipients:
    """Read export files and folders of exports (see the module doc).

    Raises:
        SourceError: unreadable, of no known kind, broken or truncated (the
            reason names the file and, where known, the item or line).
    """
    return _combine(_groups(paths))


def _groups(paths: list[str | os.PathLike[str]]) -> list[list[tuple[str, bytes]]]:
    """Each path's ``(name, bytes)``: one for a file, a folder's files in natural order."""
    groups: list[list[tuple[str, bytes]]] = []
    for p in paths:
        shown = os.fspath(p)
        if os.path.isdir(p):
            files = sorted((f for f in Path(p).iterdir() if f.is_file() and not f.name.startswith(".")),
                           key=lambda f: [int(t) if t.isdigit() else t.casefold() for t in _NATURAL_RE.split(f.name)])
            if not files:
                raise SourceError(f"the tenant recipients folder {shown} holds no files")
            groups.append([(str(f), _read(f)) for f in files])
        else:
            groups.append([(shown, _read(p))])
    return groups


def parse_recipients(data: bytes, name: str = "<memory>") -> TenantRecipients:
    """One export given as bytes (``name`` is shown in messages). Raises SourceError as :func:`read_recipients`."""
    return _combine([[(name, data)]])


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise SourceError(f"cannot read the tenant recipients export {os.fspath(path)}: {exc.strerror or exc}") from None


def _combine(groups: list[list[tuple[str, bytes]]]) -> TenantRecipients:
    """Parse each group (one file, or one folder's files in order) and put the objects together.
    The Graph pages of one kind, in the order given, form one listing, checked for completeness."""
    frames: list[pd.DataFrame] = []
    skus: dict[str, Sku] | None = None
    files: list[dict[str, Any]] = []
    listing: dict[str, list[tuple[str, int, dict]]] = {}  # kind -> (file, page number in it, page)
    for group in groups:
        for name, data in group:
            try:
                kind, columns, n, pages = _parse(data, name)
            except TenantExportError as exc:
                raise SourceError(str(exc)) from None
            if pages:
                listing.setdefault(kind, []).extend((name, k, pg) for k, pg in enumerate(pages, 1))
            files.append({"path": name, "kind": kind, "items": n})
            if kind == "subscribed-skus":
                skus = {**(skus or {}), **_skus(columns, n, name)}
            else:
                frames.append(_normalize(kind, columns, n, name))
    for kind, chain in listing.items():
        _check_listing(chain, kind)
    if not frames:
        raise SourceError("the tenant recipients exports hold no Get-Recipient or Graph /users export "
                          f"(only {', '.join(sorted({f['kind'] for f in files}))})")
    objects = pd.concat(frames, ignore_index=True)
    _refuse_repeats(objects)
    return TenantRecipients(objects, skus, files)


def _parse(data: bytes, name: str) -> tuple[str, dict[str, list[Any]], int, list[dict[str, Any]]]:
    """The kind, the columns (names lower case, one list per column), the number of
    items and, for Graph responses, the pages."""
    text = _decode(data, name).lstrip("\ufeff")
    stripped = text.lstrip()
    if not stripped:
        raise TenantExportError(f"{name} is empty")
    pages: list[dict[str, Any]] = []
    if stripped[0] in "[{":
        docs = _json_documents(stripped, name)
        if len(docs) == 1 and isinstance(docs[0], list) and docs[0] and all(_is_page(d) for d in docs[0]):
            docs = docs[0]  # a JSON list of pages
        if all(_is_page(d) for d in docs):
            pages = docs
            raw: list[Any] = [x for pg in pages for x in pg["value"]]
        elif len(docs) == 1:
            raw = docs[0] if isinstance(docs[0], list) else [docs[0]]  # ConvertTo-Json writes one object bare
        else:
            raise TenantExportError(f"{name} holds {len(docs)} JSON documents that are not all Graph pages (with 'value')")
        columns = _json_columns(raw, name)
        n = len(raw)
    else:
        columns, n = _csv_columns(stripped, name)
    context = str(pages[0].get("@odata.context", "")) if pages else ""
    return _kind(columns, n, name, context), columns, n, pages


def _json_columns(raw: list[Any], name: str) -> dict[str, list[Any]]:
    """JSON objects as columns (a key an object lacks is None in its column)."""
    keys: dict[str, None] = {}
    for i, x in enumerate(raw, 1):
        if not isinstance(x, dict):
            raise TenantExportError(f"{name}, item {i}: expected a JSON object, found {type(x).__name__}")
        keys.update(dict.fromkeys(x))
    columns: dict[str, list[Any]] = {}
    for k in keys:
        low = str(k).lower()
        if low in columns:
            raise TenantExportError(f"{name}: the keys {k!r} and another spelling of it are both present")
        columns[low] = [x.get(k) for x in raw]
    return columns


def _csv_columns(text: str, name: str) -> tuple[dict[str, list[Any]], int]:
    """An Export-Csv table (optional ``#TYPE`` line; comma, or the ``;``/tab of
    ``-Delimiter``/``-UseCulture``) as columns, read with the C csv module. A
    record with more or fewer fields than the header is refused (a truncated file)."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].lstrip().upper().startswith("#TYPE"):
        lines = lines[1:]
    first = lines[0] if lines else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        cut = " (the file ends inside a quoted field: truncated?)" if "unexpected end of data" in str(exc) else ""
        raise TenantExportError(f"{name} is not a readable CSV file: {exc}{cut}") from None
    rows = [r for r in rows if r]  # blank lines
    if not rows:
        raise TenantExportError(f"{name} is empty")
    header = [h.strip().lower() for h in rows[0]]
    width = len(header)
    bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
    if bad is not None:
        fewer = len(rows[bad]) < width
        raise TenantExportError(f"{name}, record {bad}: {'fewer' if fewer else 'more'} fields than the header has "
                                f"({len(rows[bad])}, not {width})" + (": the file is truncated" if fewer and bad == len(rows) - 1
                                                                       else ""))
    body = rows[1:]
    columns = {h: [r[j] for r in body] for j, h in enumerate(header) if h}
    return columns, len(body)


def _json_documents(text: str, name: str) -> list[Any]:
    """One JSON document, or several written one after the other (pages appended to one file)."""
    decoder = json.JSONDecoder()
    docs, pos = [], 0
    while pos < len(text):
        try:
            doc, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            ends = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
            cut = " (the file ends inside it: truncated?)" if ends else ""
            raise TenantExportError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{cut}") from None
        docs.append(doc)
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
    return docs


def _is_page(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("value"), list)


def _kind(columns: dict[str, list[Any]], n: int, name: str, context: str) -> str:
    keys = set(columns)
    if {"skuid", "serviceplans"} <= keys or (not n and "#subscribedSkus" in context):
        return "subscribed-skus"
    if "recipienttypedetails" in keys or ("primarysmtpaddress" in keys and "emailaddresses" in keys):
        return "get-recipient"
    if "userprincipalname" in keys or (not n and "#users" in context):
        return "graph-users"
    if not n:
        raise TenantExportError(f"{name} holds no recipients, users or SKUs (an empty export: was it filtered?)")
    raise TenantExportError(f"{name}: not a known tenant recipients export (keys: {', '.join(sorted(keys)) or 'none'}); "
                            "expected Get-Recipient, Graph /users, Get-MgUser or Graph /subscribedSkus output")


def _check_listing(pages: list[tuple[str, int, dict]], kind: str) -> None:
    """Every page but the last has @odata.nextLink; the last has none; @odata.count, when given, matches."""
    last = len(pages) - 1
    for i, (file, n, page) in enumerate(pages):
        where = f"{file}" + (f" (page {n})" if n > 1 or i < last and pages[i + 1][0] == file else "")
        has_next = bool(page.get("@odata.nextLink"))
        if i == last and has_next:
            raise SourceError(f"{where}: the {kind} listing is truncated: its last page has @odata.nextLink, so more "
                              "pages follow that were not given (GET every nextLink, or use the -All cmdlet)")
        if i < last and not has_next:
            raise SourceError(f"{where} has no @odata.nextLink, so it ends a listing, but {last - i} more page(s) "
                              "follow: pages of two listings, or out of order")
    count = pages[0][2].get("@odata.count")
    got = sum(len(pg["value"]) for _, _, pg in pages)
    if isinstance(count, int) and count != got:
        raise SourceError(f"{pages[0][0]}: the {kind} listing is truncated: @odata.count is {count} but the pages "
                          f"hold {got}")


def _collection_text(value: Any) -> bool:
    return isinstance(value, str) and bool(_TYPE_NAME_RE.match(value.strip()))


def _addresses(values: list[Any], name: str, column: str, fix: str, kind: str) -> pd.Series:
    """Lists (JSON) or ``;``-joined cells (CSV) as tuples of addresses."""
    text = [i for i, v in enumerate(values) if isinstance(v, str)]
    if text:
        bad = next((i for i in text if _collection_text(values[i])), None)
        if bad is not None:
            raise SourceError(f"{name}, item {bad + 1}: {column} is {values[bad].strip()!r} (Export-Csv wrote the "
                              f"list's type, not its addresses): {fix}")
        split = _split_lists(pd.Series([values[i] for i in text], dtype=object), "proxyAddresses")
        for i, t in zip(text, split.tolist(), strict=True):
            values[i] = t
    for i, v in enumerate(values):
        if v is None:
            values[i] = ()
        elif isinstance(v, list):
            if not all(isinstance(a, str) for a in v):
                raise SourceError(f"{name}, item {i + 1}: {column} holds a value that is not text")
            values[i] = tuple(v)
        elif not isinstance(v, tuple):
            raise SourceError(f"{name}, item {i + 1}: {column} is {v!r}, not a list of addresses")
    return pd.Series(values, dtype=object)


def _bools(values: list[Any], name: str, column: str, null: bool | None) -> pd.array:
    out: list[bool | None] = []
    for i, raw in enumerate(values):
        v = {"true": True, "false": False, "": None}.get(raw.strip().lower(), raw) if isinstance(raw, str) else raw
        if v is None:
            v = null
        elif not isinstance(v, bool):
            raise SourceError(f"{name}, item {i + 1}: {column} is {raw!r}, not true or false")
        out.append(v)
    return pd.array(out, dtype="boolean")


def _text(values: list[Any]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in values]


def _normalize(kind: str, columns: dict[str, list[Any]], n: int, name: str) -> pd.DataFrame:
    """The objects of one export as rows of the normalized frame."""
    absent = [c for c in _REQUIRED[kind] if c not in columns]
    if absent:
        raise SourceError(f"{name}: a {kind} export needs the column(s) {', '.join(absent)} "
                          "(the export command is in preflight.sources.recipients and the README)")
    col = lambda c: list(columns[c]) if c in columns else [None] * n  # noqa: E731
    out: dict[str, Any] = {"source": name, "item": range(1, n + 1)}
    if kind == "get-recipient":
        out["view"] = "exchange"
        out["mail"] = _text(col("primarysmtpaddress"))
        out["name"] = [nm or m for nm, m in zip(_text(col("name")), out["mail"], strict=True)]
        out["proxyAddresses"] = _addresses(col("emailaddresses"), name, "EmailAddresses",
                                           "export it with @{n='EmailAddresses'; e={$_.EmailAddresses -join ';'}}", kind)
        out["recipientTypeDetails"] = [_RECIPIENT_TYPES.get(v, f"RecipientTypeDetails {v}") if isinstance(v, int)
                                       else ("" if v is None else str(v).strip()) for v in col("recipienttypedetails")]
        out["dirSynced"] = synced = _bools(col("isdirsynced"), name, "IsDirSynced", None)
        if synced.isna().any():  # a boolean property: empty means the column was not exported as it should be
            i = int(synced.isna().argmax())
            raise SourceError(f"{name}, item {i + 1}: IsDirSynced is empty, not True or False")
        out["licences"] = [None] * n
    else:
        out["view"] = "entra"
        out["name"] = _text(col("userprincipalname"))
        out["mail"] = _text(col("mail"))
        out["proxyAddresses"] = _addresses(col("proxyaddresses"), name, "proxyAddresses",
                                           "export users as JSON (ConvertTo-Json -Depth 5)", kind)
        out["recipientTypeDetails"] = ""
        # onPremisesSyncEnabled: true while synced; null (never synced: cloud-only) or false (no longer synced)
        synced = col("onpremisessyncenabled")
        out["dirSynced"] = _bools(synced, name, "onPremisesSyncEnabled", False) if "onpremisessyncenabled" in columns \
            else pd.array([None] * n, dtype="boolean")
        out["licences"] = _licences(col("assignedlicenses"), name) if "assignedlicenses" in columns else [None] * n
    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    result["name"] = result["name"].astype("string")
    result["mail"] = result["mail"].astype("string")
    result["recipientTypeDetails"] = result["recipientTypeDetails"].astype("string")
    return result[list(RECIPIENT_COLUMNS)]


def _licences(values: list[Any], name: str) -> list[tuple[tuple[str, frozenset[str]], ...]]:
    out = []
    for i, raw in enumerate(values):
        # ConvertTo-Json writes a one-element array as the element
        given = [] if raw is None else raw if isinstance(raw, list) else [raw]
        lic = []
        for x in given:
            if _collection_text(x):
                raise SourceError(f"{name}, item {i + 1}: assignedLicenses holds the text {x.strip()!r}, not the "
                                  "licence (ConvertTo-Json's default depth): export with ConvertTo-Json -Depth 5")
            if not isinstance(x, dict):
                raise SourceError(f"{name}, item {i + 1}: assignedLicenses holds {x!r}, not a licence object")
            low = {str(k).lower(): w for k, w in x.items()}
            sku = low.get("skuid")
            if not isinstance(sku, str) or not sku.strip():
                raise SourceError(f"{name}, item {i + 1}: a licence in assignedLicenses has no skuId")
            disabled = low.get("disabledplans") or []
            if isinstance(disabled, str):
                disabled = [disabled]
            lic.append((sku.strip().lower(), frozenset(str(d).strip().lower() for d in disabled)))
        out.append(tuple(lic))
    return out


def address_index(objects: pd.DataFrame) -> Any:
    """``oid``, ``key`` (a pyarrow Table): each object's ``mail`` and ``smtp:``/``SMTP:``
    proxy addresses, lower case and stripped, computed column-wise in Arrow's kernels
    (10^5 objects: a few tens of milliseconds). Objects are the frame's positions;
    a key may repeat for one object (its primary address is also its ``SMTP:`` proxy)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    proxies = pa.array(objects["proxyAddresses"].tolist(), type=pa.list_(pa.string()))
    flat = pc.utf8_lower(pc.list_flatten(proxies))
    smtp = pc.starts_with(flat, "smtp:")
    proxy_keys = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(pc.filter(flat, smtp), 5))
    proxy_oids = pc.filter(pc.list_parent_indices(proxies), smtp).cast(pa.int64())
    mail = pc.utf8_trim_whitespace(pc.utf8_lower(pa.array(objects["mail"].tolist(), type=pa.string())))
    has_mail = pc.not_equal(mail, "")
    mail_oids = pa.array(np.flatnonzero(has_mail.to_numpy(zero_copy_only=False)), type=pa.int64())
    return pa.table({"oid": pa.concat_arrays([proxy_oids, mail_oids]),
                     "key": pa.concat_arrays([proxy_keys, pc.filter(mail, has_mail)])})


def is_exchange_plan(plan_name: str) -> bool:
    """True for an Exchange Online mailbox service plan (``EXCHANGE_S_*`` but Foundation and the archive add-ons)."""
    up = plan_name.strip().upper()
    return up.startswith("EXCHANGE_S_") and not up.startswith(("EXCHANGE_S_FOUNDATION", "EXCHANGE_S_ARCHIVE"))


def _skus(columns: dict[str, list[Any]], n: int, name: str) -> dict[str, Sku]:
    out = {}
    parts = columns.get("skupartnumber", [None] * n)
    for i, (sku, plans, part_number) in enumerate(zip(columns["skuid"], columns["serviceplans"], parts, strict=True), 1):
        if not isinstance(sku, str) or not sku.strip():
            raise SourceError(f"{name}, item {i}: no skuId")
        listed = [plans] if isinstance(plans, dict) else plans
        if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
            raise SourceError(f"{name}, item {i}: servicePlans is {plans!r}, not a list of service plans "
                              "(export with ConvertTo-Json -Depth 5)")
        ids, names = set(), []
        for p in listed:
            low = {str(k).lower(): v for k, v in p.items()}
            plan_name, plan_id = str(low.get("serviceplanname") or ""), str(low.get("serviceplanid") or "")
            if is_exchange_plan(plan_name) and plan_id:
                ids.add(plan_id.strip().lower())
                names.append(plan_name)
        part = str(part_number or sku)
        out[sku.strip().lower()] = Sku(part, frozenset(ids), tuple(names))
    return out


def _refuse_repeats(objects: pd.DataFrame) -> None:
    """A userPrincipalName twice in the entra view is a page given twice (UPNs are unique in a tenant)."""
    entra = objects[(objects["view"] == "entra") & (objects["name"] != "")]
    dup = entra["name"].str.casefold().duplicated(keep=False)
    if dup.any():
        first = entra[dup.to_numpy()]
        rows = first[first["name"].str.casefold() == first["name"].iat[0].casefold()]
        where = "; ".join(f"{s} item {i}" for s, i in zip(rows["source"], rows["item"], strict=True))
        raise SourceError(f"the userPrincipalName {first['name'].iat[0]} occurs twice in the Graph users exports "
                          f"({where}): a page given twice, or two exports of the same users")
