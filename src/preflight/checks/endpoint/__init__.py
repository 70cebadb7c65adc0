"""Migration endpoint checks (PF5xx): Outlook Anywhere over HTTPS, its
certificate (live, or a saved chain offline), the RPC proxy's authentication,
and Autodiscover per batch domain.

Data names (providers in :mod:`.providers`): ``endpoint_probe``,
``endpoint_connection``, ``endpoint_certificate_file``, ``endpoint_chain``,
``endpoint_tls_version``, ``endpoint_rpcproxy``, ``endpoint_autodiscover``.
``ssl``, ``http.client`` and ``cryptography`` are imported by the endpoint
source and :mod:`.chain` only when an endpoint check runs with a host or a
certificate given, never when these modules are imported.
"""
