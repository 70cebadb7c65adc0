"""Live Active Directory over LDAP (ldap3 or python-ldap): the :class:`LdapSource` directory source.

How to connect
--------------
Give the domain controller as a URL:

``ldaps://dc1.contoso.com`` (port 636, recommended)
    TLS from the first byte.
``ldap://dc1.contoso.com`` (port 389)
    StartTLS is sent before the bind. Plain, unencrypted LDAP is never used: if
    the server refuses StartTLS the source fails rather than send a password in
    clear text.

The server certificate is always verified (``ssl.CERT_REQUIRED``) against
``ca_file`` (a PEM file with the CA that issued the DCs' certificates — for an
enterprise CA, export its certificate) or, without ``ca_file``, the system's
trust store. The host name in the URL must be a name in the certificate; when it
is not (you connect by IP address or through a tunnel), give the certificate's
name as ``tls_server_name``: it then is the one name checked, instead of the
URL's host (a wildcard such as ``*`` is refused: it would accept any
certificate). ``insecure_no_tls_verify = true`` turns verification off (the
traffic stays encrypted but anyone in the path can read it): only for a first try
in a lab; it warns loudly every time. Note: Python's default TLS
settings need TLS 1.2; a Windows Server 2003 DC (TLS 1.0 only) cannot be read
over TLS — use an export (ldifde/csvde) there.

Which account
-------------
preflight only reads (the ldap3 connection is opened ``read_only``). Use a
least-privilege account: an ordinary domain user (``Domain Users``) can read
every attribute preflight needs (mail, proxyAddresses, msExch*, manager,
userAccountControl …); it needs no administrative group and no write rights.
Give it as ``bind_user`` — a UPN (``svc-preflight@contoso.com``) or a DN.

Where the password comes from (it is never logged, never put in a message or a
report, and is dropped from the connection right after the bind):

1. ``password_env``: the name of an environment variable holding it
   (``PREFLIGHT_LDAP_PASSWORD=… preflight --directory ldaps://dc1 --bind-user
   svc-preflight@contoso.com --password-env PREFLIGHT_LDAP_PASSWORD``);
2. else ``keyring.get_password("preflight", bind_user)`` when the ``keyring``
   package is installed and has an entry;
3. else a prompt (``getpass``) when standard input is a terminal;
4. else the source fails with :class:`~preflight.registry.SourceError`.

Kerberos: leave ``bind_user`` out to bind with SASL GSSAPI as the logged-on user
(``kinit`` first; needs the ``gssapi`` package and a URL with the DC's host name
as Kerberos knows it).

Configuration keys (``LdapSource.from_config``)
-----------------------------------------------
``source`` (URL), ``base_dn`` (str or list; default: the rootDSE's
defaultNamingContext), ``bind_user``, ``password_env``, ``ca_file``,
``tls_server_name``, ``starttls`` (bool; ldap:// always uses StartTLS, ``false``
there is refused), ``insecure_no_tls_verify`` (bool), ``connect_timeout`` (s, 10),
``receive_timeout`` (s, 30; whole seconds, at least 1), ``page_size`` (1000), ``chunk_size`` (150),
``backend`` (``"auto"``, ``"ldap3"`` or ``"python-ldap"``; default ``"auto"``).

Backends
--------
``ldap3`` (pure Python, always installed) or ``python-ldap`` (the optional
``fast-ldap`` extra: ``pip install preflight[fast-ldap]``; it wraps the C
OpenLDAP client library, needs ``libldap`` at run time and ``libldap2-dev
libsasl2-dev`` to build, and decodes results several times faster — it matters
for whole-directory reads). ``auto`` takes python-ldap when it can be imported,
else ldap3; ``python-ldap`` when it is not installed is a SourceError. Both
behave the same: LDAPS or StartTLS only, the certificate verified against
``ca_file`` or the system store (for python-ldap: ``OPT_X_TLS_REQUIRE_CERT =
DEMAND``, ``OPT_X_TLS_CACERTFILE``, a new TLS context per connection), simple
bind, ``connect_timeout`` (``OPT_NETWORK_TIMEOUT``) and ``receive_timeout`` (``OPT_TIMEOUT`` and the
per-page result wait), paged searches (``SimplePagedResultsControl``, marked
critical), escaped filters, the ``searches`` counter, every error a
SourceError without the password. With python-ldap an ldaps:// source first
makes one TLS handshake of its own (bounded by the timeouts), because libldap
would wait forever on a server that accepts and never answers; and libldap
names no cause for a refused certificate, so after such a failure one ldap3
handshake (no bind) finds the reason for the message.

Two cases always use ldap3, whatever ``backend`` says (logged at INFO): a
``tls_server_name`` that differs from the URL's host — the OpenLDAP client
library checks the certificate against the host it connects to and has no way
to connect to one name and verify another — and Kerberos (no ``bind_user``).
``LdapSource.backend`` tells which backend a source uses. Each backend is a
small class behind one protocol (:class:`~.ldap_common.LdapBackend`, in
:mod:`.ldap3_backend` and :mod:`.python_ldap_backend`); this module holds what
does not depend on the library: configuration, batching, paging, decoding.

How it searches
---------------
Every search is paged (the simple paged results control; AD's MaxPageSize is
1,000, an unpaged search would be cut there silently or with
sizeLimitExceeded). Lookups are batched: ``chunk_size`` addresses per OR-filter,
every value escaped (RFC 4515), so a 2,000-row batch takes about 14 searches.
``searches`` counts the search requests sent (each page is one).

Objects found by a lookup are kept for the life of the source, with their
``directReports`` (the back-link AD keeps of ``manager``): :meth:`LdapSource.lookup_dns`
searches only for DNs it has not seen, and :meth:`LdapSource.lookup_reports`
reads the managers' ``directReports`` instead of searching by ``manager`` (an
unindexed attribute: on Samba such a search scans the whole directory). An
attribute AD returns in ranges (``directReports;range=0-1499``: more than
MaxValRange values) is read to its end, one counted base search per range
(ldap3's own ``auto_range`` is off, so both backends do the same).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...registry import SourceError
from ..schemas import (
    DIRECTORY_BOOLS,
    DIRECTORY_INTS,
    DIRECTORY_LISTS,
    DIRECTORY_STRINGS,
    directory_frame,
)
from .ldap_common import Endpoint, LdapBackend, RawEntry

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: The back-link of ``manager`` read with every looked-up object (see "How it searches").
DIRECT_REPORTS = "directReports"
#: LDAP attributes requested for every object (``dn`` comes from the entry, and
#: ``hasMasterAccountSid`` from the presence of msExchMasterAccountSid).
ATTRIBUTES: tuple[str, ...] = (
    *(c for c in DIRECTORY_STRINGS if c != "dn"),
    *DIRECTORY_LISTS,
    *DIRECTORY_INTS,
    *(c for c in DIRECTORY_BOOLS if c != "hasMasterAccountSid"),
    "msExchMasterAccountSid",
)
_DEFAULTS = {"connect_timeout": 10.0, "receive_timeout": 30.0, "page_size": 1000, "chunk_size": 150}
BACKENDS = ("auto", "ldap3", "python-ldap")
#: A host name or an IP address: what tls_server_name may be (no wildcard).
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+")


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message: any user-info part (``user:password@``) replaced by ``***@``,
    well-formed or not."""
    scheme, sep, rest = str(url).partition("://")
    if not sep:
        scheme, rest = "", scheme
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


class LdapSource:
    """A live directory read over LDAPS or LDAP+StartTLS (see the module docstring).

    Build it with :meth:`from_config`. It connects on first use and keeps the
    connection until :meth:`close` (also a context manager). Every failure
    raises :class:`~preflight.registry.SourceError` naming the server and the
    cause.

    Attributes:
        searches: number of LDAP search requests sent so far (each page counts;
            reading the rootDSE for the default base DN counts one).
        backend: ``"ldap3"`` or ``"python-ldap"`` (see the module docstring).
    """

    def __init__(
        self,
        url: str,
        *,
        base_dn: str | Iterable[str] | None = None,
        bind_user: str | None = None,
        password_env: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        tls_server_name: str | None = None,
        starttls: bool | None = None,
        insecure_no_tls_verify: bool = False,
        connect_timeout: float = 10.0,
        receive_timeout: float = 30.0,
        page_size: int = 1000,
        chunk_size: int = 150,
        backend: str = "auto",
    ):
        shown = shown_url(url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if "@" in shown:
            raise SourceError(f"directory source {shown}: put no user or password in the URL; "
                              "use bind_user and password_env")
        if scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise SourceError(f"directory source {shown!r}: expected ldaps://host[:port] or ldap://host[:port]")
        try:
            port = parts.port
        except ValueError:
            raise SourceError(f"directory source {shown!r}: the port is not a number") from None
        use_ssl = scheme == "ldaps"
        if not use_ssl and starttls is False:
            raise SourceError(f"directory source {shown}: plain LDAP without TLS is refused (it would send the "
                              "password in clear text); use ldaps:// or StartTLS")
        tls_server_name = (tls_server_name or "").strip() or None
        if tls_server_name is not None and not _NAME.fullmatch(tls_server_name):
            raise SourceError(f"directory source {shown}: tls_server_name {tls_server_name!r} is not a host name; "
                              "give the one name the DC's certificate carries (no wildcard: it would accept "
                              "any certificate)")
        if isinstance(base_dn, str):
            base_dn = [base_dn]
        self._base_dns: list[str] | None = [b for b in base_dn if b] if base_dn else None
        if int(page_size) < 1 or int(chunk_size) < 1:
            raise SourceError(f"directory source {shown}: page_size and chunk_size must be positive")
        self.endpoint = Endpoint(
            host=parts.hostname, port=port or (636 if use_ssl else 389), use_ssl=use_ssl,
            bind_user=bind_user or None, password_env=password_env or None,
            ca_file=os.fspath(ca_file) if ca_file else None, tls_server_name=tls_server_name,
            insecure_no_tls_verify=bool(insecure_no_tls_verify), connect_timeout=float(connect_timeout),
            receive_timeout=float(receive_timeout))
        self.page_size = int(page_size)
        self.chunk_size = int(chunk_size)
        self.searches = 0
        self.backend = self._choose_backend(str(backend or "auto").strip().lower())
        self._backend: LdapBackend | None = None
        #: Objects looked up so far (DN case-folded -> decoded object; None: searched, not found).
        self._objects: dict[str, dict[str, Any] | None] = {}
        #: directReports of the objects looked up so far (DN case-folded -> report DNs).
        self._reports: dict[str, tuple[str, ...]] = {}

    # the connection settings, as attributes of the source
    url = property(lambda self: self.endpoint.url)
    host = property(lambda self: self.endpoint.host)
    port = property(lambda self: self.endpoint.port)
    use_ssl = property(lambda self: self.endpoint.use_ssl)
    bind_user = property(lambda self: self.endpoint.bind_user)
    tls_server_name = property(lambda self: self.endpoint.tls_server_name)
    insecure_no_tls_verify = property(lambda self: self.endpoint.insecure_no_tls_verify)

    def _choose_backend(self, wanted: str) -> str:
        if wanted not in BACKENDS:
            raise SourceError(f"directory source {self.url}: backend {wanted!r} is not one of "
                              f"{', '.join(BACKENDS)}")
        if wanted == "ldap3":
            return "ldap3"
        if not _python_ldap_available():
            if wanted == "python-ldap":
                raise SourceError(f"directory source {self.url}: backend python-ldap is not installed "
                                  "(pip install preflight[fast-ldap]; it needs libldap), or use backend ldap3")
            return "ldap3"
        why = None
        if self.tls_server_name and self.tls_server_name.casefold() != self.host.casefold():
            why = "tls_server_name differs from the host (libldap verifies the name it connects to)"
        elif not self.bind_user:
            why = "Kerberos binds go through ldap3"
        if why:
            (log.info if wanted == "python-ldap" else log.debug)("%s: using ldap3, not python-ldap: %s",
                                                                self.url, why)
            return "ldap3"
        return "python-ldap"

    @classmethod
    def from_config(cls, d: dict[str, Any]) -> LdapSource:
        """Build from a ``[directory]`` mapping (keys in the module docstring;
        ``None`` values mean "not given"). Does not connect."""
        d = {k: v for k, v in d.items() if v is not None}
        if not d.get("source"):
            raise SourceError("directory source: no ldaps:// or ldap:// URL given")
        opts = {k: d.get(k, v) for k, v in _DEFAULTS.items()}
        try:
            opts = {k: (float(v) if k.endswith("timeout") else int(v)) for k, v in opts.items()}
        except (TypeError, ValueError) as exc:
            raise SourceError(f"directory source {shown_url(d['source'])}: bad number in configuration: {exc}"
                              ) from None
        return cls(
            str(d["source"]),
            base_dn=d.get("base_dn"),
            bind_user=d.get("bind_user"),
            password_env=d.get("password_env"),
            ca_file=d.get("ca_file"),
            tls_server_name=d.get("tls_server_name"),
            starttls=d.get("starttls"),
            insecure_no_tls_verify=bool(d.get("insecure_no_tls_verify", False)),
            backend=str(d.get("backend", "auto")),
            **opts,
        )

    # -- DirectorySource -------------------------------------------------------------------------------------

    def lookup(self, addresses: Iterable[str]) -> pd.DataFrame:
        """Objects whose ``mail`` or an ``smtp:`` proxy address is one of ``addresses``
        (AD compares case-insensitively), as a DirectoryObjects frame. An object the server returns
        without carrying one of them (Samba cuts a filter value at a NUL byte) is left out."""
        def clause(a: str) -> str:
            v = self._escape(a)
            return f"(proxyAddresses=smtp:{v})(mail={v})"

        values = _unique(addresses)
        wanted = {v.casefold() for v in values}
        return directory_frame([obj for obj in self._batched(values, clause).values()
                                if wanted.intersection(_addresses(obj))])

    def lookup_dns(self, dns: Iterable[str]) -> pd.DataFrame:
        """Objects with these distinguished names; a DN looked up before (by any lookup) is not
        searched again."""
        wanted = _unique(dns)
        new = [d for d in wanted if d.casefold() not in self._objects]
        found: dict[str, dict[str, Any]] = {}
        if new:
            found = self._batched(new, lambda d: f"(distinguishedName={self._escape(d)})")
            for d in new:
                self._objects.setdefault(d.casefold(), None)
        for d in wanted:
            obj = self._objects.get(d.casefold())
            if obj is not None:
                found.setdefault(d.casefold(), obj)
        return directory_frame(list(found.values()))

    def lookup_reports(self, manager_dns: Iterable[str]) -> pd.DataFrame:
        """Objects whose ``manager`` is one of ``manager_dns`` (DNs as the directory spells them,
        any case): read from the managers' ``directReports`` back-link, not searched by ``manager``."""
        managers = _unique(manager_dns)
        unread = [m for m in managers if m.casefold() not in self._reports]
        if unread:
            self.lookup_dns(unread)  # reads their directReports
        reports = [r for m in managers for r in self._reports.get(m.casefold(), ())]
        return self.lookup_dns(reports)

    def read_all(self, base: str | None = None) -> pd.DataFrame:
        """Every object under ``base`` (default: every configured base DN)."""
        found: dict[str, dict[str, Any]] = {}
        for b in [base] if base else self.base_dns():
            for dn, raw in self._search(b, "(objectClass=*)", list(ATTRIBUTES)):
                if dn.casefold() not in found:
                    found[dn.casefold()] = _decode(dn, self._whole(dn, raw))
        return directory_frame(list(found.values()))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "directory",
            "format": "ldap",
            "source": self.url,
            "tls": "ldaps" if self.use_ssl else "starttls",
            "tls_verify": not self.insecure_no_tls_verify,
            "base_dn": list(self._base_dns) if self._base_dns else None,
            "bind_user": self.bind_user or "(kerberos)",
        }

    # -- generic reads (the Exchange organization, preflight.sources.directory.configuration) ------------------

    def root_dse_values(self, attribute: str) -> list[str]:
        """The text values of one rootDSE attribute (``configurationNamingContext``, say); one search."""
        return [_text(v) for v in self._read("", attribute)]  # the rootDSE is the object ""

    def search_entries(self, base: str, search_filter: str, attributes: Iterable[str], *, scope: str = "subtree",
                       sd_flags: int | None = None) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        """``(dn, {attribute: [raw values]})`` of a paged search under ``base`` (any naming
        context). ``search_filter`` is sent as given: escape values in it (RFC 4515). Each page counts
        in ``searches``; failures raise SourceError.

        Args:
            scope: ``"subtree"`` or ``"base"`` (constructed attributes such as ``tokenGroups`` are
                returned to base searches only).
            sd_flags: with a value, the LDAP_SERVER_SD_FLAGS control (1.2.840.113556.1.4.801) asks
                for those parts of ``nTSecurityDescriptor`` only (4: the DACL). Without it AD gives an
                account that lacks SeSecurityPrivilege no ``nTSecurityDescriptor`` at all.
        """
        if scope not in ("subtree", "base"):
            raise ValueError(f"scope {scope!r} is not subtree or base")
        return self._search(base, search_filter, list(attributes), scope=scope, sd_flags=sd_flags)

    # -- connection ------------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a bound connection is open."""
        return self._backend is not None and self._backend.connected

    def _connected(self) -> LdapBackend:
        """The backend, connected and bound."""
        if self._backend is None:
            if self.backend == "python-ldap":
                from .python_ldap_backend import PythonLdapBackend

                self._backend = PythonLdapBackend(self.endpoint)
            else:
                from .ldap3_backend import Ldap3Backend

                self._backend = Ldap3Backend(self.endpoint)
        self._backend.connect()
        return self._backend

    def base_dns(self) -> list[str]:
        """The configured base DNs, or the server's defaultNamingContext (read once)."""
        if self._base_dns is None:
            values = [_text(v) for v in self._read("", "defaultNamingContext")]
            if not values:
                raise SourceError(f"LDAP server {self.url}: the rootDSE names no defaultNamingContext; give base_dn")
            self._base_dns = values[:1]
        return list(self._base_dns)

    def close(self) -> None:
        """Unbind (safe to call more than once)."""
        if self._backend is not None:
            self._backend.close()

    def __enter__(self) -> LdapSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LdapSource({self.url!r}, bind_user={self.bind_user!r}, backend={self.backend!r})"

    # -- searching -------------------------------------------------------------------------------------------

    def _escape(self, value: str) -> str:
        """``value`` escaped for a search filter by the backend's library (RFC 4515)."""
        return self._connected().escape(value)

    def _read(self, dn: str, attribute: str) -> list[bytes]:
        """Raw values of one attribute of one object (one base-scope search)."""
        backend = self._connected()
        self.searches += 1
        raw = backend.read(dn, [attribute])
        return [v for k, vs in raw.items() if k.casefold() == attribute.casefold() for v in vs]

    def _search(self, base: str, search_filter: str, attributes: list[str], *, scope: str = "subtree",
                sd_flags: int | None = None) -> Iterator[RawEntry]:
        """``(dn, {attribute: [raw values]})`` of a paged search; each page counts one search."""
        backend = self._connected()
        cookie: bytes | None = None
        number = 0
        while True:
            number += 1
            self.searches += 1
            entries, cookie = backend.page(base, search_filter, attributes, self.page_size, cookie, number,
                                           scope=scope, sd_flags=sd_flags)
            yield from entries
            if not cookie:
                return

    def _batched(self, values: list[str], clause: Callable[[str], str]) -> dict[str, dict[str, Any]]:
        """Objects matching any ``clause(value)``, ``chunk_size`` values per OR-filter, under every base
        DN (DN case-folded -> decoded object); each is kept, with its directReports, for later lookups."""
        found: dict[str, dict[str, Any]] = {}
        if values:
            bases = self.base_dns()
            attributes = [*ATTRIBUTES, DIRECT_REPORTS]
            for i in range(0, len(values), self.chunk_size):
                search_filter = "(|" + "".join(clause(v) for v in values[i:i + self.chunk_size]) + ")"
                for base in bases:
                    for dn, sent in self._search(base, search_filter, attributes):
                        key = dn.casefold()
                        if key not in found:
                            raw = self._whole(dn, sent)
                            found[key] = self._objects[key] = _decode(dn, raw)
                            self._reports[key] = tuple(_text(v) for k, vs in raw.items()
                                                       if k.casefold() == DIRECT_REPORTS.casefold() for v in vs)
        return found

    def _whole(self, dn: str, raw: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
        """``raw`` with every attribute the server sent in ranges (``proxyAddresses;range=0-1499``: more
        values than its MaxValRange) completed from the server, range by range, under its plain name."""
        if not any(";range=" in key.casefold() for key in raw):
            return raw
        out: dict[str, list[bytes]] = {}
        for key, vs in raw.items():
            name, _, option = key.partition(";")
            if not option.casefold().startswith("range="):
                out.setdefault(key, []).extend(vs)
                continue
            values = out.setdefault(name, [])
            values.extend(vs)
            last = option.rsplit("-", 1)[1]
            while last != "*":
                wanted = f"{name};range={int(last) + 1}-*"
                backend = self._connected()
                self.searches += 1
                more = [(k, v) for k, v in backend.read(dn, [wanted]).items()
                        if k.casefold().startswith(f"{name.casefold()};range=")]
                if not more:
                    raise SourceError(f"LDAP server {self.url}: reading {name} of {dn}: the server sent part of "
                                      "its values and not the rest")
                last = more[0][0].rsplit("-", 1)[1]
                values.extend(more[0][1])
        return out


# -- helpers -------------------------------------------------------------------------------------------------

_STRINGS = tuple(c for c in DIRECTORY_STRINGS if c != "dn")
_BOOLS = tuple(c for c in DIRECTORY_BOOLS if c != "hasMasterAccountSid")


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _decode(dn: str, raw: dict[str, list[bytes]]) -> dict[str, Any]:
    """One search entry (raw values) as the mapping ``directory_frame`` takes."""
    values = {k.casefold(): v for k, v in raw.items() if v}
    obj: dict[str, Any] = {"dn": dn}
    for name in _STRINGS:
        v = values.get(name.casefold())
        if v:
            obj[name] = _text(v[0])
    for name in DIRECTORY_LISTS:
        v = values.get(name.casefold())
        if v:
            obj[name] = tuple(_text(x) for x in v)
    for name in DIRECTORY_INTS:
        v = values.get(name.casefold())
        if v:
            with contextlib.suppress(ValueError):
                obj[name] = int(_text(v[0]))
    for name in _BOOLS:
        v = values.get(name.casefold())
        if v:
            obj[name] = _text(v[0]).strip().upper() == "TRUE"
    if values.get("msexchmasteraccountsid"):
        obj["hasMasterAccountSid"] = True
    return obj


def _addresses(obj: dict[str, Any]) -> set[str]:
    """The object's ``mail`` and ``smtp:`` proxy addresses, case-folded."""
    out = {p[5:].strip().casefold() for p in obj.get("proxyAddresses", ()) if p[:5].casefold() == "smtp:"}
    if obj.get("mail"):
        out.add(obj["mail"].strip().casefold())
    return out


def _unique(values: Iterable[str]) -> list[str]:
    """Stripped, non-empty values, first spelling of each case-insensitive duplicate."""
    seen: dict[str, str] = {}
    for v in values:
        if v is None:
            continue
        s = str(v).strip()
        if s:
            seen.setdefault(s.casefold(), s)
    return list(seen.values())


_PYLDAP: list[bool] = []


def _python_ldap_available() -> bool:
    """Whether python-ldap (module ``ldap``, with libldap) can be imported (checked once)."""
    if not _PYLDAP:
        try:
            import ldap  # noqa: F401
            from ldap.controls import SimplePagedResultsControl  # noqa: F401
        except ImportError:
            _PYLDAP.append(False)
        else:
            _PYLDAP.append(True)
    return _PYLDAP[0]
