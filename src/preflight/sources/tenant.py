"""Tenant source: the Microsoft 365 tenant's domains, from the config or an export file.

No live tenant access is needed: the admin exports the domains once with one
of the commands below and gives the file (``--tenant-domains FILE``, or
``[tool.preflight.tenant] domains_file``), or lists the verified domains
(``--tenant-domains contoso.com,fabrikam.com``, or ``domains = [...]``; listed
domains are taken as verified with the Email service).

The format is recognized from the content (``format = "..."`` in
``[tenant]`` forces one). Files may be UTF-8 (with or without BOM) or UTF-16
with BOM (what Windows PowerShell 5.1's ``>`` writes); CSV files may start
with the ``#TYPE`` line of ``Export-Csv`` without ``-NoTypeInformation``.

``graph`` — Microsoft Graph ``GET /domains`` (JSON: ``value`` list of ``id``,
``isVerified``, ``supportedServices``, ``authenticationType``)::

    az rest --method get --url https://graph.microsoft.com/v1.0/domains > domains.json
    # or, with the Microsoft.Graph PowerShell SDK (Connect-MgGraph -Scopes Domain.Read.All):
    Invoke-MgGraphRequest -Uri https://graph.microsoft.com/v1.0/domains -OutputType Json | Set-Content domains.json

``mgdomain`` — ``Get-MgDomain`` (Microsoft.Graph.Identity.DirectoryManagement;
``Id``, ``IsVerified``, ``SupportedServices``, ``AuthenticationType``), JSON or CSV::

    Get-MgDomain -All | Select-Object Id, IsVerified, SupportedServices, AuthenticationType | ConvertTo-Json |
        Set-Content domains.json
    Get-MgDomain -All | Select-Object Id, IsVerified, @{n='SupportedServices'; e={$_.SupportedServices -join ','}},
        AuthenticationType | Export-Csv domains.csv -NoTypeInformation

``msol`` — ``Get-MsolDomain`` (MSOnline, retired by Microsoft in 2025 but its
exports still turn up; ``Name``, ``Status``, ``Capabilities``). CSV, because
Windows PowerShell's ``ConvertTo-Json`` writes its enums as numbers::

    Get-MsolDomain | Select-Object Name, Status, Capabilities, Authentication | Export-Csv domains.csv -NoTypeInformation

The domain's sign-in type (``authenticationType`` / ``AuthenticationType``:
``Managed`` or ``Federated``; Get-MsolDomain's ``Authentication``) tells PF142
which batch rows belong to a federated domain; an export without it (and
``accepted-domain`` or a list, which never have it) leaves PF142 skipped.

``accepted-domain`` — ``Get-AcceptedDomain`` run in **Exchange Online**
PowerShell (``Connect-ExchangeOnline``; not the on-premises shell, whose
accepted domains are not the tenant's). Exchange Online has an accepted
domain for each verified domain with the Email service, so each listed domain
counts as verified for Email::

    Get-AcceptedDomain | Select-Object DomainName, DomainType, Default | Export-Csv accepted-domains.csv -NoTypeInformation
    Get-AcceptedDomain | Select-Object DomainName, DomainType, Default | ConvertTo-Json | Set-Content accepted-domains.json

Only :func:`read_tenant_file` touches the file system; :func:`parse_tenant_export`
is a pure function of the bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..registry import Missing, SourceError
from .dns import normalize_domain
from .text import decode_export

FORMATS = ("graph", "mgdomain", "msol", "accepted-domain", "list")
TENANT_KEYS = frozenset({"domains", "domains_file", "format"})


@dataclass(frozen=True)
class TenantDomain:
    """One domain of the tenant: ``email`` is true when it supports the Email service;
    ``authentication`` is ``"Managed"`` or ``"Federated"`` (sign-in through AD FS or
    another identity provider), ``None`` when the export does not say."""

    name: str
    verified: bool
    email: bool
    status: str = ""
    authentication: str | None = None

    @property
    def federated(self) -> bool:
        return self.authentication == "Federated"


@dataclass
class TenantDomains:
    """The tenant's domains, by normalized name."""

    domains: dict[str, TenantDomain] = field(default_factory=dict)
    format: str = "list"
    path: str | None = None

    def get(self, domain: str) -> TenantDomain | None:
        return self.domains.get(domain)

    def verified_email(self) -> list[str]:
        return [d.name for d in self.domains.values() if d.verified and d.email]

    def knows_authentication(self) -> bool:
        """True when the export says how each domain's users sign in (Graph ``authenticationType``,
        Get-MgDomain ``AuthenticationType``, Get-MsolDomain ``Authentication``)."""
        return bool(self.domains) and all(d.authentication is not None for d in self.domains.values())

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "tenant", "format": self.format}
        if self.path:
            out["path"] = self.path
        out["domains"] = len(self.domains)
        return out


class TenantExportError(ValueError):
    """The export file cannot be read as any of the known formats."""


# --------------------------------------------------------------------------- parsing


def parse_tenant_export(data: bytes, name: str = "<memory>", fmt: str | None = None) -> TenantDomains:
    """The domains in an export (see the module doc for the formats).

    Raises:
        TenantExportError: not text, not JSON/CSV, or a shape no format matches,
            or values that cannot be read (the message says how to export them).
    """
    text = _decode(data, name)
    stripped = text.lstrip()
    if not stripped:
        raise TenantExportError(f"{name} is empty")
    if stripped[0] in "[{":
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TenantExportError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        items, detected = _json_items(doc, name)
    else:
        items, detected = _csv_items(stripped, name)
    fmt = fmt or detected
    if fmt is None:
        keys = sorted({k for item in items[:1] for k in item})
        raise TenantExportError(f"{name}: not a known tenant domain export (columns: {', '.join(keys) or 'none'}); "
                                "expected Graph /domains, Get-MgDomain, Get-MsolDomain or Get-AcceptedDomain output")
    out = TenantDomains(format=fmt, path=name)
    for n, item in enumerate(items, 1):
        dom = _ROW_PARSERS[fmt](item, name, n)
        if dom is not None:
            out.domains[dom.name] = dom
    return out


def _decode(data: bytes, name: str) -> str:
    return decode_export(data, name, TenantExportError)


def _lower(item: dict[str, Any]) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in item.items()}


def _detect(keys: Iterable[str]) -> str | None:
    keys = {k.lower() for k in keys}
    if {"id", "isverified"} <= keys:
        return "mgdomain"
    if "domainname" in keys:
        return "accepted-domain"
    if {"name", "status"} <= keys:
        return "msol"
    return None


def _json_items(doc: Any, name: str) -> tuple[list[dict[str, Any]], str | None]:
    detected = None
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        if doc.get("@odata.nextLink"):
            raise TenantExportError(f"{name} holds only the first page of GET /domains (it has @odata.nextLink): "
                                    "export every page, e.g. with Get-MgDomain -All")
        doc, detected = doc["value"], "graph"
    if isinstance(doc, dict):  # ConvertTo-Json writes a single object, not a list of one
        doc = [doc]
    if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
        raise TenantExportError(f"{name}: expected a JSON list of domain objects")
    if detected is None and doc:
        detected = _detect(doc[0])
        if detected == "mgdomain" and "id" in doc[0] and "isVerified" in doc[0]:
            detected = "graph"  # Graph's camelCase (a bare list saved from Graph Explorer)
    return [_lower(x) for x in doc], detected


def _csv_items(text: str, name: str) -> tuple[list[dict[str, Any]], str | None]:
    lines = text.splitlines()
    if lines and lines[0].lstrip().upper().startswith("#TYPE"):
        lines = lines[1:]
    body = "\n".join(lines)
    first = lines[0] if lines else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = list(csv.DictReader(io.StringIO(body), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise TenantExportError(f"{name} is not a readable CSV file: {exc}") from None
    if not rows:
        header = next(csv.reader(io.StringIO(body), delimiter=delimiter), [])
        return [], _detect(h.strip() for h in header)
    return [_lower(r) for r in rows], _detect(k for k in rows[0] if k)


def _bool(value: Any, what: str, name: str, n: int) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TenantExportError(f"{name}, item {n}: {what} is {value!r}, not true or false")


def _services(value: Any, name: str, n: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    if isinstance(value, str):
        if value.strip().startswith("System.") and value.strip().endswith("[]"):
            raise TenantExportError(
                f"{name}, item {n}: SupportedServices is {value.strip()!r} (Export-Csv wrote the array's type, not "
                "its values): export with @{n='SupportedServices'; e={$_.SupportedServices -join ','}}")
        return [s.strip() for s in value.replace(";", ",").replace(" ", ",").split(",") if s.strip()]
    raise TenantExportError(f"{name}, item {n}: SupportedServices is {value!r}, not a list of services")


#: Sign-in types of a tenant domain (Graph authenticationType; MSOnline's DomainAuthenticationType).
AUTHENTICATION_TYPES = ("Managed", "Federated")


def _authentication(value: Any, what: str, name: str, n: int) -> str | None:
    """``"Managed"`` or ``"Federated"``; ``None`` when the export has no such column (or leaves it empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        raise TenantExportError(f"{name}, item {n}: {what} is the number {value!r} (ConvertTo-Json in Windows "
                                "PowerShell writes enums as numbers): export it with Export-Csv, or as text")
    for kind in AUTHENTICATION_TYPES:
        if str(value).strip().casefold() == kind.casefold():
            return kind
    raise TenantExportError(f"{name}, item {n}: {what} is {value!r}, not Managed or Federated")


def _name(value: Any, name: str, n: int) -> str | None:
    if isinstance(value, dict):  # a serialized SmtpDomain(WithSubdomains)
        value = value.get("Domain") or value.get("domain") or value.get("Address") or value.get("address")
    if not isinstance(value, str) or not value.strip():
        raise TenantExportError(f"{name}, item {n}: no domain name")
    text = value.strip()
    text = text.removeprefix("*.")
    return normalize_domain(text)


def _graph_row(item: dict[str, Any], name: str, n: int) -> TenantDomain | None:
    dom = _name(item.get("id"), name, n)
    if dom is None:
        return None
    verified = _bool(item.get("isverified"), "isVerified", name, n)
    services = _services(item.get("supportedservices"), name, n)
    email = any(s.casefold() == "email" for s in services)
    return TenantDomain(dom, verified, email, "Verified" if verified else "Unverified",
                        _authentication(item.get("authenticationtype"), "AuthenticationType", name, n))


def _msol_row(item: dict[str, Any], name: str, n: int) -> TenantDomain | None:
    dom = _name(item.get("name"), name, n)
    if dom is None:
        return None
    status = item.get("status")
    if isinstance(status, int) or (isinstance(status, str) and status.strip().isdigit()):
        raise TenantExportError(f"{name}, item {n}: Status is the number {status!r} (ConvertTo-Json in Windows "
                                "PowerShell writes enums as numbers): export Get-MsolDomain with Export-Csv")
    status = str(status or "").strip()
    caps = item.get("capabilities")
    if isinstance(caps, int):
        raise TenantExportError(f"{name}, item {n}: Capabilities is the number {caps!r}: "
                                "export Get-MsolDomain with Export-Csv")
    services = _services(caps, name, n)
    return TenantDomain(dom, status.casefold() == "verified", any(s.casefold() == "email" for s in services), status,
                        _authentication(item.get("authentication"), "Authentication", name, n))


def _accepted_row(item: dict[str, Any], name: str, n: int) -> TenantDomain | None:
    dom = _name(item.get("domainname"), name, n)
    if dom is None:
        return None
    return TenantDomain(dom, True, True, "Accepted")


def _list_row(item: dict[str, Any], name: str, n: int) -> TenantDomain | None:
    dom = _name(item.get("name"), name, n)
    return None if dom is None else TenantDomain(dom, True, True, "Listed")


_ROW_PARSERS = {
    "graph": _graph_row,
    "mgdomain": _graph_row,
    "msol": _msol_row,
    "accepted-domain": _accepted_row,
    "list": _list_row,
}


def read_tenant_file(path: str | os.PathLike[str], fmt: str | None = None) -> TenantDomains:
    """Read an export file.

    Raises:
        SourceError: unreadable, or not a known export (the reason says why).
    """
    shown = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SourceError(f"cannot read tenant domains file {shown}: {exc.strerror or exc}") from None
    try:
        return parse_tenant_export(data, shown, fmt)
    except TenantExportError as exc:
        raise SourceError(str(exc)) from None


def from_list(domains: Iterable[str]) -> TenantDomains:
    """Domains the admin listed: verified, with the Email service."""
    out = TenantDomains(format="list")
    for d in domains:
        dom = normalize_domain(d)
        if dom is not None:
            out.domains[dom] = TenantDomain(dom, True, True, "Listed")
    return out


def tenant_from_config(config: Any) -> TenantDomains:
    """The tenant's domains the ``[tenant]`` table names.

    Keys: ``domains`` (list of verified domains), ``domains_file`` (an export;
    relative to the config file), ``format`` (force one of
    ``graph``, ``mgdomain``, ``msol``, ``accepted-domain``).

    Raises:
        Missing: no tenant data given.
        SourceError: the file cannot be read or parsed.
        preflight.config.ConfigError: unknown key or bad value (the run stops, exit 2).
    """
    from ..config import ConfigError

    raw = dict(getattr(config, "tenant", None) or {})
    where = f" in {config.source}" if getattr(config, "source", None) else ""
    unknown = sorted(set(raw) - TENANT_KEYS)
    if unknown:
        raise ConfigError(f"unknown [tenant] option(s){where}: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(TENANT_KEYS))})")
    fmt = raw.get("format")
    if fmt is not None and fmt not in FORMATS[:-1]:
        raise ConfigError(f"[tenant] format{where} must be one of {', '.join(FORMATS[:-1])}, not {fmt!r}")
    if "domains" in raw and "domains_file" in raw:
        raise ConfigError(f"[tenant]{where}: give domains or domains_file, not both")
    if "domains" in raw:
        value = raw["domains"]
        if isinstance(value, str):
            value = [v for v in value.split(",")]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[tenant] domains{where} must be a list of domain names")
        bad = [v for v in value if v.strip() and normalize_domain(v) is None]
        if bad:
            raise ConfigError(f"[tenant] domains{where}: not a domain name: {', '.join(map(repr, bad))}")
        return from_list(value)
    if "domains_file" in raw:
        value = raw["domains_file"]
        if not isinstance(value, (str, os.PathLike)):
            raise ConfigError(f"[tenant] domains_file{where} must be a path")
        return read_tenant_file(config.path(value), fmt)
    raise Missing("no tenant domains given (--tenant-domains FILE or LIST, or [tool.preflight.tenant])")
