"""Live Microsoft Graph read of the tenant's users and subscribed SKUs (read-only).

An alternative to exporting ``GET /users`` and ``GET /subscribedSkus`` by hand:
preflight signs in as an app registration with the client-credentials flow
(Microsoft identity platform v2.0) and reads both listings, every page, then
hands the responses to the tenant recipients source exactly as if they had
been exported (so the same completeness checks apply). Configured in
``[tool.preflight.cloud]``::

    graph_tenant = "contoso.onmicrosoft.com"       # or the tenant id
    graph_client_id = "11111111-2222-3333-4444-555555555555"
    graph_secret_env = "PREFLIGHT_GRAPH_SECRET"    # the name of the variable holding the client secret

The app needs the Microsoft Graph application permissions ``User.Read.All``
and ``Organization.Read.All`` (admin consent), nothing that writes. The secret
is read from the environment variable named, never from a file or the command
line, and never shown. The recipient type (mailbox or mail user) is not in
Graph: give a Get-Recipient export beside it for PF602/PF603.

Throttling (HTTP 429, or 503/504) is retried after the ``Retry-After`` the
service sends (at most ``MAX_WAIT`` seconds each, ``MAX_RETRIES`` times);
``@odata.nextLink`` is followed only to the Graph host configured, so the
access token never goes elsewhere.
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ..registry import SourceError

GRAPH_URL = "https://graph.microsoft.com"
LOGIN_URL = "https://login.microsoftonline.com"
USERS_SELECT = "userPrincipalName,mail,proxyAddresses,assignedLicenses,onPremisesSyncEnabled"
GRAPH_KEYS = frozenset({"graph_tenant", "graph_client_id", "graph_secret_env", "graph_url", "graph_login_url",
                        "graph_ca_file", "graph_timeout"})
MAX_RETRIES = 5
MAX_WAIT = 120.0
_RETRY_STATUS = (429, 503, 504)


@dataclass(frozen=True)
class GraphOptions:
    """Where and as whom to read. ``ca_file`` (PEM) replaces the system's CAs (tests)."""

    tenant: str
    client_id: str
    secret_env: str
    graph_url: str = GRAPH_URL
    login_url: str = LOGIN_URL
    ca_file: str | None = None
    timeout: float = 30.0


def read_graph(opts: GraphOptions, sleep: Any = time.sleep) -> list[tuple[str, bytes]]:
    """The ``/users`` and ``/subscribedSkus`` responses, every page, as
    ``(name, bytes)`` exports (pages written one after the other).

    Raises:
        SourceError: no secret in the environment, sign-in refused, a request
            failed or stayed throttled, a page that is not a Graph response.
    """
    client = _Client(opts, sleep)
    token = client.token()
    base = opts.graph_url.rstrip("/")
    out = []
    for path in (f"/v1.0/users?$select={USERS_SELECT}&$top=999", "/v1.0/subscribedSkus"):
        pages = client.pages(base + path, token)
        out.append((base + path.split("?")[0], b"\n".join(json.dumps(p).encode() for p in pages)))
    return out


class _Client:
    def __init__(self, opts: GraphOptions, sleep: Any):
        self.opts = opts
        self.sleep = sleep
        self.context = ssl.create_default_context(cafile=opts.ca_file)
        self.host = urllib.parse.urlsplit(opts.graph_url).netloc.lower()

    def token(self) -> str:
        secret = os.environ.get(self.opts.secret_env, "")
        if not secret:
            raise SourceError(f"Microsoft Graph: the environment variable {self.opts.secret_env} holds no client secret")
        url = f"{self.opts.login_url.rstrip('/')}/{urllib.parse.quote(self.opts.tenant)}/oauth2/v2.0/token"
        form = urllib.parse.urlencode({"client_id": self.opts.client_id, "client_secret": secret,
                                       "scope": f"{GRAPH_URL}/.default", "grant_type": "client_credentials"}).encode()
        doc = self._request(url, form, {"Content-Type": "application/x-www-form-urlencoded"}, "sign in")
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"Microsoft Graph: the sign-in at {url} returned no access token")
        return token

    def pages(self, url: str, token: str) -> list[dict[str, Any]]:
        pages = []
        while url:
            if urllib.parse.urlsplit(url).netloc.lower() != self.host:
                raise SourceError(f"Microsoft Graph: @odata.nextLink points to another host ({url}); not followed")
            page = self._request(url, None, {"Authorization": f"Bearer {token}", "Accept": "application/json"}, "read")
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise SourceError(f"Microsoft Graph: {url} did not return a collection page (no 'value' list)")
            pages.append(page)
            url = page.get("@odata.nextLink") or ""
        return pages

    def _request(self, url: str, data: bytes | None, headers: dict[str, str], what: str) -> Any:
        shown = url.split("?")[0]
        for attempt in range(MAX_RETRIES + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
            try:
                with urllib.request.urlopen(request, timeout=self.opts.timeout, context=self.context) as resp:
                    body = resp.read()
            except urllib.error.HTTPError as exc:
                if exc.code in _RETRY_STATUS and attempt < MAX_RETRIES:
                    self.sleep(_retry_after(exc.headers.get("Retry-After"), attempt))
                    continue
                raise SourceError(f"Microsoft Graph: {what} {shown} failed: HTTP {exc.code} {_error_text(exc)}"
                                  + (f" (still throttled after {MAX_RETRIES} retries)" if exc.code in _RETRY_STATUS
                                     else "")) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise SourceError(f"Microsoft Graph: cannot {what} {shown}: {reason}") from None
            try:
                return json.loads(body)
            except ValueError:
                raise SourceError(f"Microsoft Graph: {shown} did not return JSON") from None
        raise AssertionError("unreachable")


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: the Retry-After seconds (an HTTP date counts as the back-off), capped at MAX_WAIT."""
    try:
        wait = float(value) if value is not None else 2.0 ** attempt
    except ValueError:
        wait = 2.0 ** attempt
    return max(0.0, min(wait, MAX_WAIT))


def _error_text(exc: urllib.error.HTTPError) -> str:
    """Graph's ``error.code: error.message`` or the sign-in's ``error: error_description`` (never a secret)."""
    try:
        doc = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, dict):
        return f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
    if isinstance(err, str):
        return f"{err}: {str(doc.get('error_description', '')).splitlines()[0] if doc.get('error_description') else ''}"
    return exc.reason or ""


def options_from_config(raw: dict[str, Any], config: Any, where: str) -> GraphOptions | None:
    """The Graph options of a ``[cloud]`` table, or None when ``graph_tenant`` is not set.

    Raises:
        preflight.config.ConfigError: a key missing or of the wrong type.
    """
    from ..config import ConfigError

    if "graph_tenant" not in raw:
        extra = sorted(k for k in raw if k in GRAPH_KEYS)
        if extra:
            raise ConfigError(f"[cloud]{where}: {', '.join(extra)} given without graph_tenant")
        return None
    for key in ("graph_tenant", "graph_client_id", "graph_secret_env"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"[cloud] {key}{where} must be set (a live Graph read needs graph_tenant, "
                              "graph_client_id and graph_secret_env)")
    for key in ("graph_url", "graph_login_url"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].lower().startswith("https://")):
            raise ConfigError(f"[cloud] {key}{where} must be an https:// URL (the access token is sent to it)")
    timeout = raw.get("graph_timeout", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"[cloud] graph_timeout{where} must be a number of seconds > 0")
    ca = raw.get("graph_ca_file")
    return GraphOptions(raw["graph_tenant"].strip(), raw["graph_client_id"].strip(), raw["graph_secret_env"].strip(),
                        str(raw.get("graph_url", GRAPH_URL)), str(raw.get("graph_login_url", LOGIN_URL)),
                        str(config.path(ca)) if ca else None, float(timeout))
