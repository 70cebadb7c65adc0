"""What both LDAP backends of :class:`~preflight.sources.directory.ldap.LdapSource` share: the
:class:`Endpoint` (where and how to connect: TLS rules, timeouts, the bind password), the
:class:`LdapBackend` protocol each backend implements, and the translation of a failure into a
:class:`~preflight.registry.SourceError` reason that names the cause and never the password.
"""

from __future__ import annotations

import getpass
import logging
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Protocol

from ...registry import SourceError

log = logging.getLogger("preflight.sources.directory.ldap")

#: One search entry as a backend returns it: the DN and ``{attribute: [raw values]}``.
RawEntry = tuple[str, dict[str, list[bytes]]]

BIND_HINTS = {
    "invalidCredentials": " (wrong user name or password, or the account is disabled, locked or expired)",
    "strongerAuthRequired": " (the server wants signing or a TLS channel it accepts)",
    "confidentialityRequired": " (the server wants a TLS channel it accepts)",
}


class LdapBackend(Protocol):
    """One LDAP client library behind :class:`LdapSource` (ldap3 or python-ldap).

    Every method raises :class:`~preflight.registry.SourceError` (naming the server and the cause,
    never the password) and leaves the backend closed after a failure.
    """

    #: ``"ldap3"`` or ``"python-ldap"``.
    name: str

    @property
    def connected(self) -> bool:
        """Whether a bound connection is open."""

    def connect(self) -> None:
        """Open the connection (LDAPS, or StartTLS before anything else) and bind; no-op when open."""

    def page(self, base: str, search_filter: str, attributes: list[str], size: int, cookie: bytes | None,
             number: int, *, scope: str = "subtree", sd_flags: int | None = None
             ) -> tuple[list[RawEntry], bytes | None]:
        """One page (``size`` entries at most, the paged results control marked critical) of a search
        (``scope`` ``"subtree"`` or ``"base"``), and the cookie of the next page (``None`` after the
        last); ``number`` counts the pages of this search from 1 (for messages). With ``sd_flags``, the
        LDAP_SERVER_SD_FLAGS control (:func:`sd_flags_control`) is sent too."""

    def read(self, dn: str, attributes: list[str]) -> dict[str, list[bytes]]:
        """The raw values of ``attributes`` of one object (a base-scope search; ``dn`` "" is the rootDSE)."""

    def escape(self, value: str) -> str:
        """``value`` escaped for a search filter (RFC 4515: ``\\ * ( )`` and NUL)."""

    def close(self) -> None:
        """Unbind (safe to call more than once)."""


class BackendBase:
    """What both backends hold: the endpoint and the open connection (``None`` when closed)."""

    name: str

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._conn: Any = None

    @property
    def connected(self) -> bool:
        return self._conn is not None


@dataclass(frozen=True)
class Endpoint:
    """Where and how a backend connects (built and checked by :class:`LdapSource`)."""

    host: str
    port: int
    use_ssl: bool
    bind_user: str | None
    password_env: str | None
    ca_file: str | None
    tls_server_name: str | None
    insecure_no_tls_verify: bool
    connect_timeout: float
    receive_timeout: float

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.use_ssl else 'ldap'}://{self.host}:{self.port}"

    @property
    def verify_name(self) -> str:
        """The one name the server certificate must carry: ``tls_server_name``, else the URL's host."""
        return self.tls_server_name or self.host

    @property
    def receive_seconds(self) -> int:
        """``receive_timeout`` in whole seconds, at least 1 (ldap3 packs it into SO_RCVTIMEO as an integer)."""
        return max(1, math.ceil(self.receive_timeout))

    def verify(self) -> bool:
        """True when the certificate is to be verified (warns loudly when not); checks ca_file exists."""
        if self.insecure_no_tls_verify:
            message = (f"INSECURE: TLS certificate verification is OFF for {self.url} (insecure_no_tls_verify): "
                       "anyone between you and the server can pose as it and read the bind password and the "
                       "directory data")
            log.warning(message)
            warnings.warn(message, UserWarning, stacklevel=5)
            return False
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise SourceError(f"LDAP server {self.url}: ca_file {self.ca_file} does not exist")
        return True

    def password(self) -> str:
        """The bind password: from ``password_env``, else keyring, else a terminal prompt.

        Raises:
            SourceError: none of these gives one.
        """
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

    def why(self, exc: BaseException, doing: str, text: str | None = None, secret: str = "") -> str:
        """The reason of a client-side failure (``text``: the error as one line, default ``str(exc)``;
        ``secret``, the bind password, is masked in it)."""
        text = scrub(str(exc) if text is None else text, secret)
        low = text.lower()
        name = self.verify_name
        if "hostname mismatch" in low or "hostname does not match" in low or "ip address mismatch" in low:
            cause = f"the TLS certificate does not name {name}; {self._name_hint()}"
        elif "certificate_verify_failed" in low or "certificate verify failed" in low:
            detail = re.search(r"certificate verify failed[:(]\s*([^(')\]]+)", text)
            cause = (f"the TLS certificate could not be verified ({detail.group(1).strip() if detail else 'untrusted'});"
                     " give ca_file (the CA that issued the DC's certificate)")
        elif type(exc).__name__ == "LDAPCertificateError" or "doesn't match any name" in low:
            names = re.findall(r"\('(?:commonName|DNS)', '([^']+)'\)", text)
            named = f"it names {', '.join(dict.fromkeys(names))}" if names else short(text)
            cause = f"the TLS certificate does not name {name} ({named}); {self._name_hint()}"
        elif "refused" in low:
            cause = "connection refused (nothing listens on that port, or a firewall rejects it)"
        elif "timed out" in low or "timeout" in low:
            if "while opening" in low or "(connect)" in low:  # the TCP connect / TLS handshake
                cause = f"no connection within {self.connect_timeout:g} s (timed out)"
            else:
                cause = f"no answer within {self.receive_seconds} s (timed out)"
        elif "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
            cause = f"cannot resolve host name {self.host}"
        else:
            cause = f"{type(exc).__name__}: {short(text)}"
        return f"LDAP server {self.url}: {doing}: {cause}"

    def _name_hint(self) -> str:
        if self.tls_server_name:
            return "tls_server_name must be the name in the DC's certificate"
        return "connect by the name in the certificate or give tls_server_name"

    def page_failed(self, base: str, number: int, code: int, text: str) -> SourceError:
        """The error for a search the server ended with result ``code`` (an LDAP result code)."""
        if code == 32:  # noSuchObject: the base does not exist
            return SourceError(f"LDAP server {self.url}: base DN {base} does not exist")
        hint = ""
        if code == 4:
            hint = " (the server cut the result although paging was requested)"
        elif code == 12:
            hint = " (the server does not support paged searches)"
        return SourceError(f"LDAP server {self.url}: searching {base} failed (page {number}): {text}{hint}")


def short(text: str, limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scrub(text: str, secret: str) -> str:
    """A library's error text with ``secret`` masked: a safety net, as preflight's own messages never
    hold the password. A blank secret (spaces only) is not looked for: masking it would mangle every
    message and hide nothing."""
    return text.replace(secret, "***") if secret.strip() else text


#: The LDAP_SERVER_SD_FLAGS control's OID: which parts of ``nTSecurityDescriptor`` to return.
SD_FLAGS_OID = "1.2.840.113556.1.4.801"


def sd_flags_control(flags: int) -> tuple[str, bool, bytes]:
    """The LDAP_SERVER_SD_FLAGS control as ``(oid, criticality, BER value)`` (``SEQUENCE { Flags
    INTEGER }``, ldap3's ASN.1 type encoded by pyasn1): both backends send these bytes. 4 asks for
    the DACL only, what an account without SeSecurityPrivilege may read."""
    from ldap3.protocol.microsoft import SdFlags
    from pyasn1.codec.ber import encoder

    value = SdFlags()
    value.setComponentByName("Flags", flags)
    return SD_FLAGS_OID, True, encoder.encode(value)
