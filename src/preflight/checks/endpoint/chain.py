"""What the certificate checks share: the chain as the server sent it (or the
file holds it), the path built from the host's certificate to a trust anchor,
and host-name matching.

Pure functions of the certificates (``cryptography`` objects) and the trust
anchors the source read; ``cryptography`` is imported when they run, not when
this module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography import x509

TRUSTED = "trusted"              # the path ends at a trust anchor
SELF_SIGNED = "self-signed"      # the host's certificate signs itself and is not trusted
UNTRUSTED_ROOT = "untrusted-root"  # the path ends at a self-signed CA that is not trusted
INCOMPLETE = "incomplete"        # a certificate's issuer is neither sent nor trusted
TOO_LONG = "too-long"            # no end within MAX_DEPTH certificates

MAX_DEPTH = 8


@dataclass(frozen=True)
class Chain:
    """The endpoint's certificates and what their path is.

    ``presented``: as sent (or as in the file), the host's first. ``path``: from
    the host's certificate up, each signed by the next; it ends at a trust
    anchor when ``end`` is ``TRUSTED`` (the anchor included). ``missing_issuer``
    is the issuer name the path stopped at (``INCOMPLETE``). ``host`` is the
    name the certificate must match (``None``: not given); ``file`` the chain's
    file (offline), ``None`` live. ``now`` and ``warn_days`` date the checks.
    """

    presented: tuple[x509.Certificate, ...]
    path: tuple[x509.Certificate, ...]
    end: str
    host: str | None
    file: str | None
    now: datetime
    warn_days: int
    missing_issuer: str | None = None
    anchor_count: int = 0

    @property
    def leaf(self) -> x509.Certificate:
        return self.presented[0]

    def where(self) -> dict[str, Any]:
        """Location fields of a finding: the host (``domain``) and, offline, the file (``path``)."""
        return {"domain": self.host, "path": self.file}

    def describe(self) -> dict[str, Any]:
        """For ``Report.inputs``."""
        out: dict[str, Any] = {"kind": "endpoint-certificate", "mode": "file" if self.file else "live",
                               "chain": [subject(c) for c in self.presented], "path_end": self.end,
                               "trust_anchors": self.anchor_count}
        if self.file:
            out["path"] = self.file
        return out


def subject(cert: x509.Certificate) -> str:
    """The subject DN as RFC 4514 text (``CN=mail.contoso.com,O=Contoso``)."""
    return cert.subject.rfc4514_string() or "(empty subject)"


def fingerprint(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256())


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s subject is ``cert``'s issuer and its key verifies
    ``cert``'s signature -- whatever the hash, SHA-1 included (that a SHA-1
    signature is too weak is PF515's finding, not a broken chain)."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            pad, hash_algorithm = cert.signature_algorithm_parameters, cert.signature_hash_algorithm
            if not isinstance(pad, (padding.PKCS1v15, padding.PSS)) or hash_algorithm is None:
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, pad, hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            hash_algorithm = cert.signature_hash_algorithm
            if hash_algorithm is None:
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hash_algorithm))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    """basicConstraints says CA (RFC 5280 4.2.1.9)."""
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def build(presented: tuple[x509.Certificate, ...], anchors: list[x509.Certificate], *, host: str | None,
          file: str | None, now: datetime, warn_days: int) -> Chain:
    """Build the path from ``presented[0]`` to a trust anchor, using the other
    presented certificates as intermediates (in any order; a loop ends the path).

    A certificate that is itself an anchor ends the path (trusted); else an
    anchor that signed it does; else a presented CA certificate that signed
    it continues it; else the path ends: at a self-signed certificate
    (``SELF_SIGNED`` for the host's own, ``UNTRUSTED_ROOT`` for a CA), or at a
    missing issuer (``INCOMPLETE``).
    """
    anchor_fps = {fingerprint(a) for a in anchors}
    path = [presented[0]]
    for _ in range(MAX_DEPTH):
        cur = path[-1]
        if fingerprint(cur) in anchor_fps:
            return _chain(presented, path, TRUSTED, host, file, now, warn_days, anchors)
        issuer = next((a for a in anchors if a.subject == cur.issuer and signed_by(cur, a)), None)
        if issuer is not None:
            path.append(issuer)
            return _chain(presented, path, TRUSTED, host, file, now, warn_days, anchors)
        if cur.subject == cur.issuer and signed_by(cur, cur):
            end = SELF_SIGNED if len(path) == 1 else UNTRUSTED_ROOT
            return _chain(presented, path, end, host, file, now, warn_days, anchors)
        seen = {fingerprint(c) for c in path}
        issuer = next((c for c in presented[1:] if fingerprint(c) not in seen and c.subject == cur.issuer
                       and signed_by(cur, c)), None)
        if issuer is None:
            return _chain(presented, path, INCOMPLETE, host, file, now, warn_days, anchors,
                          missing=cur.issuer.rfc4514_string())
        path.append(issuer)
    return _chain(presented, path, TOO_LONG, host, file, now, warn_days, anchors)


def _chain(presented, path, end, host, file, now, warn_days, anchors, missing=None) -> Chain:
    return Chain(tuple(presented), tuple(path), end, host, file, now, warn_days, missing, len(anchors))


# --------------------------------------------------------------------------- names


def dns_names(cert: x509.Certificate) -> list[str]:
    """The subjectAltName dNSName entries, lower case (an absent extension: ``[]``)."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [n.lower().rstrip(".") for n in san.get_values_for_type(x509.DNSName)]


def common_names(cert: x509.Certificate) -> list[str]:
    from cryptography.x509.oid import NameOID

    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 6.4: ``pattern`` (a dNSName, lower case) matches ``host``
    exactly, or is a wildcard ``*`` that is the whole left-most label and
    stands for exactly one label, with at least two labels after it
    (``*.contoso.com`` matches ``mail.contoso.com``, not ``contoso.com`` nor
    ``a.mail.contoso.com``; ``*.com`` and ``m*.contoso.com`` match nothing)."""
    if pattern == host:
        return True
    first, _, rest = pattern.partition(".")
    if first != "*" or rest.count(".") < 1 or "*" in rest:
        return False
    label, _, host_rest = host.partition(".")
    return bool(label) and host_rest == rest
