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
name as ``tls_server_name``. ``insecure_no_tls_verify = true`` turns verification
off (the traffic stays encrypted but anyone in the path can read it): only for a
first try in a lab; it warns loudly every time. Note: Python's default TLS
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
``LdapSource.backend`` tells which backend a source uses.

How it searches
---------------
Every search is paged (the simple paged results control; AD's MaxPageSize is
1,000, an unpaged search would be cut there silently or with
sizeLimitExceeded). Lookups are batched: ``chunk_size`` addresses per OR-filter,
every value escaped (RFC 4515), so a 2,000-row batch takes about 14 searches.
``searches`` counts the search requests sent (each page is one).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import math
import os
import re
import ssl
import sys
import warnings
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

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: LDAP attributes requested for every object (``dn`` comes from the entry, and
#: ``hasMasterAccountSid`` from the presence of msExchMasterAccountSid).
ATTRIBUTES: tuple[str, ...] = (
    *(c for c in DIRECTORY_STRINGS if c != "dn"),
    *DIRECTORY_LISTS,
    *DIRECTORY_INTS,
    *(c for c in DIRECTORY_BOOLS if c != "hasMasterAccountSid"),
    "msExchMasterAccountSid",
)
_PAGED_OID = "1.2.840.113556.1.4.319"
_BIND_HINTS = {
    "invalidCredentials": " (wrong user name or password, or the account is disabled, locked or expired)",
    "strongerAuthRequired": " (the server wants signing or a TLS channel it accepts)",
    "confidentialityRequired": " (the server wants a TLS channel it accepts)",
}
_DEFAULTS = {"connect_timeout": 10.0, "receive_timeout": 30.0, "page_size": 1000, "chunk_size": 150}
BACKENDS = ("auto", "ldap3", "python-ldap")


class LdapSource:
    """A live directory read over LDAPS or LDAP+StartTLS (see the module docstring).

    Build it with :meth:`from_config`. It connects on first use and keeps the
    connection until :meth:`close` (also a context manager). Every failure
    raises :class:`~preflight.registry.SourceError` naming the server and the
    cause.

    Attributes:
        searches: number of LDAP search requests sent so far (each page counts;
            reading the rootDSE for the default base DN counts one).
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
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise SourceError(f"directory source {url!r}: expected ldaps://host[:port] or ldap://host[:port]")
        if parts.username or parts.password:
            raise SourceError(f"directory source {scheme}://{parts.hostname}: put no user or password in the URL; "
                              "use bind_user and password_env")
        try:
            port = parts.port
        except ValueError:
            raise SourceError(f"directory source {url!r}: the port is not a number") from None
        self.use_ssl = scheme == "ldaps"
        if not self.use_ssl and starttls is False:
            raise SourceError(f"directory source {url}: plain LDAP without TLS is refused (it would send the "
                              "password in clear text); use ldaps:// or StartTLS")
        self.host = parts.hostname
        self.port = port or (636 if self.use_ssl else 389)
        self.url = f"{scheme}://{self.host}:{self.port}"
        if isinstance(base_dn, str):
            base_dn = [base_dn]
        self._base_dns: list[str] | None = [b for b in base_dn if b] if base_dn else None
        self.bind_user = bind_user or None
        self.password_env = password_env or None
        self.ca_file = os.fspath(ca_file) if ca_file else None
        self.tls_server_name = tls_server_name or None
        self.insecure_no_tls_verify = bool(insecure_no_tls_verify)
        self.connect_timeout = float(connect_timeout)
        self.receive_timeout = float(receive_timeout)
        if int(page_size) < 1 or int(chunk_size) < 1:
            raise SourceError(f"directory source {self.url}: page_size and chunk_size must be positive")
        self.page_size = int(page_size)
        self.chunk_size = int(chunk_size)
        self.searches = 0
        self._conn: Any = None
        #: The backend this source uses: ``"ldap3"`` or ``"python-ldap"`` (see the module docstring).
        self.backend = self._choose_backend(str(backend or "auto").strip().lower())

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
            raise SourceError(f"directory source {d['source']}: bad number in configuration: {exc}") from None
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
        (AD compares case-insensitively), as a DirectoryObjects frame."""
        escape_filter_chars = self._escaper()

        def clause(a: str) -> str:
            v = escape_filter_chars(a)
            return f"(proxyAddresses=smtp:{v})(mail={v})"

        return self._batched(_unique(addresses), clause)

    def lookup_dns(self, dns: Iterable[str]) -> pd.DataFrame:
        """Objects with these distinguished names."""
        escape_filter_chars = self._escaper()

        return self._batched(_unique(dns), lambda d: f"(distinguishedName={escape_filter_chars(d)})")

    def lookup_reports(self, manager_dns: Iterable[str]) -> pd.DataFrame:
        """Objects whose ``manager`` is one of ``manager_dns``."""
        escape_filter_chars = self._escaper()

        return self._batched(_unique(manager_dns), lambda d: f"(manager={escape_filter_chars(d)})")

    def _escaper(self) -> Callable[[str], str]:
        """RFC 4515 escaping of a filter value (``\\ * ( )`` and NUL), from the backend's library."""
        if self.backend == "python-ldap":
            from ldap.filter import escape_filter_chars as escape
        else:
            from ldap3.utils.conv import escape_filter_chars as escape
        return escape

    def read_all(self, base: str | None = None) -> pd.DataFrame:
        """Every object under ``base`` (default: every configured base DN)."""
        found: dict[str, dict[str, Any]] = {}
        for b in [base] if base else self.base_dns():
            for obj in self._paged(b, "(objectClass=*)"):
                found.setdefault(obj["dn"].casefold(), obj)
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
        read = getattr(self, "_read", None)  # the split backends read the rootDSE as the object ""
        return [_text(v) for v in (read("", attribute) if read is not None else self._root_dse(attribute))]

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

    def base_dns(self) -> list[str]:
        """The configured base DNs, or the server's defaultNamingContext (read once)."""
        if self._base_dns is None:
            values = [_text(v) for v in self._root_dse("defaultNamingContext")]
            if not values:
                raise SourceError(f"LDAP server {self.url}: the rootDSE names no defaultNamingContext; give base_dn")
            self._base_dns = values[:1]
        return list(self._base_dns)

    def close(self) -> None:
        """Unbind (safe to call more than once)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _close_quietly(conn)

    def __enter__(self) -> LdapSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LdapSource({self.url!r}, bind_user={self.bind_user!r}, backend={self.backend!r})"

    def _check_tls_settings(self) -> bool:
        """True when the certificate is to be verified (warns loudly when not); checks ca_file exists."""
        if self.insecure_no_tls_verify:
            message = (f"INSECURE: TLS certificate verification is OFF for {self.url} (insecure_no_tls_verify): "
                       "anyone between you and the server can pose as it and read the bind password and the "
                       "directory data")
            log.warning(message)
            warnings.warn(message, UserWarning, stacklevel=4)
            return False
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise SourceError(f"LDAP server {self.url}: ca_file {self.ca_file} does not exist")
        return True

    def _tls(self) -> Any:
        import ldap3

        if not self._check_tls_settings():
            return ldap3.Tls(validate=ssl.CERT_NONE)
        return ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=self.ca_file,
            valid_names=[self.tls_server_name] if self.tls_server_name else None,
        )

    def _password(self) -> str:
        user = self.bind_user
        if self.password_env:
            value = os.environ.get(self.password_env)
            if not value:
                raise SourceError(f"LDAP server {self.url}: environment variable {self.password_env} "
                                  f"(password of {user}) is not set or empty")
            return value
        try:
            import keyring  # type: ignore[import-not-found]
        except ImportError:
            pass
        else:
            try:
                value = keyring.get_password("preflight", user)
            except Exception:  # noqa: BLE001 - a broken keyring backend means "no entry"
                value = None
            if value:
                return value
        if sys.stdin is not None and sys.stdin.isatty():
            value = getpass.getpass(f"Password for {user} at {self.url}: ")
            if value:
                return value
        raise SourceError(f"LDAP server {self.url}: no password for {user}: set password_env (the name of an "
                          "environment variable holding it), store it with keyring, or run in a terminal")

    def _connection(self) -> Any:
        if self._conn is not None:
            return self._conn
        if self.backend == "python-ldap":
            self._conn = self._connect_python_ldap()
            return self._conn
        import ldap3
        from ldap3.core.exceptions import LDAPException

        tls = self._tls()
        server = ldap3.Server(self.host, port=self.port, use_ssl=self.use_ssl, tls=tls, get_info=ldap3.NONE,
                              connect_timeout=self.connect_timeout)
        # ldap3 packs receive_timeout into SO_RCVTIMEO as an integer: whole seconds, at least 1.
        common = {"read_only": True, "auto_referrals": False, "raise_exceptions": False,
                  "receive_timeout": max(1, math.ceil(self.receive_timeout)), "return_empty_attributes": False}
        password = ""
        if self.bind_user:
            password = self._password()
            conn = ldap3.Connection(server, user=self.bind_user, password=password,
                                    authentication=ldap3.SIMPLE, **common)
            how = f"as {self.bind_user}"
        else:
            try:
                import gssapi  # type: ignore[import-not-found]  # noqa: F401
            except ImportError:
                raise SourceError(f"LDAP server {self.url}: no bind_user given and Kerberos is unavailable "
                                  "(the 'gssapi' package is not installed): install it (pip install gssapi, "
                                  "after kinit) or give bind_user and password_env") from None
            conn = ldap3.Connection(server, authentication=ldap3.SASL, sasl_mechanism=ldap3.KERBEROS, **common)
            how = "with Kerberos (GSSAPI)"
        try:
            conn.open()
            if not self.use_ssl and not conn.start_tls():
                raise SourceError(f"LDAP server {self.url}: StartTLS failed ({_result(conn)}); "
                                  "refusing to continue without TLS")
            if not conn.bind():
                hint = _BIND_HINTS.get((conn.result or {}).get("description", ""), "")
                raise SourceError(f"LDAP server {self.url}: bind {how} failed: {_result(conn)}{hint}")
        except SourceError as exc:
            _close_quietly(conn)
            raise SourceError(_scrub(str(exc), password)) from None
        except (LDAPException, OSError) as exc:
            _close_quietly(conn)
            raise SourceError(_scrub(self._why(exc, f"connecting {how}"), password)) from None
        conn.password = None  # not needed after the bind (no re-bind, no referral chasing)
        log.debug("connected to %s %s", self.url, how)
        self._conn = conn
        return conn

    def _connect_python_ldap(self) -> Any:
        """A bound python-ldap connection (same TLS, timeout and error rules as the ldap3 one)."""
        import ldap

        verify = self._check_tls_settings()
        password = self._password()  # bind_user is set: without one the backend is ldap3
        how = f"as {self.bind_user}"
        if self.use_ssl:
            self._answers_tls(how)
        host = f"[{self.host}]" if ":" in self.host else self.host
        conn = ldap.initialize(f"{'ldaps' if self.use_ssl else 'ldap'}://{host}:{self.port}", bytes_mode=False)
        try:
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.connect_timeout)
            conn.set_option(ldap.OPT_TIMEOUT, self.receive_timeout)
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND if verify else ldap.OPT_X_TLS_NEVER)
            if self.ca_file:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, self.ca_file)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # last: builds this connection's TLS context
            if not self.use_ssl:
                try:
                    conn.start_tls_s()
                except ldap.LDAPError as exc:
                    doing = "StartTLS failed, refusing to continue without TLS"
                    raise SourceError(self._tls_probe(exc, doing) or self._why(exc, doing)) from None
            try:
                conn.simple_bind_s(self.bind_user, password)
            except (ldap.INVALID_CREDENTIALS, ldap.STRONG_AUTH_REQUIRED, ldap.CONFIDENTIALITY_REQUIRED,
                    ldap.INAPPROPRIATE_AUTH, ldap.UNWILLING_TO_PERFORM) as exc:
                desc, msg = _pyldap_result(exc)
                raise SourceError(f"LDAP server {self.url}: bind {how} failed: "
                                  f"{desc}{': ' + _short(msg) if msg else ''}{_BIND_HINTS.get(desc, '')}") from None
        except SourceError as exc:
            _close_quietly(conn)
            raise SourceError(_scrub(str(exc), password)) from None
        except (ldap.LDAPError, OSError) as exc:
            _close_quietly(conn)
            reason = self._tls_probe(exc, f"connecting {how}") or self._why(exc, f"connecting {how}")
            raise SourceError(_scrub(reason, password)) from None
        del password
        log.debug("connected to %s %s (python-ldap)", self.url, how)
        return conn

    def _answers_tls(self, how: str) -> None:
        """libldap's LDAPS handshake waits forever (spinning) on a server that accepts the connection and
        never answers: check first, within connect_timeout / receive_timeout, that the server completes a
        TLS handshake (certificate not checked here; libldap checks it right after)."""
        import socket

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((self.host, self.port), timeout=self.connect_timeout) as raw:
                raw.settimeout(max(1, math.ceil(self.receive_timeout)))
                with ctx.wrap_socket(raw, server_hostname=self.host):
                    pass
        except OSError as exc:
            raise SourceError(self._why(exc, f"connecting {how}")) from None

    def _tls_probe(self, exc: BaseException, doing: str) -> str | None:
        """libldap reports a failed certificate check only as "Can't contact LDAP server (unknown error
        code)": when python-ldap failed that way, repeat the TLS handshake with ldap3 (same settings, no
        bind, no password) and return its reason, or None when that tells nothing more."""
        if self.insecure_no_tls_verify or not _is_pyldap_error(exc) or _pyldap_code(exc) not in (-1, -11):
            return None
        low = _pyldap_text(exc).lower()
        if "refused" in low or "timed out" in low or "timeout" in low:
            return None
        import ldap3
        from ldap3.core.exceptions import LDAPException

        server = ldap3.Server(self.host, port=self.port, use_ssl=self.use_ssl, tls=self._tls(),
                              get_info=ldap3.NONE, connect_timeout=self.connect_timeout)
        probe = ldap3.Connection(server, read_only=True, raise_exceptions=False,
                                 receive_timeout=max(1, math.ceil(self.receive_timeout)))
        try:
            probe.open()
            if not self.use_ssl:
                probe.start_tls()
        except (LDAPException, OSError) as probe_exc:
            return self._why(probe_exc, doing)
        finally:
            _close_quietly(probe)
        return None

    def _why(self, exc: BaseException, doing: str) -> str:
        text = _pyldap_text(exc) if _is_pyldap_error(exc) else str(exc)
        low = text.lower()
        if "hostname mismatch" in low or "hostname does not match" in low:
            cause = (f"the TLS certificate does not name {self.host}; connect by the name in the certificate "
                     "or give tls_server_name")
        elif "certificate_verify_failed" in low or "certificate verify failed" in low:
            detail = re.search(r"certificate verify failed[:(]\s*([^(')\]]+)", text)
            cause = (f"the TLS certificate could not be verified ({detail.group(1).strip() if detail else 'untrusted'});"
                     " give ca_file (the CA that issued the DC's certificate)")
        elif type(exc).__name__ == "LDAPCertificateError" or "doesn't match any name" in low:
            names = re.findall(r"\('(?:commonName|DNS)', '([^']+)'\)", text)
            named = f"it names {', '.join(dict.fromkeys(names))}" if names else _short(text)
            cause = (f"the TLS certificate does not name {self.host} ({named}); connect by the name in the "
                     "certificate or give tls_server_name")
        elif "refused" in low:
            cause = "connection refused (nothing listens on that port, or a firewall rejects it)"
        elif "timed out" in low or "timeout" in low:
            if "while opening" in low or "(connect)" in low:  # the TCP connect / TLS handshake
                cause = f"no connection within {self.connect_timeout:g} s (timed out)"
            else:
                cause = f"no answer within {max(1, math.ceil(self.receive_timeout))} s (timed out)"
        elif "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
            cause = f"cannot resolve host name {self.host}"
        else:
            cause = f"{type(exc).__name__}: {_short(text)}"
        return f"LDAP server {self.url}: {doing}: {cause}"

    def _call(self, fn: Callable[[], Any], doing: str) -> Any:
        from ldap3.core.exceptions import LDAPException

        try:
            return fn()
        except (LDAPException, OSError) as exc:
            self.close()
            raise SourceError(self._why(exc, doing)) from None
        except Exception as exc:
            if not _is_pyldap_error(exc):
                raise
            self.close()
            raise SourceError(self._why(exc, doing)) from None

    # -- searching -------------------------------------------------------------------------------------------

    def _paged(self, base: str, search_filter: str) -> Iterator[dict[str, Any]]:
        """Decoded objects of a paged subtree search under ``base``."""
        for dn, raw in self._search(base, search_filter, ATTRIBUTES):
            yield _decode(dn, raw)

    # -- the backend seam: _search (paged subtree search) and _root_dse, one implementation per backend --------

    def _search(self, base: str, search_filter: str, attributes: Iterable[str], *, scope: str = "subtree",
                sd_flags: int | None = None) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        """``(dn, {attribute: [raw values]})`` of a paged search; each page counts one search."""
        if self.backend == "python-ldap":
            return self._search_python_ldap(base, search_filter, list(attributes), scope, sd_flags)
        return self._search_ldap3(base, search_filter, list(attributes), scope, sd_flags)

    def _root_dse(self, attribute: str) -> list[bytes]:
        """Raw values of one rootDSE attribute (one base-scope search)."""
        conn = self._connection()
        self.searches += 1
        if self.backend == "python-ldap":
            import ldap

            res = self._call(lambda: conn.search_ext_s("", ldap.SCOPE_BASE, "(objectClass=*)", [attribute],
                                                       timeout=self.receive_timeout), "reading the rootDSE")
            for dn, attrs in res or ():
                if dn is not None:
                    return [v for k, vs in attrs.items() if k.casefold() == attribute.casefold() for v in vs]
            return []
        ok = self._call(lambda: conn.search("", "(objectClass=*)", search_scope="BASE",
                                            attributes=[attribute]), "reading the rootDSE")
        if ok:
            for r in conn.response or ():
                if r.get("type") == "searchResEntry":
                    return list(r["raw_attributes"].get(attribute, []))
        return []

    def _page_failed(self, base: str, pages: int, code: int, text: str) -> SourceError:
        if code == 32:  # noSuchObject: the base does not exist
            return SourceError(f"LDAP server {self.url}: base DN {base} does not exist")
        hint = ""
        if code == 4:
            hint = " (the server cut the result although paging was requested)"
        elif code == 12:
            hint = " (the server does not support paged searches)"
        return SourceError(f"LDAP server {self.url}: searching {base} failed (page {pages}): {text}{hint}")

    def _search_python_ldap(self, base: str, search_filter: str, attributes: list[str], scope: str = "subtree",
                            sd_flags: int | None = None) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        import ldap
        from ldap.controls import LDAPControl, SimplePagedResultsControl

        conn = self._connection()
        control = SimplePagedResultsControl(criticality=True, size=self.page_size, cookie=b"")
        extra = [LDAPControl(*_sd_flags_control(sd_flags))] if sd_flags is not None else []
        pages = 0
        while True:
            self.searches += 1
            pages += 1
            try:
                msgid = conn.search_ext(base, ldap.SCOPE_BASE if scope == "base" else ldap.SCOPE_SUBTREE,
                                        search_filter, attributes, serverctrls=[control, *extra])
                _, data, _, controls = conn.result3(msgid, all=1, timeout=self.receive_timeout)
            except (ldap.TIMEOUT, ldap.SERVER_DOWN, ldap.CONNECT_ERROR, OSError) as exc:
                self.close()
                raise SourceError(self._why(exc, f"searching {base}")) from None
            except ldap.LDAPError as exc:
                self.close()
                code = _pyldap_code(exc)
                desc, msg = _pyldap_result(exc)
                raise self._page_failed(base, pages, code, f"{desc}: {_short(msg)}" if msg else desc) from None
            for dn, attrs in data or ():
                if dn is not None:  # None: a search reference (referrals are not chased)
                    yield dn, attrs
            cookie = next((c.cookie for c in controls or () if c.controlType == SimplePagedResultsControl.controlType),
                          None)
            if not cookie:
                return
            control.cookie = cookie

    def _search_ldap3(self, base: str, search_filter: str, attributes: list[str], scope: str = "subtree",
                      sd_flags: int | None = None) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
        import ldap3

        conn = self._connection()
        search_scope = ldap3.BASE if scope == "base" else ldap3.SUBTREE
        controls = [_sd_flags_control(sd_flags)] if sd_flags is not None else None
        cookie: bytes | None = None
        pages = 0
        while True:
            self.searches += 1
            pages += 1
            self._call(
                lambda cookie=cookie: conn.search(base, search_filter, search_scope=search_scope,
                                                  attributes=attributes, paged_size=self.page_size,
                                                  paged_cookie=cookie, controls=controls),
                f"searching {base}",
            )
            result = conn.result or {}
            code = result.get("result")
            if code not in (0, None):
                raise self._page_failed(base, pages, code, _result(conn))
            for r in conn.response or ():
                if r.get("type") == "searchResEntry":
                    yield r["dn"], r["raw_attributes"]
            control = (result.get("controls") or {}).get(_PAGED_OID)
            cookie = control["value"]["cookie"] if control else None
            if not cookie:
                return

    def _batched(self, values: list[str], clause: Callable[[str], str]) -> pd.DataFrame:
        found: dict[str, dict[str, Any]] = {}
        if values:
            bases = self.base_dns()
            for i in range(0, len(values), self.chunk_size):
                search_filter = "(|" + "".join(clause(v) for v in values[i:i + self.chunk_size]) + ")"
                for base in bases:
                    for obj in self._paged(base, search_filter):
                        found.setdefault(obj["dn"].casefold(), obj)
        return directory_frame(list(found.values()))


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
            try:
                obj[name] = int(_text(v[0]))
            except ValueError:
                pass
    for name in _BOOLS:
        v = values.get(name.casefold())
        if v:
            obj[name] = _text(v[0]).strip().upper() == "TRUE"
    if values.get("msexchmasteraccountsid"):
        obj["hasMasterAccountSid"] = True
    return obj


def _sd_flags_control(flags: int) -> tuple[str, bool, bytes]:
    """The LDAP_SERVER_SD_FLAGS control as ``(oid, criticality, BER value)``: ldap3's ASN.1 type of its
    value (``SEQUENCE { Flags INTEGER }``), BER-encoded by pyasn1 (both backends send these bytes)."""
    from ldap3.protocol.microsoft import SdFlags
    from pyasn1.codec.ber import encoder

    value = SdFlags()
    value.setComponentByName("Flags", flags)
    return "1.2.840.113556.1.4.801", True, encoder.encode(value)


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


def _result(conn: Any) -> str:
    r = conn.result or {}
    desc = r.get("description") or "error"
    msg = (r.get("message") or "").strip()
    return f"{desc}: {_short(msg)}" if msg else str(desc)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _close_quietly(conn: Any) -> None:
    if hasattr(conn, "unbind_s"):  # python-ldap
        with contextlib.suppress(Exception):
            conn.unbind_s()
        return
    conn.password = None
    with contextlib.suppress(Exception):
        conn.unbind()


_PYLDAP: list[Any] = []


def _python_ldap_available() -> bool:
    """Whether python-ldap (module ``ldap``, with libldap) can be imported (checked once)."""
    if not _PYLDAP:
        try:
            import ldap
            from ldap.controls import SimplePagedResultsControl  # noqa: F401
        except ImportError:
            _PYLDAP.append(None)
        else:
            _PYLDAP.append(ldap)
    return _PYLDAP[0] is not None


def _is_pyldap_error(exc: BaseException) -> bool:
    mod = sys.modules.get("ldap")
    return mod is not None and isinstance(exc, getattr(mod, "LDAPError", ()))


def _pyldap_info(exc: BaseException) -> dict[str, Any]:
    arg = exc.args[0] if exc.args else None
    return arg if isinstance(arg, dict) else {"desc": str(arg or type(exc).__name__)}


def _pyldap_code(exc: BaseException) -> int:
    code = _pyldap_info(exc).get("result")
    return code if isinstance(code, int) else -1


def _pyldap_result(exc: BaseException) -> tuple[str, str]:
    """(ldap3-style result name, e.g. ``invalidCredentials``, and the server's message) of a python-ldap error."""
    from ldap3.core.results import RESULT_CODES

    info = _pyldap_info(exc)
    code = _pyldap_code(exc)
    desc = RESULT_CODES.get(code) or str(info.get("desc") or type(exc).__name__)
    return desc, str(info.get("info") or "").strip()


def _pyldap_text(exc: BaseException) -> str:
    """A python-ldap client-side error (server down, TLS, timeout) as one line for :meth:`LdapSource._why`."""
    info = _pyldap_info(exc)
    parts = [str(info.get("desc") or type(exc).__name__)]
    if info.get("info"):
        parts.append(str(info["info"]))
    if isinstance(info.get("errno"), int):
        parts.append(os.strerror(info["errno"]))
    return ": ".join(parts)
