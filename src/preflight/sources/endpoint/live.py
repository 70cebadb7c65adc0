"""Live probes of the Outlook Anywhere host and the batch domains' Autodiscover URLs.

:func:`probe` runs, concurrently (one thread each; each is a few blocking
socket operations, so threads overlap the waits, and work when preflight is
called from inside an event loop):

- the host: a TCP connection, a TLS handshake that accepts any certificate
  and any version from TLS 1.0 up (to *see* what the server offers: the chain
  it sends and the version it chooses; the certificate checks judge them,
  the same way as a saved chain), then on that connection an unauthenticated
  ``RPC_IN_DATA /rpc/rpcproxy.dll?<host>:6001`` (Outlook Anywhere's request
  line; Microsoft TechNet ``aa996706(v=exchg.65)``);
- per batch domain, ``POST https://autodiscover.<domain>/autodiscover/autodiscover.xml``
  and ``POST https://<domain>/autodiscover/autodiscover.xml`` with an empty
  body, certificate verified (system trust store plus ``ca_file``) as a client
  detecting the endpoint verifies it.

No request carries credentials, cookies or an address from the batch. A probe
never raises: each outcome is recorded with its :data:`Outcome` kind, and
``timeout`` / ``error`` (the probe could not tell) are what make a check
errored, the others (refused, unreachable, unresolved, a TLS failure, a
closed connection) are the server's answer and findings.
"""

from __future__ import annotations

import contextlib
import errno
import re
import socket
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

OK = "ok"
REFUSED = "refused"          # nothing listens on the port
UNREACHABLE = "unreachable"  # no route to the address
UNRESOLVED = "unresolved"    # the name does not resolve
TLS = "tls"                  # the TLS handshake failed (an alert, no common version, not TLS)
CLOSED = "closed"            # the server closed the connection without an answer
NOT_HTTP = "not-http"        # the server answered, but not with HTTP
TIMEOUT = "timeout"          # no answer within the timeout: the probe cannot tell (errored)
ERROR = "error"              # another failure on our side (errored)

#: Outcomes that say nothing about the server: the checks that need them are errored.
UNDECIDED = frozenset({TIMEOUT, ERROR})

AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
#: An auth-scheme token (RFC 9110 section 11.1); a parameter (``realm="…"``) is not one.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
RPC_STORE_PORT = 6001


@dataclass(frozen=True)
class Connection:
    """The TCP connection and TLS handshake to ``host``:``port`` (``address``
    is ``host``, or ``"ADDRESS:PORT"`` when ``connect_to`` sent it elsewhere).

    ``chain`` holds the DER certificates the server sent, in its order;
    ``tls_version`` the version it chose (``"TLSv1.3"``...). ``error`` says why
    an outcome other than ``ok`` happened."""

    host: str
    port: int
    address: str
    outcome: str
    error: str | None = None
    tls_version: str | None = None
    cipher: str | None = None
    chain: tuple[bytes, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    def label(self) -> str:
        """``"mail.contoso.com:443 (127.0.0.1)"``."""
        at = f" ({self.address})" if self.address != self.host else ""
        return f"{self.host}:{self.port}{at}"


@dataclass(frozen=True)
class HttpAnswer:
    """The answer to one unauthenticated request: ``status`` and its headers, or
    ``outcome``/``error`` when there was none."""

    method: str
    url: str
    outcome: str
    status: int | None = None
    reason: str = ""
    authenticate: tuple[str, ...] = ()
    location: str | None = None
    error: str | None = None

    def schemes(self) -> tuple[str, ...]:
        """The authentication schemes of the ``WWW-Authenticate`` challenges
        (``("Basic", "NTLM")``), in the server's order, case as sent."""
        out: list[str] = []
        for value in self.authenticate:
            for part in value.split(","):
                word = part.strip().split(" ", 1)[0]
                if _TOKEN_RE.match(word) and word.lower() not in (s.lower() for s in out):
                    out.append(word)
        return tuple(out)

    def summary(self) -> str:
        """``"401 Unauthorized"``, ``"302 Found -> https://…"`` or why there was no answer."""
        if self.status is None:
            return self.error or self.outcome
        head = f"{self.status} {self.reason}".strip()
        return f"{head} -> {self.location}" if self.location else head


@dataclass
class Probe:
    """Everything :func:`probe` saw. ``rpcproxy`` is ``None`` when no TLS
    connection was made; ``autodiscover`` maps each domain to its answers
    (``autodiscover.<domain>`` first, then ``<domain>``)."""

    connection: Connection
    rpcproxy: HttpAnswer | None
    autodiscover: dict[str, tuple[HttpAnswer, ...]] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """For ``Report.inputs``: what the host offered, unauthenticated."""
        c = self.connection
        out: dict[str, Any] = {"kind": "endpoint", "mode": "live", "host": c.host, "port": c.port,
                               "address": c.address, "connection": c.outcome}
        if c.ok:
            out.update(tls_version=c.tls_version, cipher=c.cipher)
        if self.rpcproxy is not None:
            out["rpcproxy"] = self.rpcproxy.summary()
            out["rpcproxy_authentication"] = list(self.rpcproxy.schemes())
        if self.autodiscover:
            out["autodiscover"] = {d: [f"{a.url}: {a.summary()}" for a in answers]
                                   for d, answers in self.autodiscover.items()}
        return out


def probe(host: str, *, port: int, connect_timeout: float, receive_timeout: float,
          connect_to: dict[str, tuple[str, int]] | None = None, ca_file: str | None = None,
          domains: list[str] | tuple[str, ...] = ()) -> Probe:
    """Probe ``host`` and the Autodiscover URLs of ``domains``, all at once.

    Args:
        host: the Outlook Anywhere host name (SNI and ``Host``).
        port: its HTTPS port (Autodiscover is always 443, unless ``connect_to`` says otherwise).
        connect_timeout, receive_timeout: seconds for the TCP connection, and
            for each answer awaited (handshake, response).
        connect_to: ``{name: (address, port)}`` to connect to instead of resolving ``name``.
        ca_file: CA certificates trusted besides the system's, for Autodiscover.

    Returns:
        The :class:`Probe`; it never raises for a network failure.
    """
    import ssl
    from concurrent.futures import ThreadPoolExecutor

    connect_to = connect_to or {}
    timeouts = (connect_timeout, receive_timeout)
    verifying: ssl.SSLContext | str
    try:
        verifying = verifying_context(ca_file)
    except (OSError, ssl.SSLError) as exc:  # the checks of the certificate say it too (errored)
        verifying = f"cannot read the CA file {ca_file}: {exc.strerror or exc}"
    with ThreadPoolExecutor(max_workers=min(32, 1 + 2 * len(domains))) as pool:
        main = pool.submit(_probe_host, host, port, connect_to.get(host, (host, port)), timeouts)
        auto = {d: [pool.submit(_autodiscover, name, connect_to.get(name, (name, 443)), timeouts, verifying)
                    for name in (f"autodiscover.{d}", d)] for d in domains}
        connection, rpcproxy = main.result()
        return Probe(connection, rpcproxy, {d: tuple(f.result() for f in fs) for d, fs in auto.items()})


def _open(host: str, target: tuple[str, int], ctx: ssl.SSLContext, timeouts: tuple[float, float]) -> ssl.SSLSocket:
    """A TLS connection to ``target`` with SNI ``host``.

    Raises:
        _Failed: with the outcome and why.
    """
    import ssl

    address, port = target
    try:
        raw = socket.create_connection((address, port), timeout=timeouts[0])
    except socket.gaierror as exc:
        kind = UNRESOLVED if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)) else ERROR
        raise _Failed(kind, f"{address} does not resolve ({exc.strerror or exc})") from None
    except ConnectionRefusedError:
        raise _Failed(REFUSED, f"the connection to {address} port {port} was refused (nothing listens there)") from None
    except TimeoutError:
        raise _Failed(TIMEOUT, f"no TCP connection to {address} port {port} within {timeouts[0]:g} s") from None
    except OSError as exc:
        kind = UNREACHABLE if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) else ERROR
        raise _Failed(kind, f"cannot connect to {address} port {port}: {exc.strerror or exc}") from None
    try:
        raw.settimeout(timeouts[1])
        return ctx.wrap_socket(raw, server_hostname=host)
    except TimeoutError:
        raw.close()
        raise _Failed(TIMEOUT, f"no TLS handshake from {address} port {port} within {timeouts[1]:g} s "
                               "(the port accepts connections but does not answer)") from None
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        raise _Failed(TLS, f"its certificate is not valid for {host}: {exc.verify_message}") from None
    except (ssl.SSLError, ConnectionResetError, ConnectionAbortedError) as exc:
        raw.close()
        raise _Failed(TLS, f"the TLS handshake with {address} port {port} failed: {_ssl_reason(exc)}") from None
    except OSError as exc:
        raw.close()
        raise _Failed(ERROR, f"the TLS handshake with {address} port {port} failed: {exc.strerror or exc}") from None


def _ssl_reason(exc: Exception) -> str:
    import ssl

    reason = getattr(exc, "reason", None)
    if isinstance(exc, (ssl.SSLEOFError, ConnectionError)) or reason == "UNEXPECTED_EOF_WHILE_READING":
        return "the server closed the connection"
    return reason.replace("_", " ").lower() if isinstance(reason, str) else str(exc)


class _Failed(Exception):
    def __init__(self, outcome: str, message: str):
        super().__init__(message)
        self.outcome = outcome


def observing_context() -> ssl.SSLContext:
    """A client context that completes a handshake with any server it can
    (TLS 1.0 up, OpenSSL security level 0, no certificate verification), so
    the checks can judge the certificate and version it offers. Nothing
    secret is sent over it."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings(), contextlib.suppress(ValueError):  # an OpenSSL built without TLS 1.0
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 is deprecated: we only look at it
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """A client context as a strict client has: the system's trust store
    (plus ``ca_file``), host name checked, TLS 1.2 or later."""
    import ssl

    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(ca_file)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _peer_chain(sock: ssl.SSLSocket) -> tuple[bytes, ...]:
    """The DER certificates the server sent, in its order (Python 3.13:
    ``get_unverified_chain``; 3.10-3.12 have it on the private ``_sslobj``)."""
    import ssl

    getter = getattr(sock, "get_unverified_chain", None)
    if getter is None:
        getter = sock._sslobj.get_unverified_chain  # type: ignore[attr-defined]
    out = []
    for cert in getter() or ():
        out.append(cert if isinstance(cert, bytes) else cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
    return tuple(out)


def _probe_host(host: str, port: int, target: tuple[str, int],
                timeouts: tuple[float, float]) -> tuple[Connection, HttpAnswer | None]:
    address = host if target == (host, port) else f"{target[0]}:{target[1]}"
    try:
        sock = _open(host, target, observing_context(), timeouts)
    except _Failed as exc:
        return Connection(host, port, address, exc.outcome, str(exc)), None
    with sock:
        cipher = sock.cipher()
        conn = Connection(host, port, address, OK, tls_version=sock.version(), cipher=cipher[0] if cipher else None,
                          chain=_peer_chain(sock))
        path = f"/rpc/rpcproxy.dll?{host}:{RPC_STORE_PORT}"
        headers = {"User-Agent": "MSRPC", "Accept": "application/rpc", "Content-Length": "0",
                   "Cache-Control": "no-cache", "Pragma": "no-cache", "Connection": "close"}
        answer = _request(sock, host, port, "RPC_IN_DATA", path, headers, timeouts[1])
    return conn, answer


def _autodiscover(name: str, target: tuple[str, int], timeouts: tuple[float, float],
                  ctx: ssl.SSLContext | str) -> HttpAnswer:
    url = f"https://{name}{AUTODISCOVER_PATH}"
    if isinstance(ctx, str):
        return HttpAnswer("POST", url, ERROR, error=ctx)
    try:
        sock = _open(name, target, ctx, timeouts)
    except _Failed as exc:
        return HttpAnswer("POST", url, exc.outcome, error=str(exc))
    with sock:
        headers = {"User-Agent": "preflight", "Content-Type": "text/xml; charset=utf-8", "Content-Length": "0",
                   "Connection": "close"}
        return _request(sock, name, 443, "POST", AUTODISCOVER_PATH, headers, timeouts[1])


def _request(sock: Any, host: str, port: int, method: str, path: str, headers: dict[str, str],
             timeout: float) -> HttpAnswer:
    """Send one request on the open TLS socket and read the status and headers."""
    import http.client

    url = f"https://{host}{'' if port == 443 else f':{port}'}{path}"
    # the socket is already connected: HTTPSConnection only frames the request (Host without :443)
    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=sock.context)
    conn.sock = sock
    try:
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
    except TimeoutError:
        return HttpAnswer(method, url, TIMEOUT, error=f"no answer to {method} {path} within {timeout:g} s")
    except (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
        return HttpAnswer(method, url, CLOSED, error=f"the server closed the connection without answering {method} "
                                                     f"({type(exc).__name__})")
    except http.client.HTTPException as exc:
        return HttpAnswer(method, url, NOT_HTTP, error=f"the answer to {method} is not HTTP ({type(exc).__name__})")
    except OSError as exc:
        return HttpAnswer(method, url, ERROR, error=f"{method} {path} failed: {exc}")
    try:
        return HttpAnswer(method, url, OK, resp.status, resp.reason, tuple(resp.msg.get_all("WWW-Authenticate") or ()),
                          resp.getheader("Location"))
    finally:
        resp.close()
        conn.sock = None
