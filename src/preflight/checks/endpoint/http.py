"""What the Outlook Anywhere RPC proxy (PF520, PF521) and each batch domain's
Autodiscover (PF530) answer an unauthenticated request."""

from __future__ import annotations

from ...registry import Missing, Problem, SourceError, check
from ...sources.endpoint.live import CLOSED, UNDECIDED

#: Schemes the Outlook Anywhere /rpc virtual directory offers (TechNet aa996225) and a
#: migration endpoint authenticates with (New-MigrationEndpoint -Authentication).
ENDPOINT_SCHEMES = ("Basic", "NTLM")

_RPC_FIX = {
    "404": "Install the RPC over HTTP Proxy Windows component on the server that publishes Outlook Anywhere and "
           "enable Outlook Anywhere (Exchange 2007: Enable-OutlookAnywhere; Exchange 2003: RPC-HTTP back-end/front-end "
           "settings); check that the IIS Default Web Site has the /rpc virtual directory.",
    "200": "The /rpc virtual directory must not allow anonymous access: in IIS, disable anonymous access on /rpc and "
           "enable Basic and/or Integrated Windows (NTLM) authentication (Exchange 2007: Set-OutlookAnywhere "
           "-ClientAuthenticationMethod; -IISAuthenticationMethods).",
    "401": "Enable Basic and/or NTLM (Integrated Windows) authentication on the IIS /rpc virtual directory "
           "(Exchange 2007: Set-OutlookAnywhere -IISAuthenticationMethods Basic,NTLM).",
    "403": "Check the IIS /rpc virtual directory: it must not require client certificates or restrict addresses, "
           "and \"Require SSL\" must match how it is published.",
    "3xx": "Publish /rpc/rpcproxy.dll as it is: the firewall or reverse proxy must pass RPC_IN_DATA and RPC_OUT_DATA "
           "requests to the server, not redirect them (to OWA or a forms logon page).",
    "5xx": "The RPC proxy fails: check the RPC over HTTP Proxy component and the /rpc application pool on the server "
           "(and its event log), and that the reverse proxy allows the RPC_IN_DATA and RPC_OUT_DATA verbs.",
    "closed": "The server (or a device before it) drops RPC_IN_DATA requests: allow the RPC_IN_DATA and RPC_OUT_DATA "
              "HTTP verbs on the firewall or reverse proxy.",
}


def _rpc_fix(status: int | None, outcome: str) -> str:
    if status is None:
        return _RPC_FIX["closed"] if outcome == CLOSED else _RPC_FIX["5xx"]
    if 300 <= status < 400:
        return _RPC_FIX["3xx"]
    if status >= 500:
        return _RPC_FIX["5xx"]
    return _RPC_FIX.get(str(status), _RPC_FIX["404"])


@check("PF520", "endpoint-rpcproxy-not-answering", severity="error")
def rpcproxy_not_answering(endpoint_rpcproxy, endpoint_connection):
    """The Outlook Anywhere RPC proxy (`/rpc/rpcproxy.dll`) does not ask for Basic or NTLM authentication.

    Why: Outlook Anywhere is `https://<host>/rpc/rpcproxy.dll?<server>:6001`
    with the RPC_IN_DATA and RPC_OUT_DATA verbs; the RPC proxy does not accept
    anonymous connections, so an unauthenticated request must get 401 with a
    `WWW-Authenticate` challenge for Basic and/or NTLM -- the methods a
    migration endpoint can use. preflight sends one RPC_IN_DATA without
    credentials and reads the answer: 404 means the RPC over HTTP Proxy
    component or the /rpc virtual directory is missing; 200 that /rpc allows
    anonymous access (or something else answers); 403 a restriction; a
    redirect a firewall or reverse proxy that does not publish /rpc; 5xx a
    failing proxy; a closed connection a device that drops the RPC verbs.
    The schemes offered are in the report's inputs.

    Fix: install the RPC over HTTP Proxy component and enable Outlook
    Anywhere, with Basic and/or NTLM authentication on the IIS /rpc virtual
    directory; publish /rpc/rpcproxy.dll and the RPC verbs through the firewall.

    Source: TechNet aa996706(v=exchg.65) (the URL and verbs) and
    aa996225(v=exchg.65) (the RPC proxy "does not accept anonymously
    authenticated connections"; Basic or NTLM on the virtual directory);
    Microsoft Remote Connectivity Analyzer ("Attempting to ping RPC proxy");
    New-MigrationEndpoint (`-Authentication`: "the authentication method used
    by the on-premises mail server"). Which `WWW-Authenticate` headers IIS
    sends exactly is not documented.

    Errored when the request gets no answer within the timeout.
    """
    a = endpoint_rpcproxy
    conn = endpoint_connection
    if a.outcome in UNDECIDED:
        raise SourceError(f"{conn.label()}: {a.error}")
    offered = [s for s in a.schemes() if s.lower() in (e.lower() for e in ENDPOINT_SCHEMES)]
    if a.status == 401 and offered:
        return
    if a.status is None:
        what = a.error or a.outcome
    elif a.status == 401:
        what = (f"401 without a Basic or NTLM challenge (WWW-Authenticate: "
                f"{'; '.join(a.authenticate) or 'none'})")
    else:
        what = a.summary()
    yield Problem(f"{a.method} {a.url} answered {what}, not 401 asking for Basic or NTLM authentication: the "
                  "Outlook Anywhere RPC proxy is not published or not configured", domain=conn.host, value=what,
                  fix=_rpc_fix(a.status, a.outcome))


@check("PF521", "endpoint-rpcproxy-basic-not-offered", severity="warning")
def rpcproxy_basic_not_offered(endpoint_rpcproxy, endpoint_connection):
    """The Outlook Anywhere RPC proxy offers NTLM but not Basic authentication.

    Why: a migration endpoint authenticates with the method it was created
    with, and `New-MigrationEndpoint -ExchangeOutlookAnywhere` uses Basic
    unless told otherwise. With only NTLM offered, an endpoint created with
    the default cannot log on.

    Fix: create the endpoint with `-Authentication NTLM`, or enable Basic
    authentication on the IIS /rpc virtual directory too (Exchange 2007:
    Set-OutlookAnywhere -ClientAuthenticationMethod Basic -IISAuthenticationMethods Basic,NTLM).

    Source: New-MigrationEndpoint (MicrosoftDocs/office-docs-powershell:
    `-Authentication` -- "If you don't include this parameter, Basic
    authentication is used"); TechNet aa996225(v=exchg.65) (Basic, NTLM or
    both on the /rpc virtual directory).

    Skipped when the proxy asked for neither (PF520 says why).
    """
    a = endpoint_rpcproxy
    schemes = [s.lower() for s in a.schemes()]
    if a.status == 401 and "basic" in schemes:
        return
    if a.status != 401 or "ntlm" not in schemes:
        raise Missing("the RPC proxy asked for neither Basic nor NTLM authentication (see PF520)")
    yield Problem(f"{a.url} offers {', '.join(a.schemes())} but not Basic authentication: a migration endpoint "
                  "created with the default (Basic) fails", domain=endpoint_connection.host,
                  value=", ".join(a.schemes()),
                  fix="Create the migration endpoint with -Authentication NTLM, or enable Basic authentication on "
                      "the /rpc virtual directory.")


@check("PF530", "endpoint-autodiscover-unavailable", severity="warning")
def autodiscover_unavailable(endpoint_autodiscover, mail_domains):
    """A batch domain's Autodiscover does not answer, so the endpoint must be entered by hand.

    Why: when creating the migration endpoint, Exchange Online detects the
    Outlook Anywhere settings with Autodiscover, by a POST to
    `https://<domain>/autodiscover/autodiscover.xml` or
    `https://autodiscover.<domain>/autodiscover/autodiscover.xml` (preflight
    tries both at once, with an empty body and no credentials). A 401 (asking for
    credentials) or 200 shows that the service is there; anything else --
    no such name, a refused connection, a certificate not valid for the name,
    404 -- means detection fails and the admin must enter the Exchange server
    and RPC proxy server by hand. preflight verifies the certificate as a
    client does (the system's trust store, plus `--endpoint-ca-file`).

    Fix: publish Autodiscover over HTTPS at autodiscover.<domain> (a DNS
    record to the Client Access server, and the name in its certificate); or
    create the endpoint by hand: `New-MigrationEndpoint -ExchangeOutlookAnywhere
    -ExchangeServer <server> -RpcProxyServer <host> -Credentials …`.

    Source: Microsoft Learn, "Perform a staged migration of email" (Microsoft
    365 uses the account "to detect the migration endpoint"; "If the test
    connection to the source server isn't successful", enter the Exchange
    server and the RPC proxy server);
    MS-OXDSCLI, Autodiscover Publishing and Lookup Protocol (the URLs a
    client tries); New-MigrationEndpoint (`-Autodiscover` gets the connection
    settings "from the Autodiscover service"; `-ExchangeServer` and
    `-RpcProxyServer` are "required only when you don't use the Autodiscover
    parameter").

    Errored for a domain whose URLs did not answer within the timeout.
    """
    failed: list[str] = []
    for domain, answers in endpoint_autodiscover.items():
        if any(a.status in (200, 401) for a in answers):
            continue
        undecided = [a for a in answers if a.outcome in UNDECIDED]
        if undecided:
            failed.append(f"{domain} ({'; '.join(f'{a.url}: {a.error}' for a in undecided)})")
            continue
        use = mail_domains.get(domain)
        tried = "; ".join(f"{a.url}: {a.summary()}" for a in answers)
        yield Problem(f"Autodiscover of {domain} does not answer ({tried}): the migration endpoint cannot be "
                      f"detected automatically{f' ({use.where()})' if use else ''}", domain=domain,
                      value=answers[0].url,
                      fix=f"Publish https://autodiscover.{domain}/autodiscover/autodiscover.xml with a certificate "
                          "for that name, or enter the Exchange server and RPC proxy server by hand when creating "
                          "the endpoint.", related=use.related() if use else ())
    if failed:
        raise SourceError(f"Autodiscover did not answer in time for {', '.join(failed)}")
