"""Reaching the Outlook Anywhere host (PF500) and the TLS version it offers (PF518)."""

from __future__ import annotations

from ...registry import Problem, SourceError, check
from ...sources.endpoint.live import UNDECIDED


@check("PF500", "endpoint-unreachable", severity="error")
def endpoint_unreachable(endpoint_connection):
    """The Outlook Anywhere host cannot be reached over HTTPS.

    Why: Exchange Online's migration service reaches an Exchange 2003/2007
    organization only through Outlook Anywhere (RPC over HTTP) over TLS on
    port 443. When the name does not resolve, the port refuses the connection,
    there is no route, or the TLS handshake fails, the migration endpoint
    cannot be created and no batch starts. preflight connects from where it
    runs: run it from outside the network (or through the same firewall and
    publishing rule) to see what Exchange Online sees.

    Fix: publish the server's port 443 to the internet (firewall or reverse
    proxy rule to the Client Access server, Exchange 2003: the front-end
    server), enable Outlook Anywhere (Exchange 2007: Enable-OutlookAnywhere;
    Exchange 2003: RPC over HTTP on the server's properties) and check the
    host name's public DNS record.

    Source: Microsoft Learn, "Perform a staged migration of email" ("The
    email migration service uses Outlook Anywhere (also known as RPC over
    HTTP), to connect to your on-premises Exchange Server"); Microsoft Remote
    Connectivity Analyzer, Outlook
    Anywhere test ("Testing TCP port 443 ... to ensure it's listening and
    open"); TechNet aa996706 (RPC over HTTP uses SSL on port 443).

    Errored, not a finding, when the host does not answer within the timeout
    (`[tool.preflight.endpoint] connect_timeout`, `receive_timeout`):
    silence cannot tell a filtered port from a slow network.
    """
    conn = endpoint_connection
    if conn.ok:
        return
    if conn.outcome in UNDECIDED:
        raise SourceError(f"{conn.label()}: {conn.error}")
    yield Problem(f"the Outlook Anywhere host {conn.label()} cannot be reached over HTTPS: {conn.error}",
                  domain=conn.host, value=f"{conn.host}:{conn.port}",
                  fix=f"Publish port {conn.port} of the server that runs Outlook Anywhere (a firewall or reverse "
                      f"proxy rule), enable Outlook Anywhere, and check that {conn.host} resolves to it.")


#: TLS versions Microsoft 365 keeps using.
CURRENT_TLS = frozenset({"TLSv1.2", "TLSv1.3"})
_TLS_NAMES = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "SSLv3": "SSL 3.0", "SSLv2": "SSL 2.0"}


@check("PF518", "endpoint-tls12-not-offered", severity="warning")
def tls12_not_offered(endpoint_tls_version, config):
    """The Outlook Anywhere host does not offer TLS 1.2 (only TLS 1.0 or 1.1).

    Why: Microsoft 365 deprecated TLS 1.0 and 1.1 and asks that on-premises
    infrastructure used with it support inbound and outbound connections over
    TLS 1.2. preflight offers every version from TLS 1.0 up; a server that
    chooses an older one than 1.2 has no TLS 1.2. Which version Exchange
    Online's migration service itself requires is not documented, hence a
    warning. Windows Server 2003 (Exchange 2003, and Exchange 2007 on it) has
    no TLS 1.2 at all.

    Fix: enable TLS 1.2 on the server that terminates HTTPS for Outlook
    Anywhere, or publish Outlook Anywhere through a reverse proxy or load
    balancer that offers TLS 1.2.

    Source: Microsoft Learn, "Preparing for TLS 1.2 in Office 365 and Office
    365 GCC" (learn.microsoft.com/microsoft-365/compliance/prepare-tls-1.2-in-office-365:
    "make sure that the infrastructure can support both inbound and outbound
    connections that use TLS 1.2"); RFC 8996 (TLS 1.0 and 1.1 deprecated).

    Offline, the version comes from saved `openssl s_client` output (its
    `Protocol :` line); skipped when the file does not say it.
    """
    from ...sources.endpoint import endpoint_options

    version = endpoint_tls_version
    if version in CURRENT_TLS:
        return
    opts = endpoint_options(config)
    host = opts.get("outlook_anywhere_host")
    shown = _TLS_NAMES.get(version, version)
    yield Problem(f"the Outlook Anywhere host{' ' + host if host else ''} chose {shown}: it does not offer TLS 1.2",
                  domain=host, path=opts.get("certificate"), value=version,
                  fix="Enable TLS 1.2 on the server (or the reverse proxy) that publishes Outlook Anywhere.")
