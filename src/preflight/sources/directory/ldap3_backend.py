"""The ldap3 backend of :class:`~preflight.sources.directory.ldap.LdapSource` (pure Python, always installed).

The server certificate is checked against exactly one name,
:attr:`Endpoint.verify_name <preflight.sources.directory.ldap_common.Endpoint.verify_name>`
(``tls_server_name``, else the URL's host): ldap3's own check would accept the URL's host *or* any
extra name, and a ``*`` among them as "any name".
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.core.tls import check_hostname
from ldap3.utils.conv import escape_filter_chars

from ...registry import SourceError
from .ldap_common import BIND_HINTS, BackendBase, Endpoint, RawEntry, scrub, sd_flags_control, short

log = logging.getLogger("preflight.sources.directory.ldap")

_PAGED_OID = "1.2.840.113556.1.4.319"


class _OneNameTls(ldap3.Tls):
    """TLS whose certificate must carry the one name ``verify_name`` (also sent as SNI): the chain is
    verified in the handshake, the name by ldap3's matcher with no other name beside it."""

    def __init__(self, verify_name: str, ca_file: str | None):
        super().__init__(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file, sni=verify_name)
        self.verify_name = verify_name

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        super().wrap_socket(connection, do_handshake=False)  # ldap3 checks names only when it handshakes
        if do_handshake:
            connection.socket.do_handshake()
            check_hostname(connection.socket, self.verify_name, None)


def tls_settings(endpoint: Endpoint) -> ldap3.Tls:
    """The ldap3 TLS settings of ``endpoint`` (warns when verification is off)."""
    if not endpoint.verify():
        return ldap3.Tls(validate=ssl.CERT_NONE)
    return _OneNameTls(endpoint.verify_name, endpoint.ca_file)


def result_text(conn: Any) -> str:
    """The last result of ``conn`` as ``description: message``."""
    r = conn.result or {}
    desc = r.get("description") or "error"
    msg = (r.get("message") or "").strip()
    return f"{desc}: {short(msg)}" if msg else str(desc)


def close_quietly(conn: Any) -> None:
    conn.password = None
    with contextlib.suppress(Exception):
        conn.unbind()


class Ldap3Backend(BackendBase):
    """:class:`~preflight.sources.directory.ldap_common.LdapBackend` on ldap3 (simple or Kerberos bind)."""

    name = "ldap3"

    def escape(self, value: str) -> str:
        return str(escape_filter_chars(value))

    def connect(self) -> None:
        if self._conn is not None:
            return
        e = self.endpoint
        server = ldap3.Server(e.host, port=e.port, use_ssl=e.use_ssl, tls=tls_settings(e), get_info=ldap3.NONE,
                              connect_timeout=e.connect_timeout)
        # auto_range off: LdapSource completes ranged attributes itself, the same for both backends
        common = {"read_only": True, "auto_referrals": False, "auto_range": False, "raise_exceptions": False,
                  "receive_timeout": e.receive_seconds, "return_empty_attributes": False}
        password = ""
        if e.bind_user:
            password = e.password()
            conn = ldap3.Connection(server, user=e.bind_user, password=password,
                                    authentication=ldap3.SIMPLE, **common)
            how = f"as {e.bind_user}"
        else:
            try:
                import gssapi  # type: ignore[import-not-found]  # noqa: F401
            except ImportError:
                raise SourceError(f"LDAP server {e.url}: no bind_user given and Kerberos is unavailable "
                                  "(the 'gssapi' package is not installed): install it (pip install gssapi, "
                                  "after kinit) or give bind_user and password_env") from None
            conn = ldap3.Connection(server, authentication=ldap3.SASL, sasl_mechanism=ldap3.KERBEROS, **common)
            how = "with Kerberos (GSSAPI)"
        try:
            conn.open()
            if not e.use_ssl:
                doing = "StartTLS failed, refusing to continue without TLS"
                try:
                    started = conn.start_tls()
                except LDAPException as exc:
                    raise SourceError(e.why(exc, doing, secret=password)) from None
                if not started:
                    raise SourceError(f"LDAP server {e.url}: {doing}: {scrub(result_text(conn), password)}")
            if not conn.bind():
                hint = BIND_HINTS.get((conn.result or {}).get("description", ""), "")
                raise SourceError(f"LDAP server {e.url}: bind {how} failed: "
                                  f"{scrub(result_text(conn), password)}{hint}")
        except SourceError:
            close_quietly(conn)
            raise
        except (LDAPException, OSError) as exc:
            close_quietly(conn)
            raise SourceError(e.why(exc, f"connecting {how}", secret=password)) from None
        conn.password = None  # not needed after the bind (no re-bind, no referral chasing)
        log.debug("connected to %s %s", e.url, how)
        self._conn = conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            close_quietly(conn)

    def _search(self, doing: str, *args: Any, **kwargs: Any) -> Any:
        self.connect()
        conn = self._conn
        try:
            conn.search(*args, **kwargs)
        except (LDAPException, OSError) as exc:
            self.close()
            raise SourceError(self.endpoint.why(exc, doing)) from None
        return conn

    def page(self, base: str, search_filter: str, attributes: list[str], size: int, cookie: bytes | None,
             number: int, *, scope: str = "subtree", sd_flags: int | None = None
             ) -> tuple[list[RawEntry], bytes | None]:
        conn = self._search(f"searching {base}", base, search_filter,
                            search_scope=ldap3.BASE if scope == "base" else ldap3.SUBTREE,
                            attributes=attributes, paged_size=size, paged_cookie=cookie,
                            controls=[sd_flags_control(sd_flags)] if sd_flags is not None else None)
        result = conn.result or {}
        code = result.get("result")
        if code not in (0, None):
            raise self.endpoint.page_failed(base, number, code, result_text(conn))
        entries = [(r["dn"], r["raw_attributes"]) for r in conn.response or () if r.get("type") == "searchResEntry"]
        control = (result.get("controls") or {}).get(_PAGED_OID)
        return entries, (control["value"]["cookie"] or None) if control else None

    def read(self, dn: str, attributes: list[str]) -> dict[str, list[bytes]]:
        doing = f"reading {dn}" if dn else "reading the rootDSE"
        conn = self._search(doing, dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=attributes)
        code = (conn.result or {}).get("result")
        if code not in (0, None):
            raise SourceError(f"LDAP server {self.endpoint.url}: {doing} failed: {result_text(conn)}")
        for r in conn.response or ():
            if r.get("type") == "searchResEntry":
                return dict(r["raw_attributes"])
        return {}
