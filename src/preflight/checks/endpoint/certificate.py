"""The Outlook Anywhere certificate (PF510-PF517): trusted, issued to the host,
in its validity period, strong, sent with its intermediates.

Each runs on the chain the server sent (live) or the chain file given with
``--endpoint-certificate`` (offline), with the same findings. A finding names
the certificate by its subject; ``domain`` is the host, ``path`` the file
(offline).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ...registry import Missing, Problem, check
from . import chain as ch

if TYPE_CHECKING:
    from cryptography import x509

_EXCHANGE_CERT_FIX = ("Request a certificate from a public certification authority for the Outlook Anywhere "
                      "host (Exchange 2007: New-ExchangeCertificate -GenerateRequest, then Import-ExchangeCertificate "
                      "and Enable-ExchangeCertificate -Services IIS; Exchange 2003: the IIS certificate wizard "
                      "of the Default Web Site)")


def _where(c: ch.Chain, **extra) -> dict:
    return {**c.where(), **extra}


@check("PF510", "endpoint-certificate-untrusted", severity="error")
def certificate_untrusted(endpoint_chain):
    """The Outlook Anywhere certificate does not chain to a trusted root.

    Why: Exchange Online's migration service connects to the on-premises
    Outlook Anywhere host over HTTPS and validates its certificate: a
    self-signed certificate, or one issued by a CA it does not trust (an
    internal enterprise CA), stops the migration endpoint from being created
    and every batch from starting. preflight trusts the system's trust store,
    plus the certificates of `--endpoint-ca-file` -- an option for testing with
    a private CA only: Exchange Online trusts public certification
    authorities, not yours. A certificate not valid for TLS server
    authentication (its extended key usage lacks serverAuth) or issued by a
    certificate that is not a CA fails the same way.

    Fix: install a certificate from a public certification authority (one in
    the Microsoft Trusted Root Program) on the server that publishes Outlook
    Anywhere, with the host name in its subject alternative names.

    Source: Microsoft Learn, "Perform a staged migration of email" ("You must
    use a certificate issued by a trusted certification authority (CA) with
    your Outlook Anywhere configuration. Outlook Anywhere can't be configured
    with a self-signed certificate."); RFC 5280 section 6 (path
    validation). Whether Exchange Online strictly requires a *public* CA is not
    stated there; that it does not trust a private one follows from the same
    rule.

    Skipped when the chain is incomplete (PF517): the missing certificate
    decides whether it is trusted.
    """
    c = endpoint_chain
    if c.end == ch.INCOMPLETE:
        raise Missing(f"the chain is incomplete (PF517): the certificate of {c.missing_issuer} is missing, "
                      "so whether it leads to a trusted root cannot be decided")
    leaf_subject = ch.subject(c.leaf)
    if c.end == ch.SELF_SIGNED:
        yield Problem(f"the certificate of the Outlook Anywhere host is self-signed ({leaf_subject}): "
                      "Exchange Online does not trust it", value=leaf_subject, fix=_EXCHANGE_CERT_FIX + ".",
                      **_where(c))
    elif c.end == ch.UNTRUSTED_ROOT:
        root = ch.subject(c.path[-1])
        yield Problem(f"the certificate chain of the Outlook Anywhere host ends at {root}, a root certification "
                      "authority that is not trusted (not in the system trust store)", value=root,
                      fix=_EXCHANGE_CERT_FIX + "; a certificate of an internal CA is not trusted by Exchange Online.",
                      **_where(c))
    elif c.end == ch.TOO_LONG:
        yield Problem(f"the certificate chain of the Outlook Anywhere host does not reach a trusted root within "
                      f"{ch.MAX_DEPTH} certificates", value=leaf_subject, fix=_EXCHANGE_CERT_FIX + ".", **_where(c))
    for issuer in c.path[1:]:
        if not ch.is_ca(issuer):
            yield Problem(f"{ch.subject(issuer)} signed the certificate chain but is not a CA certificate "
                          "(its basicConstraints do not say CA)", value=ch.subject(issuer),
                          fix=_EXCHANGE_CERT_FIX + ".", **_where(c))
    if not _server_auth(c.leaf):
        yield Problem(f"the certificate {leaf_subject} is not valid for TLS server authentication (its extended "
                      "key usage does not include serverAuth)", value=leaf_subject,
                      fix="Request a web server (TLS server authentication) certificate.", **_where(c))


def _server_auth(cert: x509.Certificate) -> bool:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True  # no restriction (RFC 5280 4.2.1.12)
    return ExtendedKeyUsageOID.SERVER_AUTH in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku


@check("PF511", "endpoint-certificate-name-mismatch", severity="error")
def certificate_name_mismatch(endpoint_chain):
    """The Outlook Anywhere certificate is not issued to the host name.

    Why: a TLS client accepts a certificate only when the host name it
    connects to is one of the certificate's subject alternative names
    (dNSName), where a wildcard `*` stands for exactly one whole left-most
    label (`*.contoso.com` covers `mail.contoso.com`, not `contoso.com` nor
    `a.mail.contoso.com`). A name only in the subject's common name (CN) is not
    enough for current clients. The migration endpoint connects by the
    Outlook Anywhere host name, so a certificate for another name (often the
    server's internal name) makes it fail.

    Fix: use a certificate whose subject alternative names include the
    Outlook Anywhere host name (Exchange 2007: `Get-OutlookAnywhere | fl
    ExternalHostname`), or correct the host name given to preflight.

    Source: RFC 6125 section 6.4 (matching DNS names, wildcards); RFC 2818
    section 3.1 (the subjectAltName is used when present); Microsoft Learn,
    "Perform a staged migration" (a trusted certificate for Outlook Anywhere).

    Skipped when no host name is given (offline: give `--outlook-anywhere-host`
    with `--endpoint-certificate`).
    """
    c = endpoint_chain
    if c.host is None:
        raise Missing("no Outlook Anywhere host given to match the certificate against (--outlook-anywhere-host)")
    names = ch.dns_names(c.leaf)
    if any(ch.name_matches(n, c.host) for n in names):
        return
    if names:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        msg = f"the certificate is not issued to {c.host}: its names are {shown}"
    else:
        cns = ch.common_names(c.leaf)
        msg = (f"the certificate has no subject alternative names, so no name that clients check "
               f"(its common name is {', '.join(cns) or 'empty'})")
    yield Problem(msg, value=ch.subject(c.leaf),
                  fix=f"Install a certificate with {c.host} among its subject alternative names.", **_where(c))


def _path_certs(c: ch.Chain) -> tuple[x509.Certificate, ...]:
    """The certificates the checks of dates and strength look at: the path
    built (to the anchor when trusted), or all that were sent when it stopped early."""
    extra = tuple(x for x in c.presented if x not in c.path) if c.end == ch.INCOMPLETE else ()
    return c.path + extra


def _role(c: ch.Chain, cert: x509.Certificate) -> str:
    if cert is c.leaf or cert == c.leaf:
        return "the certificate of the Outlook Anywhere host"
    if cert.subject == cert.issuer:
        return "the root certificate"
    return "the intermediate certificate"


@check("PF512", "endpoint-certificate-expired", severity="error")
def certificate_expired(endpoint_chain):
    """A certificate of the Outlook Anywhere chain has expired.

    Why: a client rejects an expired certificate, the host's or any in its
    chain (intermediate or root); the migration endpoint cannot connect and
    batches fail to start or stop syncing.

    Fix: renew the certificate (Exchange 2007: New-ExchangeCertificate
    -GenerateRequest, Import-ExchangeCertificate, Enable-ExchangeCertificate
    -Services IIS) and install the current intermediate certificates of the CA.

    Source: RFC 5280 section 4.1.2.5 (validity) and 6.1.3 (path validation
    checks each certificate's validity); Microsoft Learn, "Perform a staged
    migration" (a valid certificate for Outlook Anywhere).
    """
    c = endpoint_chain
    for cert in _path_certs(c):
        end = cert.not_valid_after_utc
        if end < c.now:
            yield Problem(f"{_role(c, cert)} {ch.subject(cert)} expired on {end:%Y-%m-%d %H:%M} UTC",
                          value=end.isoformat(), fix="Renew the certificate and install it on the server.",
                          **_where(c))


@check("PF513", "endpoint-certificate-not-yet-valid", severity="error")
def certificate_not_yet_valid(endpoint_chain):
    """A certificate of the Outlook Anywhere chain is not valid yet.

    Why: a certificate whose validity starts in the future is rejected like an
    expired one; it happens when a renewed certificate is installed early, or
    when the server's clock or the issuing CA's is wrong.

    Fix: keep the current certificate until the new one is valid, or correct
    the clock of the machine that issued it.

    Source: RFC 5280 section 4.1.2.5 (notBefore) and 6.1.3.
    """
    c = endpoint_chain
    for cert in _path_certs(c):
        start = cert.not_valid_before_utc
        if start > c.now:
            yield Problem(f"{_role(c, cert)} {ch.subject(cert)} is not valid before {start:%Y-%m-%d %H:%M} UTC",
                          value=start.isoformat(), fix="Install a certificate that is valid now.", **_where(c))


@check("PF514", "endpoint-certificate-expiring", severity="warning")
def certificate_expiring(endpoint_chain):
    """A certificate of the Outlook Anywhere chain expires within `cert_warn_days` (default 30).

    Why: a staged migration runs for weeks: one migration endpoint serves
    every batch, created and run one after another until the last mailbox
    is migrated. If the certificate expires on the way, the endpoint stops
    connecting in the middle of the migration.

    Fix: renew the certificate before the first batch starts.

    Source: RFC 5280 section 4.1.2.5; Microsoft Learn, "Perform a staged
    migration of email" ("One migration endpoint is created to use for all
    of your migration batches"; a batch per CSV file of at most 2,000 rows).
    The 30 days are preflight's default (`[tool.preflight.endpoint] cert_warn_days`).
    """
    c = endpoint_chain
    horizon = c.now + timedelta(days=c.warn_days)
    for cert in _path_certs(c):
        end = cert.not_valid_after_utc
        if c.now <= end < horizon:
            days = (end - c.now).days
            yield Problem(f"{_role(c, cert)} {ch.subject(cert)} expires on {end:%Y-%m-%d} ({days} days from now, "
                          f"within {c.warn_days})", value=end.isoformat(),
                          fix="Renew the certificate before the migration starts.", **_where(c))


#: Signature hashes clients no longer accept for TLS server certificates.
WEAK_HASHES = frozenset({"md2", "md4", "md5", "sha1"})


@check("PF515", "endpoint-certificate-weak-signature", severity="error")
def certificate_weak_signature(endpoint_chain):
    """A certificate of the Outlook Anywhere chain is signed with SHA-1 (or MD5).

    Why: SHA-1 signatures are no longer accepted on TLS server certificates:
    Windows, browsers and the CAs' own rules stopped trusting them, so a
    client validating the chain rejects it. A root's signature on itself is
    not checked (the root is trusted as it is).

    Fix: reissue the certificate with a SHA-256 signature (most CAs reissue
    for free); replace an intermediate signed with SHA-1 by the CA's current one.

    Source: CA/Browser Forum Baseline Requirements, section 7.1.3.2
    (signature algorithms; SHA-1 is not allowed for server certificates);
    RFC 9155 (SHA-1 deprecated in TLS 1.2 signatures).
    """
    c = endpoint_chain
    for cert in _path_certs(c):
        if cert.subject == cert.issuer and ch.signed_by(cert, cert):
            continue
        name = _hash_name(cert)
        if name in WEAK_HASHES:
            yield Problem(f"{_role(c, cert)} {ch.subject(cert)} is signed with {name.upper()}", value=name,
                          fix="Reissue the certificate with a SHA-256 signature.", **_where(c))


def _hash_name(cert: x509.Certificate) -> str | None:
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name.lower() if algorithm is not None else None


#: Smallest key sizes accepted, by key type.
MIN_BITS = {"RSA": 2048, "DSA": 2048, "EC": 256}


@check("PF516", "endpoint-certificate-weak-key", severity="error")
def certificate_weak_key(endpoint_chain):
    """A certificate of the Outlook Anywhere chain has a key that is too small (RSA below 2,048 bits).

    Why: RSA keys below 2,048 bits (and EC keys below 256) are refused by
    current TLS clients and CAs; Exchange 2003/2007 certificates requested
    long ago often have 1,024-bit keys.

    Fix: request a new certificate with a 2,048-bit RSA key (Exchange 2007:
    New-ExchangeCertificate -KeySize 2048).

    Source: CA/Browser Forum Baseline Requirements, section 6.1.5 (RSA modulus
    of at least 2,048 bits); NIST SP 800-131A (1,024-bit RSA disallowed).
    """
    c = endpoint_chain
    for cert in _path_certs(c):
        kind, bits = _key(cert)
        if kind in MIN_BITS and bits < MIN_BITS[kind]:
            yield Problem(f"{_role(c, cert)} {ch.subject(cert)} has a {bits}-bit {kind} key (at least "
                          f"{MIN_BITS[kind]} bits are needed)", value=f"{kind} {bits}",
                          fix="Request a new certificate with a 2048-bit RSA key.", **_where(c))


def _key(cert: x509.Certificate) -> tuple[str, int]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    return type(key).__name__, 0


@check("PF517", "endpoint-certificate-chain-incomplete", severity="error")
def certificate_chain_incomplete(endpoint_chain):
    """The Outlook Anywhere host does not send the intermediate certificate(s) of its chain.

    Why: a TLS server must send its certificate followed by the certificates
    that link it to a root; the client has only the roots. When an
    intermediate is missing, a client that does not fetch it on its own
    cannot validate the certificate. Browsers often hide the problem (they
    cache or download intermediates), so it shows up only in other clients.

    Fix: install the CA's intermediate certificate(s) in the server's
    "Intermediate Certification Authorities" store (the CA publishes them) and
    restart IIS, so that it sends the whole chain. Offline, save the chain with
    `openssl s_client -showcerts`, which shows what the server sends.

    Source: RFC 8446 section 4.4.2 and RFC 5246 section 7.4.2 (the server's
    certificate_list: each certificate certifies the one before it);
    Microsoft Remote Connectivity Analyzer's Outlook Anywhere test ("Testing
    the SSL certificate to make sure it's valid", which builds the chain).
    """
    c = endpoint_chain
    if c.end != ch.INCOMPLETE:
        return
    last = c.path[-1]
    yield Problem(f"the chain stops at {ch.subject(last)}: the certificate of its issuer {c.missing_issuer} is "
                  "neither sent by the server nor a trusted root", value=c.missing_issuer,
                  fix=f"Install the intermediate certificate {c.missing_issuer} on the server so that it is sent "
                      "with the host's certificate; if it is your own (internal) root CA, Exchange Online does not "
                      "trust it: use a certificate from a public CA.", **_where(c))
