"""The migration endpoint source: the Outlook Anywhere host over HTTPS, live or offline.

A staged migration's endpoint reaches Exchange 2003/2007 through Outlook
Anywhere (RPC over HTTP) on port 443. This source gives the endpoint checks
(PF5xx) what the server offers *unauthenticated*; it never sends credentials.

Live
    :func:`.live.probe`: one TCP connection and TLS handshake to the host
    (the chain the server sends, the TLS version it chose), an unauthenticated
    ``RPC_IN_DATA /rpc/rpcproxy.dll?<host>:6001`` on that connection, and a
    ``POST`` to each batch domain's Autodiscover URLs -- all at once (threads),
    so the area costs about one timeout however many domains there are.
    It runs only when a host is given (``--outlook-anywhere-host``, or
    ``outlook_anywhere_host`` in ``[endpoint]`` or ``[dns]``), never because a
    batch CSV is checked.

Offline
    :func:`.certificates.read_chain`: a certificate chain the admin saved (PEM,
    DER, PKCS #7, or ``openssl s_client -showcerts`` output). With it no
    connection is made: the network checks are skipped, the certificate checks
    run on the file with the same findings as live.

The stdlib ``ssl`` does the handshake and ``http.client`` the requests;
``cryptography`` parses the certificates. All three are imported only when an
endpoint option is given, never when preflight or its checks are imported.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

DEFAULT_PORT = 443
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_RECEIVE_TIMEOUT = 10.0
DEFAULT_CERT_WARN_DAYS = 30

ENDPOINT_KEYS = frozenset({"outlook_anywhere_host", "port", "certificate", "ca_file", "connect_timeout",
                           "receive_timeout", "cert_warn_days", "connect_to", "live", "migration_account",
                           "migration_window_days"})
#: Days the migration account must last (E-09), unless ``migration_window_days`` says otherwise.
DEFAULT_MIGRATION_WINDOW_DAYS = 30


def endpoint_options(config: Any) -> dict[str, Any]:
    """The ``[endpoint]`` table, validated and normalized.

    Keys: ``outlook_anywhere_host`` (host name; defaults to ``[dns]``'s key of
    the same name), ``port`` (default 443), ``certificate`` (path of a saved
    chain: offline), ``ca_file`` (PEM file of CA certificates trusted besides
    the system's), ``connect_timeout`` and ``receive_timeout`` (seconds > 0,
    default 10 each), ``cert_warn_days`` (days >= 0, default 30), ``connect_to``
    (table ``HOST = "ADDRESS[:PORT]"``: connect there instead of resolving
    HOST, as curl's ``--connect-to``; to test one server behind a load
    balancer, or before public DNS exists), ``live`` (false: never connect),
    ``migration_account`` (UPN or ``DOMAIN\\name`` of the account that runs the batches:
    the rights checks PF540-PF545), ``migration_window_days`` (days >= 0 the account must
    last, default 30).

    Raises:
        preflight.config.ConfigError: unknown key, wrong type or value.
    """
    from ...config import ConfigError
    from ..dns import normalize_domain

    raw = dict(getattr(config, "endpoint", None) or {})
    where = f" in {config.source}" if getattr(config, "source", None) else ""
    unknown = sorted(set(raw) - ENDPOINT_KEYS)
    if unknown:
        raise ConfigError(f"unknown [endpoint] option(s){where}: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(ENDPOINT_KEYS))})")
    out: dict[str, Any] = {"port": DEFAULT_PORT, "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
                           "receive_timeout": DEFAULT_RECEIVE_TIMEOUT, "cert_warn_days": DEFAULT_CERT_WARN_DAYS,
                           "connect_to": {}, "live": True}
    host = raw.get("outlook_anywhere_host", (getattr(config, "dns", None) or {}).get("outlook_anywhere_host"))
    if host is not None:
        norm = normalize_domain(host) if isinstance(host, str) else None
        if norm is None:
            raise ConfigError(f"[endpoint] outlook_anywhere_host{where} must be a host name, not {host!r}")
        out["outlook_anywhere_host"] = norm
    if "port" in raw:
        out["port"] = _port(raw["port"], f"[endpoint] port{where}")
    for key in ("certificate", "ca_file"):
        if key in raw:
            if not isinstance(raw[key], (str, os.PathLike)):
                raise ConfigError(f"[endpoint] {key}{where} must be a path")
            out[key] = str(config.path(raw[key])) if hasattr(config, "path") else os.fspath(raw[key])
    for key in ("connect_timeout", "receive_timeout"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"[endpoint] {key}{where} must be a number of seconds > 0, not {value!r}")
            out[key] = float(value)
    if "cert_warn_days" in raw:
        value = raw["cert_warn_days"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"[endpoint] cert_warn_days{where} must be a whole number of days >= 0, not {value!r}")
        out["cert_warn_days"] = value
    if "connect_to" in raw:
        table = raw["connect_to"]
        if not isinstance(table, dict):
            raise ConfigError(f"[endpoint] connect_to{where} must be a table of HOST = \"ADDRESS[:PORT]\"")
        for name, target in table.items():
            norm = normalize_domain(name) if isinstance(name, str) else None
            if norm is None or not isinstance(target, str):
                raise ConfigError(f"[endpoint] connect_to{where}: {name!r} = {target!r} is not HOST = \"ADDRESS[:PORT]\"")
            try:
                out["connect_to"][norm] = parse_target(target, out["port"])
            except ValueError as exc:
                raise ConfigError(f"[endpoint] connect_to{where}: {exc}") from None
    if "live" in raw:
        if not isinstance(raw["live"], bool):
            raise ConfigError(f"[endpoint] live{where} must be true or false")
        out["live"] = raw["live"]
    if "migration_account" in raw:
        account = raw["migration_account"]
        if not isinstance(account, str) or not account.strip():
            raise ConfigError(f"[endpoint] migration_account{where} must be a UPN or DOMAIN\\name, not {account!r}")
        out["migration_account"] = account.strip()
    out["migration_window_days"] = DEFAULT_MIGRATION_WINDOW_DAYS
    if "migration_window_days" in raw:
        value = raw["migration_window_days"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"[endpoint] migration_window_days{where} must be a whole number of days >= 0, "
                              f"not {value!r}")
        out["migration_window_days"] = value
    return out


def _port(value: Any, what: str) -> int:
    from ...config import ConfigError

    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigError(f"{what} must be a port number (1-65535), not {value!r}")
    return value


def parse_target(spec: str, default_port: int) -> tuple[str, int]:
    """``"ADDRESS"``, ``"ADDRESS:PORT"``, ``"[ADDR6]:PORT"`` or ``"HOST:PORT"`` -> ``(address, port)``.

    Raises:
        ValueError: malformed.
    """
    s = spec.strip()
    port = str(default_port)
    if s.startswith("["):
        addr, sep, rest = s[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad target {spec!r}: use [ADDRESS]:PORT for IPv6")
        port = rest[1:] or port
    elif s.count(":") == 1:
        addr, _, port = s.partition(":")
    else:
        addr = s
        if ":" in s:
            ipaddress.IPv6Address(s)  # a bare IPv6 address, or ValueError
    if not addr or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad target {spec!r}: use ADDRESS[:PORT]")
    return addr, int(port)
