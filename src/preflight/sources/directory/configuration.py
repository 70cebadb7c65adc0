"""The Exchange organization as Active Directory holds it: :class:`ExchangeConfiguration`.

Most of it lives in the **Configuration partition** (a naming context of its own,
``CN=Configuration,DC=…``, named by the rootDSE's ``configurationNamingContext``),
under ``CN=<Org>,CN=Microsoft Exchange,CN=Services``:

* the Exchange servers (``objectClass=msExchExchangeServer``) with ``serialNumber``
  ("Version 6.5 (Build 7638.2: Service Pack 2)") and ``versionNumber`` (bit-encoded
  from Exchange 2007 on), see :func:`parse_serial_number` and :func:`decode_version_number`;
* mailbox stores (``msExchPrivateMDB``, what a user's ``homeMDB`` points at) and public
  folder stores (``msExchPublicMDB``), public folder trees (``msExchPFTree``);
* how the organization routes mail (cause A-06): Exchange 2007 accepted domains
  (``msExchAcceptedDomain``: ``msExchAcceptedDomainName``, and ``msExchAcceptedDomainFlags``
  whose two low bits are the type, 0 Authoritative, 1 ExternalRelay, 2 InternalRelay),
  recipient policies (``msExchRecipientPolicy``: the ``gatewayProxy`` templates, authoritative
  unless listed in ``msExchNonAuthoritativeDomains``, Exchange 2003), and SMTP connectors
  (``msExchRoutingSMTPConnector``: their address spaces in ``routingList``, ``SMTP:*;1``);
* the Autodiscover service connection points (``serviceConnectionPoint`` whose
  ``keywords`` hold ``77378F46-2C66-4aa9-A6A6-3E7A48B19596`` (an SCP URL) or
  ``67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68`` (an SCP pointer); Microsoft, "Find
  Autodiscover endpoints by using SCP lookup in Exchange").

From the domain partition it takes the domain head (``domainDNS``: ``minPwdLength``,
``maxPwdAge``, ``pwdProperties``).

Two ways to read it, one result:

``read_live(source)``
    through an :class:`~preflight.sources.directory.ldap.LdapSource` (its public
    ``root_dse_values`` and ``search_entries``): the rootDSE's
    ``configurationNamingContext`` and ``defaultNamingContext``, then paged searches.
``read_exports(paths)``
    ldifde LDIF or csvde CSV exports (the commands are :data:`EXPORT_COMMANDS`, also
    in the README), given with ``--directory`` beside the user export. A file is an
    *organization export* (:func:`is_organization_export`) when every entry in its
    first 64 KiB lies in the Configuration partition or is a domain head (a DN of
    ``DC=`` parts only); any other file is a user export.

The checks ask for it as the data ``exchange_configuration`` (provider in
:mod:`preflight.checks.organization.providers`). Everything here is read-only.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ... import _ldif
from ...registry import Missing, SourceError
from . import ldif_text

__all__ = [
    "AUTODISCOVER_POINTER_KEYWORD", "AUTODISCOVER_URL_KEYWORD", "CONFIGURATION_ATTRIBUTES", "DOMAIN_ATTRIBUTES",
    "EXPORT_COMMANDS", "AutodiscoverScp", "DomainPolicy", "Entry", "ExchangeConfiguration", "ExchangeServer",
    "ExchangeStore", "ExchangeVersion", "MailDomain", "SmtpConnector", "decode_version_number", "from_entries",
    "is_organization_export", "mail_routing", "parse_serial_number", "read_entries", "read_exports", "read_live", "split_sources",
]

#: ``keywords`` value of an Autodiscover SCP URL object / an SCP pointer object.
AUTODISCOVER_URL_KEYWORD = "77378F46-2C66-4aa9-A6A6-3E7A48B19596"
AUTODISCOVER_POINTER_KEYWORD = "67661d7F-8FC4-4fa7-BFAC-E1D7794C1F68"

#: Object classes read from the Configuration partition.
CONFIGURATION_CLASSES = ("msExchExchangeServer", "msExchPrivateMDB", "msExchPublicMDB", "msExchPFTree",
                         "serviceConnectionPoint", "msExchAcceptedDomain", "msExchRecipientPolicy",
                         "msExchRoutingSMTPConnector")
#: LDAP filter of the Configuration-partition read (live and the ldifde/csvde ``-r``).
CONFIGURATION_FILTER = (
    "(|(objectClass=msExchExchangeServer)(objectClass=msExchPrivateMDB)(objectClass=msExchPublicMDB)"
    "(objectClass=msExchAcceptedDomain)(objectClass=msExchRecipientPolicy)(objectClass=msExchRoutingSMTPConnector)"
    f"(objectClass=msExchPFTree)(&(objectClass=serviceConnectionPoint)(|(keywords={AUTODISCOVER_URL_KEYWORD})"
    f"(keywords={AUTODISCOVER_POINTER_KEYWORD}))))"
)
#: Attributes read from the Configuration partition.
CONFIGURATION_ATTRIBUTES = ("cn", "objectClass", "serialNumber", "versionNumber", "legacyExchangeDN",
                            "msExchOwningServer", "keywords", "serviceBindingInformation",
                            "msExchAcceptedDomainName", "msExchAcceptedDomainFlags", "gatewayProxy",
                            "msExchNonAuthoritativeDomains", "routingList",
                            "nTSecurityDescriptor")
#: LDAP_SERVER_SD_FLAGS of the live read: the DACL of ``nTSecurityDescriptor`` only (what an
#: ordinary account may read; the stores' DACLs decide Receive As, PF540).
_DACL_ONLY = 4
#: Attributes read from the domain head.
DOMAIN_ATTRIBUTES = ("objectClass", "minPwdLength", "maxPwdAge", "pwdProperties")

#: The export commands (Windows, AD DS tools; replace the DNs with yours), as the README gives them.
EXPORT_COMMANDS = (
    f'ldifde -f exchange-config.ldif -d "CN=Configuration,DC=contoso,DC=com" -r "{CONFIGURATION_FILTER}" '
    f'-l "{",".join(CONFIGURATION_ATTRIBUTES)}"',
    f'ldifde -f domain-policy.ldif -d "DC=contoso,DC=com" -p Base -l "{",".join(DOMAIN_ATTRIBUTES)}"',
)

#: The live read of the dynamic (query-based) distribution groups in the domain partition.
DYNAMIC_GROUP_FILTER = "(objectClass=msExchDynamicDistributionList)"

_SNIFF_BYTES = 65536


# --------------------------------------------------------------------------- versions


@dataclass(frozen=True, order=True)
class ExchangeVersion:
    """An Exchange server version: ``major.minor`` and build (``revision``: the part after
    the build's dot in serialNumber, e.g. 2 of "Build 7638.2"), with the service pack text when given."""

    major: int
    minor: int
    build: int = 0
    revision: int | None = None
    service_pack: str | None = field(default=None, compare=False)

    @property
    def product(self) -> str:
        """"Exchange 2003", "Exchange 2007" … from the major/minor version (6.0 is 2000,
        6.5 2003, 8 2007, 14 2010, 15.0 2013, 15.1 2016, 15.2 2019; else "Exchange <major.minor>")."""
        names = {(6, 0): "2000", (6, 5): "2003", (15, 0): "2013", (15, 1): "2016", (15, 2): "2019"}
        by_major = {8: "2007", 14: "2010"}
        name = names.get((self.major, self.minor)) or by_major.get(self.major)
        return f"Exchange {name}" if name else f"Exchange {self.major}.{self.minor}"

    @property
    def staged_source(self) -> bool:
        """True for Exchange 2003 (6.5) and 2007 (8.x): the only sources of a staged migration."""
        return (self.major, self.minor) == (6, 5) or self.major == 8

    @property
    def hybrid_era(self) -> bool:
        """True for Exchange 2010 (14) and later: an organization with one cannot use staged migration."""
        return self.major >= 14

    def __str__(self) -> str:
        build = f"{self.build}" + (f".{self.revision}" if self.revision is not None else "")
        sp = f": {self.service_pack}" if self.service_pack else ""
        return f"{self.product} (version {self.major}.{self.minor}, build {build}{sp})"


_SERIAL_VERSION_RE = re.compile(r"version (\d+)\.(\d+)", re.IGNORECASE)
_SERIAL_BUILD_RE = re.compile(r"build (\d+)((?:\.\d+)*)", re.IGNORECASE)
_SERIAL_SP_RE = re.compile(r"\(build \d+(?:\.\d+)*: ([^)]+)\)", re.IGNORECASE)


def parse_serial_number(text: str) -> ExchangeVersion | None:
    """The version in a server's ``serialNumber`` ("Version 6.5 (Build 7638.2: Service Pack 2)",
    "Version 8.3 (Build 83.6)"), parsed as Exchange parses it (case-insensitive ``version (\\d+\\.\\d+)``,
    ``build (\\d+(\\.\\d+)*)``, ``\\(build …: ([^\\)]+)\\)``; exchange-facts.md §2); None when it holds no version."""
    m = _SERIAL_VERSION_RE.search(text or "")
    if not m:
        return None
    build, revision = 0, None
    b = _SERIAL_BUILD_RE.search(text)
    if b:
        build = int(b.group(1))
        rest = b.group(2).lstrip(".").split(".")
        revision = int(rest[0]) if rest[0] else None
    sp = _SERIAL_SP_RE.search(text)
    return ExchangeVersion(int(m.group(1)), int(m.group(2)), build, revision, sp.group(1).strip() if sp else None)


def decode_version_number(value: int) -> ExchangeVersion | None:
    """The version bit-encoded in ``versionNumber`` by Exchange 2007 and later: bits 31–28 hold 7,
    27–22 the major, 21–16 the minor version, 15 a flag, 14–0 the build (1912832083 = 0x72038053 is
    8.3.83; exchange-facts.md §2). None when bits 31–28 are not 7 (Exchange 2003's value is
    undocumented: its serialNumber is used instead)."""
    if value < 0:
        value &= 0xFFFFFFFF
    if value >> 28 != 7:
        return None
    return ExchangeVersion((value >> 22) & 0x3F, (value >> 16) & 0x3F, value & 0x7FFF)


# --------------------------------------------------------------------------- the normalized data


@dataclass(frozen=True)
class Entry:
    """One directory entry as read: ``dn``, lower-case ``classes``, and ``values`` by
    case-folded attribute name (text, or bytes for a binary value)."""

    dn: str
    classes: frozenset[str]
    values: dict[str, tuple[str | bytes, ...]]

    def first(self, attribute: str) -> str:
        """The first value of ``attribute`` as text ("" when absent)."""
        for v in self.values.get(attribute.casefold(), ()):
            return v.decode("utf-8", "replace") if isinstance(v, bytes) else v
        return ""

    def texts(self, attribute: str) -> tuple[str, ...]:
        return tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                     for v in self.values.get(attribute.casefold(), ()))

    def integer(self, attribute: str) -> int | None:
        try:
            return int(self.first(attribute))
        except ValueError:
            return None

    @property
    def name(self) -> str:
        return self.first("cn") or rdn_value(self.dn)


@dataclass(frozen=True)
class ExchangeServer:
    """An Exchange server object of the Configuration partition.

    Attributes:
        dn, name: its DN and ``cn`` (the server's NetBIOS name).
        legacy_dn: its ``legacyExchangeDN`` (what a mailbox's ``msExchHomeServerName`` holds).
        serial_number, version_number: the attributes as read ("" / None when absent).
        version: from ``serialNumber``, else from ``versionNumber``; None when neither gives one.
    """

    dn: str
    name: str
    legacy_dn: str
    serial_number: str
    version_number: int | None
    version: ExchangeVersion | None


@dataclass(frozen=True)
class ExchangeStore:
    """A mailbox store (``kind="mailbox"``, msExchPrivateMDB) or public folder store
    (``kind="public"``, msExchPublicMDB), and the DN of the server holding it (its
    ``msExchOwningServer``, else the server object above it; "" when neither is known)."""

    dn: str
    name: str
    kind: str
    server_dn: str
    #: Its ``nTSecurityDescriptor`` (the DACL, inherited ACEs included) as read; None when not read.
    descriptor: bytes | None = None


@dataclass(frozen=True)
class AutodiscoverScp:
    """An Autodiscover service connection point: ``urls`` (serviceBindingInformation),
    ``keywords``; ``pointer`` is True for an SCP pointer (it names an LDAP server, not a URL)."""

    dn: str
    name: str
    urls: tuple[str, ...]
    keywords: tuple[str, ...]
    pointer: bool


@dataclass(frozen=True)
class MailDomain:
    """An SMTP domain the organization knows, as an Exchange 2007 accepted domain (``source``
    ``"accepted-domain"``) or an Exchange 2003 recipient policy address (``"recipient-policy"``):
    ``domain`` as written (``*.contoso.com`` covers the subdomains), ``authoritative``: the
    organization takes mail for it as its own (it delivers or rejects it, never routes it on)."""

    dn: str
    name: str
    domain: str
    authoritative: bool
    source: str


@dataclass(frozen=True)
class SmtpConnector:
    """An SMTP connector (Exchange 2003) or Send connector (Exchange 2007) and the domains it routes
    to: the SMTP address spaces of its ``routingList`` (``*``, ``contoso.com``, ``*.contoso.com``)."""

    dn: str
    name: str
    address_spaces: tuple[str, ...]


@dataclass(frozen=True)
class DomainPolicy:
    """A domain head's password policy: ``min_pwd_length`` (characters), ``max_pwd_age``
    (AD's negative 100-ns interval as stored; None when absent), ``pwd_properties`` (flags)."""

    dn: str
    min_pwd_length: int | None
    max_pwd_age: int | None
    pwd_properties: int | None


@dataclass(frozen=True)
class ExchangeConfiguration:
    """What the organization checks read about the Exchange organization.

    Attributes:
        configuration_read: the Configuration partition was read (live, or an export of it was given).
        domains_read: a domain head was read (live, or a domain-policy export was given).
        servers, stores, scps: from the Configuration partition (empty when not read).
        public_folder_trees: DNs of the msExchPFTree objects.
        domains: the domain heads read.
        dynamic_groups: see the attribute's comment.
        description: for ``Report.inputs`` (``describe()``).
    """

    configuration_read: bool
    domains_read: bool
    servers: tuple[ExchangeServer, ...] = ()
    stores: tuple[ExchangeStore, ...] = ()
    public_folder_trees: tuple[str, ...] = ()
    scps: tuple[AutodiscoverScp, ...] = ()
    domains: tuple[DomainPolicy, ...] = ()
    description: dict[str, Any] = field(default_factory=dict)
    #: Dynamic (query-based) distribution groups as ``(dn, name)``, read live from the domain
    #: partition; None when not read (exports: they come with the user export).
    dynamic_groups: tuple[tuple[str, str], ...] | None = None
    #: Mail routing (cause A-06): accepted domains and recipient policy addresses, SMTP connectors;
    #: ``routing_read`` is False when no recipient policy was read (every organization has its
    #: Default Policy: an export without one was made with a filter that left them out).
    mail_domains: tuple[MailDomain, ...] = ()
    connectors: tuple[SmtpConnector, ...] = ()
    routing_read: bool = False

    def describe(self) -> dict[str, Any]:
        return dict(self.description)

    def require_servers(self) -> None:
        """Raise :class:`Missing` (the check is skipped, with the export command) when the
        Configuration partition was not read or holds no Exchange server object."""
        if not self.configuration_read:
            raise Missing("the Configuration partition was not read: give its export with --directory "
                          f"(README: The Exchange organization): {EXPORT_COMMANDS[0]}")
        if not self.servers:
            raise Missing("no Exchange server object (objectClass=msExchExchangeServer) in the Configuration "
                          f"partition read: export it with {EXPORT_COMMANDS[0]}")

    def require_configuration(self) -> None:
        """Raise :class:`Missing` when the Configuration partition was not read."""
        if not self.configuration_read:
            raise Missing("the Configuration partition was not read: give its export with --directory "
                          f"(README: The Exchange organization): {EXPORT_COMMANDS[0]}")

    def require_domains(self) -> None:
        """Raise :class:`Missing` when no domain head (password policy) was read."""
        if not self.domains_read or not self.domains:
            raise Missing("the domain's password policy was not read: give the domain head's export with "
                          f"--directory: {EXPORT_COMMANDS[1]}")

    def server_of(self, home_server_name: str = "", home_mdb: str = "") -> ExchangeServer | None:
        """The server a mailbox lives on: the one whose ``legacyExchangeDN`` is the mailbox's
        ``msExchHomeServerName``, else the one holding its ``homeMDB`` store (the store's
        owning server, or the server object above the store's DN); None when none matches."""
        if home_server_name:
            key = home_server_name.casefold()
            for s in self.servers:
                if s.legacy_dn and s.legacy_dn.casefold() == key:
                    return s
        if home_mdb:
            mdb = home_mdb.casefold()
            by_dn = {s.dn.casefold(): s for s in self.servers}
            for st in self.stores:
                if st.dn.casefold() == mdb and st.server_dn.casefold() in by_dn:
                    return by_dn[st.server_dn.casefold()]
            for dn, s in by_dn.items():
                if mdb.endswith("," + dn):
                    return s
        return None


def from_entries(config_entries: Iterable[Entry], domain_entries: Iterable[Entry], *, configuration_read: bool,
                 domains_read: bool, description: dict[str, Any]) -> ExchangeConfiguration:
    """Build the :class:`ExchangeConfiguration` from entries (any order; unrelated entries are ignored)."""
    servers, stores, trees, scps = [], [], [], []
    config_entries = list(config_entries)
    server_dns = [e.dn for e in config_entries if "msexchexchangeserver" in e.classes]
    for e in config_entries:
        if "msexchexchangeserver" in e.classes:
            serial = e.first("serialNumber")
            number = e.integer("versionNumber")
            version = parse_serial_number(serial) or (decode_version_number(number) if number is not None else None)
            servers.append(ExchangeServer(e.dn, e.name, e.first("legacyExchangeDN"), serial, number, version))
        elif "msexchprivatemdb" in e.classes or "msexchpublicmdb" in e.classes:
            owner = e.first("msExchOwningServer")
            if not owner:
                low = e.dn.casefold()
                owner = next((s for s in server_dns if low.endswith("," + s.casefold())), "")
            kind = "mailbox" if "msexchprivatemdb" in e.classes else "public"
            sd = next(iter(e.values.get("ntsecuritydescriptor", ())), None)
            stores.append(ExchangeStore(e.dn, e.name, kind, owner,
                                        sd.encode("utf-8") if isinstance(sd, str) else sd))
        elif "msexchpftree" in e.classes:
            trees.append(e.dn)
        elif "serviceconnectionpoint" in e.classes:
            keywords = e.texts("keywords")
            folded = {k.casefold() for k in keywords}
            if AUTODISCOVER_URL_KEYWORD.casefold() in folded or AUTODISCOVER_POINTER_KEYWORD.casefold() in folded:
                scps.append(AutodiscoverScp(e.dn, e.name, e.texts("serviceBindingInformation"), keywords,
                                            AUTODISCOVER_URL_KEYWORD.casefold() not in folded))
    domains = [DomainPolicy(e.dn, e.integer("minPwdLength"), e.integer("maxPwdAge"), e.integer("pwdProperties"))
               for e in domain_entries if "domaindns" in e.classes or is_domain_head(e.dn)]
    return ExchangeConfiguration(configuration_read, domains_read, tuple(servers), tuple(stores), tuple(trees),
                                 tuple(scps), tuple(domains), description, **mail_routing(config_entries))


def mail_routing(entries: Iterable[Entry]) -> dict[str, Any]:
    """The ``mail_domains``, ``connectors`` and ``routing_read`` of :class:`ExchangeConfiguration`
    from the Configuration partition's entries (other entries are ignored)."""
    domains: list[MailDomain] = []
    connectors: list[SmtpConnector] = []
    policies = 0
    for e in entries:
        if "msexchaccepteddomain" in e.classes:
            flags = e.integer("msExchAcceptedDomainFlags") or 0
            domain = e.first("msExchAcceptedDomainName") or e.name
            domains.append(MailDomain(e.dn, e.name, domain.strip().casefold(), flags & 3 == 0, "accepted-domain"))
        elif "msexchrecipientpolicy" in e.classes:
            policies += 1
            relayed = {_smtp_domain(v) for v in e.texts("msExchNonAuthoritativeDomains")}
            for proxy in e.texts("gatewayProxy"):
                domain = _smtp_domain(proxy)
                if domain:
                    domains.append(MailDomain(e.dn, e.name, domain, domain not in relayed, "recipient-policy"))
        elif "msexchroutingsmtpconnector" in e.classes:
            spaces = tuple(v.split(":", 1)[1].rsplit(";", 1)[0].strip().casefold() for v in e.texts("routingList")
                           if v[:5].casefold() == "smtp:")
            connectors.append(SmtpConnector(e.dn, e.name, spaces))
    return {"mail_domains": tuple(domains), "connectors": tuple(connectors), "routing_read": policies > 0}


def _smtp_domain(template: str) -> str:
    """The domain of an SMTP address template (``SMTP:@contoso.com``, ``smtp:%g.%s@contoso.com``); "" for another type."""
    if template[:5].casefold() != "smtp:" or "@" not in template:
        return ""
    return template.rpartition("@")[2].strip().casefold()


# --------------------------------------------------------------------------- live


def read_live(source: Any) -> ExchangeConfiguration:
    """Read the organization from a live directory: ``source`` has ``root_dse_values(attribute)``
    and ``search_entries(base, filter, attributes)`` (an LdapSource). Two rootDSE reads, a paged
    search of the Configuration partition and one of the domain head.

    Raises:
        SourceError: as the source raises it; the rootDSE names no configurationNamingContext.
    """
    config_nc = next(iter(source.root_dse_values("configurationNamingContext")), "")
    if not config_nc:
        raise SourceError(f"LDAP server {getattr(source, 'url', '')}: the rootDSE names no "
                          "configurationNamingContext (not an Active Directory?)")
    config_entries = [_entry(dn, raw) for dn, raw in
                      source.search_entries(config_nc, CONFIGURATION_FILTER, CONFIGURATION_ATTRIBUTES,
                                            sd_flags=_DACL_ONLY)]
    domain_nc = next(iter(source.root_dse_values("defaultNamingContext")), "")
    domain_entries, dynamic = [], []
    if domain_nc:
        domain_entries = [_entry(dn, raw) for dn, raw in
                          source.search_entries(domain_nc, "(objectClass=domainDNS)", DOMAIN_ATTRIBUTES)]
        dynamic = [_entry(dn, raw) for dn, raw in
                   source.search_entries(domain_nc, DYNAMIC_GROUP_FILTER, ("cn", "displayName", "objectClass"))]
    description = {"kind": "exchange-organization", "format": "ldap", "source": getattr(source, "url", ""),
                   "configuration": config_nc, "servers": sum("msexchexchangeserver" in e.classes
                                                              for e in config_entries)}
    found = from_entries(config_entries, domain_entries, configuration_read=True, domains_read=bool(domain_nc),
                         description=description)
    groups = tuple((e.dn, e.first("displayName") or e.name) for e in dynamic)
    return replace(found, dynamic_groups=groups if domain_nc else None)


#: Attributes whose values stay bytes (SIDs, security descriptors), whatever they decode to.
BINARY_ATTRIBUTES = frozenset({"objectsid", "ntsecuritydescriptor", "msexchmailboxsecuritydescriptor",
                               "msexchmasteraccountsid", "objectguid"})


def _entry(dn: str, raw: dict[str, list[Any]]) -> Entry:
    values: dict[str, tuple[str | bytes, ...]] = {}
    for k, vs in raw.items():
        key = k.split(";", 1)[0].casefold()
        values[key] = tuple((v.encode("utf-8") if isinstance(v, str) else bytes(v)) if key in BINARY_ATTRIBUTES
                            else _value(v) for v in vs)
    classes = frozenset(str(c).casefold() for c in values.get("objectclass", ()))
    return Entry(dn, classes, values)


def _value(v: Any) -> str | bytes:
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(v)
    return str(v)


# --------------------------------------------------------------------------- exports


def read_exports(paths: Iterable[str | os.PathLike[str]]) -> ExchangeConfiguration:
    """Read organization exports (ldifde LDIF or csvde CSV; :data:`EXPORT_COMMANDS`).

    Raises:
        SourceError: a file unreadable, malformed, or empty.
    """
    config_entries: list[Entry] = []
    domain_entries: list[Entry] = []
    names = []
    for path in paths:
        names.append(str(path))
        for e in read_entries(path):
            (config_entries if in_configuration(e.dn) else domain_entries).append(e)
    return from_entries(config_entries, domain_entries, configuration_read=bool(config_entries),
                        domains_read=bool(domain_entries),
                        description={"kind": "exchange-organization", "format": "export", "paths": names,
                                     "servers": sum("msexchexchangeserver" in e.classes for e in config_entries)})


def read_entries(path: str | os.PathLike[str]) -> list[Entry]:
    """Every entry of an ldifde LDIF or csvde CSV export (UTF-8 or UTF-16 with BOM).

    Raises:
        SourceError: unreadable, malformed, cut short or empty.
    """
    name = Path(path).name
    data = decoded_text(path)
    if not any(line.strip() and not line.startswith("#") for line in data.splitlines()):
        raise SourceError(f"{name}: the export holds no entries")
    if _looks_like_ldif(data):
        text = ldif_text.split(data.encode("utf-8"), name)
        try:
            rows = [(dn, entry) for dn, entry in _ldif.parse(text.data) if dn is not None]
        except _ldif.LDIFSyntaxError as exc:
            raise text.error(exc.record, str(exc)) from None
        entries = [_entry(dn, {k: list(v) for k, v in entry.items() if k.casefold() != "changetype"})
                   for dn, entry in rows]
    else:
        entries = _read_csvde(data, name)
    if not entries:
        raise SourceError(f"{name}: the export holds no entries")
    return entries


def _read_csvde(text: str, name: str) -> list[Entry]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip().lstrip("\ufeff").casefold() != "dn":
        raise SourceError(f"{name}: not an ldifde LDIF or csvde CSV export (a csvde header starts with DN)")
    keys = [h.strip().casefold() for h in header]
    out = []
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(keys):
            raise SourceError(f"{name}: record on line {n} has {len(row)} of the header's {len(keys)} fields")
        values: dict[str, tuple[str | bytes, ...]] = {}
        for k, cell in zip(keys[1:], row[1:], strict=True):
            if cell:
                values[k] = tuple(_csv_value(v) for v in cell.split(";") if v)
                if k in BINARY_ATTRIBUTES:
                    values[k] = tuple(v.encode("utf-8") if isinstance(v, str) else v for v in values[k])
        out.append(Entry(row[0], frozenset(str(c).casefold() for c in values.get("objectclass", ())), values))
    return out


def _csv_value(v: str) -> str | bytes:
    if v.startswith("X'") and v.endswith("'"):
        try:
            return bytes.fromhex(v[2:-1])
        except ValueError:
            return v
    return v


def decoded_text(path: str | os.PathLike[str]) -> str:
    """An export's text: UTF-16 with a BOM (``ldifde -u``, ``csvde -u``), else UTF-8 (BOM optional).

    Raises:
        SourceError: unreadable, or not text in that encoding.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the export {path}: {exc.strerror or exc}") from None
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{Path(path).name}: not {encoding} text (byte {exc.start}); export with ldifde -u "
                          "or csvde -u") from None


def _looks_like_ldif(text: str) -> bool:
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return bool(ldif_text.LDIF_LINE_RE.match(line.encode("utf-8")))
    return False


def rdn_value(dn: str) -> str:
    first = re.split(r"(?<!\\),", dn, maxsplit=1)[0]
    return first.split("=", 1)[1] if "=" in first else first


def in_configuration(dn: str) -> bool:
    """True for a DN in the Configuration partition (``…,CN=Configuration,DC=…``)."""
    low = ",".join(p.strip() for p in dn.casefold().split(","))
    return low.startswith("cn=configuration,dc=") or ",cn=configuration,dc=" in low


def is_domain_head(dn: str) -> bool:
    """True for a DN made of ``DC=`` parts only (a domain's head object)."""
    parts = [p.strip().casefold() for p in dn.split(",") if p.strip()]
    return bool(parts) and all(p.startswith("dc=") for p in parts)


def _sniffed_dns(path: str | os.PathLike[str]) -> list[str]:
    """The DNs of the entries that start in the first 64 KiB of an LDIF or csvde export."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return []
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    text = head.decode(encoding, errors="ignore").replace("\r\n", "\n")
    if _looks_like_ldif(text):
        dns = []
        for m in re.finditer(r"^dn(::?) ?(.*(?:\n .*)*)", text, re.MULTILINE | re.IGNORECASE):
            value = m.group(2).replace("\n ", "")
            if m.group(1) == "::":
                import base64

                try:
                    value = base64.b64decode(value).decode("utf-8")
                except ValueError:
                    continue
            dns.append(value.strip())
        return dns[:-1] if len(head) == _SNIFF_BYTES and len(dns) > 1 else dns  # the last may be cut
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or rows[0][0].strip().casefold() != "dn":
        return []
    body = rows[1:-1] if len(head) == _SNIFF_BYTES else rows[1:]
    return [r[0] for r in body if r]


def is_organization_export(path: str | os.PathLike[str]) -> bool:
    """True when every entry starting in the file's first 64 KiB lies in the Configuration
    partition or is a domain head (what :data:`EXPORT_COMMANDS` write); a user export
    (users, contacts, groups under the domain) is not one."""
    dns = _sniffed_dns(path)
    return bool(dns) and all(in_configuration(d) or is_domain_head(d) for d in dns)


def split_sources(source: Any, resolve: Any = None) -> tuple[Any, list[Path]]:
    """Split a ``[directory] source`` value — a URL, a path, a DirectorySource object, or a
    list of them (``--directory`` given more than once) — into the user directory source
    (None when there is none) and the organization exports (:func:`is_organization_export`).
    ``resolve`` turns a configured path into a :class:`~pathlib.Path` (``Config.path``).

    Raises:
        SourceError: more than one user directory given.
    """
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    users: list[Any] = []
    organization: list[Path] = []
    for item in items:
        if not item:
            continue
        if isinstance(item, (str, os.PathLike)) and "://" not in str(item):
            path = resolve(item) if resolve else Path(item)
            if is_organization_export(path):
                organization.append(path)
                continue
            users.append(str(path))
        else:
            users.append(item)
    if len(users) > 1:
        raise SourceError(f"more than one user directory given ({', '.join(map(str, users))}): give one "
                          "ldaps:// URL or one user export, with any number of Exchange organization exports")
    return (users[0] if users else None), organization


def iter_organization_exports(config: Any) -> Iterator[Path]:
    """The organization exports among the run's ``[directory] source`` values."""
    source = config.directory.get("source")
    if source:
        yield from split_sources(source, config.path)[1]
