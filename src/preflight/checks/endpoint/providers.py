"""Providers of the endpoint data the PF5xx checks ask for.

``endpoint_probe``
    :class:`preflight.sources.endpoint.live.Probe`: the host and every batch
    domain's Autodiscover URLs, probed at once. Missing when no host is given,
    when ``[endpoint] live = false``, or offline (a certificate file given).
``endpoint_connection``
    the probe's :class:`~preflight.sources.endpoint.live.Connection`.
``endpoint_certificate_file``
    :class:`preflight.sources.endpoint.certificates.CertificateFile` (offline).
``endpoint_chain``
    :class:`.chain.Chain`: the certificates the server sent, or the file's.
``endpoint_tls_version``
    the TLS version the server chose (``"TLSv1.2"``), live or from saved
    ``openssl s_client`` output.
``endpoint_rpcproxy``
    the :class:`~preflight.sources.endpoint.live.HttpAnswer` to the
    unauthenticated ``RPC_IN_DATA`` request.
``endpoint_autodiscover``
    ``{domain: (answer of autodiscover.<domain>, answer of <domain>)}``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ...registry import Missing, SourceError, provider
from ...sources.endpoint import endpoint_options

OFFLINE = "offline: an endpoint certificate file is given (--endpoint-certificate), so no connection is made"
NO_HOST = "no Outlook Anywhere host given (--outlook-anywhere-host, or [tool.preflight.endpoint] outlook_anywhere_host)"


@provider("endpoint_probe")
def endpoint_probe(config, mail_domains=None):
    from ...sources.endpoint import live

    opts = endpoint_options(config)
    if opts.get("certificate"):
        raise Missing(OFFLINE)
    if "outlook_anywhere_host" not in opts:
        raise Missing(NO_HOST)
    if not opts["live"]:
        raise Missing("[tool.preflight.endpoint] live = false: no connection is made")
    return live.probe(opts["outlook_anywhere_host"], port=opts["port"], connect_timeout=opts["connect_timeout"],
                      receive_timeout=opts["receive_timeout"], connect_to=opts["connect_to"],
                      ca_file=opts.get("ca_file"), domains=sorted(mail_domains or ()))


@provider("endpoint_connection")
def endpoint_connection(endpoint_probe):
    return endpoint_probe.connection


def _connected(probe):
    """The probe's connection, or SourceError when there is no TLS connection to read from."""
    conn = probe.connection
    if not conn.ok:
        raise SourceError(f"no TLS connection to {conn.label()}: {conn.error} (see PF500)")
    return conn


@provider("endpoint_certificate_file")
def endpoint_certificate_file(config):
    from ...sources.endpoint import certificates

    path = endpoint_options(config).get("certificate")
    if not path:
        raise Missing("no endpoint certificate file given (--endpoint-certificate)")
    return certificates.read_chain(path)


@provider("endpoint_chain")
def endpoint_chain(config, endpoint_certificate_file=None, endpoint_probe=None):
    from ...sources.endpoint import certificates
    from . import chain

    opts = endpoint_options(config)
    if endpoint_certificate_file is not None:
        presented, file = endpoint_certificate_file.certificates, endpoint_certificate_file.path
    elif endpoint_probe is None:
        raise Missing(f"{NO_HOST}, nor an endpoint certificate file (--endpoint-certificate)")
    else:
        conn = _connected(endpoint_probe)
        if not conn.chain:
            raise SourceError(f"{conn.label()} sent no certificate")
        try:
            presented, file = tuple(certificates.parse_certificates(b"".join(conn.chain))), None
        except ValueError as exc:
            raise SourceError(f"{conn.label()} sent a certificate that cannot be parsed: {exc}") from None
    anchors = certificates.trust_anchors(opts.get("ca_file"))
    return chain.build(presented, anchors, host=opts.get("outlook_anywhere_host"), file=file,
                       now=datetime.now(timezone.utc), warn_days=opts["cert_warn_days"])


@provider("endpoint_tls_version")
def endpoint_tls_version(endpoint_certificate_file=None, endpoint_probe=None):
    if endpoint_certificate_file is not None:
        if endpoint_certificate_file.tls_version is None:
            raise Missing("the endpoint certificate file does not say which TLS version the server chose "
                          "(save the output of openssl s_client -showcerts, whose Protocol line says it)")
        return endpoint_certificate_file.tls_version
    if endpoint_probe is None:
        raise Missing(NO_HOST)
    return _connected(endpoint_probe).tls_version


@provider("endpoint_rpcproxy")
def endpoint_rpcproxy(endpoint_probe):
    _connected(endpoint_probe)
    return endpoint_probe.rpcproxy


@provider("endpoint_autodiscover")
def endpoint_autodiscover(endpoint_probe, mail_domains):
    return endpoint_probe.autodiscover
