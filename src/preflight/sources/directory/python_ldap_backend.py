"""The python-ldap backend of :class:`~preflight.sources.directory.ldap.LdapSource` (the ``fast-ldap``
extra: the C OpenLDAP client library, several times faster at decoding results).

libldap verifies the certificate against the host it connects to, so
:class:`~preflight.sources.directory.ldap.LdapSource` uses it only when ``tls_server_name`` is the
URL's host (or not given) and a ``bind_user`` is given (simple bind). Two libldap gaps are covered
here: its LDAPS handshake waits forever on a server that accepts and never answers (a TLS handshake of
our own, bounded by the timeouts, comes first), and it names no cause for a refused certificate (one
ldap3 handshake, no bind, finds the reason for the message).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import sys
from typing import Any

import ldap
from ldap.controls import LDAPControl, SimplePagedResultsControl
from ldap.filter import escape_filter_chars

from ...registry import SourceError
from .ldap_common import BIND_HINTS, BackendBase, RawEntry, scrub, sd_flags_control, short

log = logging.getLogger("preflight.sources.directory.ldap")


def is_pyldap_error(exc: BaseException) -> bool:
    mod = sys.modules.get("ldap")
    return mod is not None and isinstance(exc, getattr(mod, "LDAPError", ()))


def _info(exc: BaseException) -> dict[str, Any]:
    arg = exc.args[0] if exc.args else None
    return arg if isinstance(arg, dict) else {"desc": str(arg or type(exc).__name__)}


def _code(exc: BaseException) -> int:
    code = _info(exc).get("result")
    return code if isinstance(code, int) else -1


def _result(exc: BaseException) -> tuple[str, str]:
    """(ldap3-style result name, e.g. ``invalidCredentials``, and the server's message) of a python-ldap error."""
    from ldap3.core.results import RESULT_CODES

    info = _info(exc)
    desc = RESULT_CODES.get(_code(exc)) or str(info.get("desc") or type(exc).__name__)
    return desc, str(info.get("info") or "").strip()


def _text(exc: BaseException) -> str:
    """A python-ldap client-side error (server down, TLS, timeout) as one line."""
    info = _info(exc)
    parts = [str(info.get("desc") or type(exc).__name__)]
    if info.get("info"):
        parts.append(str(info["info"]))
    if isinstance(info.get("errno"), int):
        parts.append(os.strerror(info["errno"]))
    return ": ".join(parts)


class PythonLdapBackend(BackendBase):
    """:class:`~preflight.sources.directory.ldap_common.LdapBackend` on python-ldap (simple bind only)."""

    name = "python-ldap"

    def escape(self, value: str) -> str:
        return str(escape_filter_chars(value))

    def _why(self, exc: BaseException, doing: str, secret: str = "") -> str:
        return self.endpoint.why(exc, doing, _text(exc) if is_pyldap_error(exc) else None, secret)

    def connect(self) -> None:
        """A bound connection (same TLS, timeout and error rules as the ldap3 backend)."""
        if self._conn is not None:
            return
        e = self.endpoint
        verify = e.verify()
        password = e.password()  # bind_user is set: without one the backend is ldap3
        how = f"as {e.bind_user}"
        if e.use_ssl:
            self._answers_tls(how)
        host = f"[{e.host}]" if ":" in e.host else e.host
        conn = ldap.initialize(f"{'ldaps' if e.use_ssl else 'ldap'}://{host}:{e.port}", bytes_mode=False)
        try:
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, e.connect_timeout)
            conn.set_option(ldap.OPT_TIMEOUT, e.receive_timeout)
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND if verify else ldap.OPT_X_TLS_NEVER)
            if e.ca_file:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, e.ca_file)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # last: builds this connection's TLS context
            if not e.use_ssl:
                try:
                    conn.start_tls_s()
                except ldap.LDAPError as exc:
                    doing = "StartTLS failed, refusing to continue without TLS"
                    raise SourceError(self._tls_probe(exc, doing) or self._why(exc, doing)) from None
            try:
                conn.simple_bind_s(e.bind_user, password)
            except (ldap.INVALID_CREDENTIALS, ldap.STRONG_AUTH_REQUIRED, ldap.CONFIDENTIALITY_REQUIRED,
                    ldap.INAPPROPRIATE_AUTH, ldap.UNWILLING_TO_PERFORM) as exc:
                desc, msg = _result(exc)
                msg = scrub(msg, password)
                raise SourceError(f"LDAP server {e.url}: bind {how} failed: "
                                  f"{desc}{': ' + short(msg) if msg else ''}{BIND_HINTS.get(desc, '')}") from None
        except SourceError:
            _unbind(conn)
            raise
        except (ldap.LDAPError, OSError) as exc:
            _unbind(conn)
            doing = f"connecting {how}"
            raise SourceError(self._tls_probe(exc, doing) or self._why(exc, doing, password)) from None
        del password
        log.debug("connected to %s %s (python-ldap)", e.url, how)
        self._conn = conn

    def _answers_tls(self, how: str) -> None:
        """libldap's LDAPS handshake waits forever (spinning) on a server that accepts the connection and
        never answers: check first, within connect_timeout / receive_timeout, that the server completes a
        TLS handshake (certificate not checked here; libldap checks it right after)."""
        e = self.endpoint
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((e.host, e.port), timeout=e.connect_timeout) as raw:
                raw.settimeout(e.receive_seconds)
                with ctx.wrap_socket(raw, server_hostname=e.host):
                    pass
        except OSError as exc:
            raise SourceError(e.why(exc, f"connecting {how}")) from None

    def _tls_probe(self, exc: BaseException, doing: str) -> str | None:
        """libldap reports a failed certificate check only as "Can't contact LDAP server (unknown error
        code)": when python-ldap failed that way, repeat the TLS handshake with ldap3 (same settings, no
        bind, no password) and return its reason, or None when that tells nothing more."""
        e = self.endpoint
        if e.insecure_no_tls_verify or not is_pyldap_error(exc) or _code(exc) not in (-1, -11):
            return None
        low = _text(exc).lower()
        if "refused" in low or "timed out" in low or "timeout" in low:
            return None
        import ldap3
        from ldap3.core.exceptions import LDAPException

        from .ldap3_backend import close_quietly, tls_settings

        server = ldap3.Server(e.host, port=e.port, use_ssl=e.use_ssl, tls=tls_settings(e),
                              get_info=ldap3.NONE, connect_timeout=e.connect_timeout)
        probe = ldap3.Connection(server, read_only=True, raise_exceptions=False, receive_timeout=e.receive_seconds)
        try:
            probe.open()
            if not e.use_ssl:
                probe.start_tls()
        except (LDAPException, OSError) as probe_exc:
            return e.why(probe_exc, doing)
        finally:
            close_quietly(probe)
        return None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _unbind(conn)

    def _failed(self, exc: BaseException, doing: str) -> SourceError:
        self.close()
        return SourceError(self._why(exc, doing))

    def page(self, base: str, search_filter: str, attributes: list[str], size: int, cookie: bytes | None,
             number: int, *, scope: str = "subtree", sd_flags: int | None = None
             ) -> tuple[list[RawEntry], bytes | None]:
        self.connect()
        control = SimplePagedResultsControl(criticality=True, size=size, cookie=cookie or b"")
        controls = [control, *([LDAPControl(*sd_flags_control(sd_flags))] if sd_flags is not None else [])]
        search_scope = ldap.SCOPE_BASE if scope == "base" else ldap.SCOPE_SUBTREE
        try:
            msgid = self._conn.search_ext(base, search_scope, search_filter, attributes, serverctrls=controls)
            _, data, _, controls = self._conn.result3(msgid, all=1, timeout=self.endpoint.receive_timeout)
        except (ldap.TIMEOUT, ldap.SERVER_DOWN, ldap.CONNECT_ERROR, OSError) as exc:
            raise self._failed(exc, f"searching {base}") from None
        except ldap.LDAPError as exc:
            self.close()
            desc, msg = _result(exc)
            raise self.endpoint.page_failed(base, number, _code(exc), f"{desc}: {short(msg)}" if msg else desc) from None
        entries = [(dn, attrs) for dn, attrs in data or () if dn is not None]  # None: a search reference
        next_cookie = next((c.cookie for c in controls or ()
                            if c.controlType == SimplePagedResultsControl.controlType), None)
        return entries, next_cookie or None

    def read(self, dn: str, attributes: list[str]) -> dict[str, list[bytes]]:
        self.connect()
        doing = f"reading {dn}" if dn else "reading the rootDSE"
        try:
            res = self._conn.search_ext_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", attributes,
                                          timeout=self.endpoint.receive_timeout)
        except (ldap.TIMEOUT, ldap.SERVER_DOWN, ldap.CONNECT_ERROR, OSError) as exc:
            raise self._failed(exc, doing) from None
        except ldap.LDAPError as exc:
            self.close()
            desc, msg = _result(exc)
            raise SourceError(f"LDAP server {self.endpoint.url}: {doing} failed: {desc}"
                              f"{': ' + short(msg) if msg else ''}") from None
        for found, attrs in res or ():
            if found is not None:
                return dict(attrs)
        return {}


def _unbind(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.unbind_s()
