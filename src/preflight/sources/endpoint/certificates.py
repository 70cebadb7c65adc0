"""Certificates from files: a saved endpoint chain (offline), and the trust anchors.

:func:`read_chain` reads what an admin can save on any machine:

- PEM: one or more ``-----BEGIN CERTIFICATE-----`` blocks, text around them
  ignored -- so ``openssl s_client -connect mail.contoso.com:443 -showcerts
  </dev/null > chain.txt`` works as it is (its ``Protocol : TLSv1.2`` line,
  when present, gives the TLS version the server chose);
- DER: one certificate (Windows' "Copy to File…" .cer) or several concatenated;
- PKCS #7 (.p7b, PEM or DER): Windows' "include all certificates in the path".

The certificates keep the order of the file (the server's order: the host's
certificate first).

:func:`trust_anchors` reads the system trust store (OpenSSL's default CA file
or directory, as the ``ssl`` module finds them; on Windows and macOS the
certificates the ``ssl`` module loads from the system) plus a ``ca_file``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...registry import SourceError

if TYPE_CHECKING:
    from cryptography import x509

_PROTOCOL_RE = re.compile(rb"^\s*Protocol\s*:\s*(TLSv1(?:\.[0-3])?|SSLv[23])\s*$", re.MULTILINE)


@dataclass(frozen=True)
class CertificateFile:
    """A saved chain: ``certificates`` in the file's order, and the TLS
    version named in it (``openssl s_client`` output), else ``None``."""

    path: str
    certificates: tuple[x509.Certificate, ...]
    tls_version: str | None = None


def read_chain(path: str) -> CertificateFile:
    """Read a certificate chain file (PEM, DER, PKCS #7, or ``s_client`` output).

    Raises:
        SourceError: unreadable, or no certificate in it.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the endpoint certificate {path}: {exc.strerror or exc}") from None
    try:
        certs = parse_certificates(data)
    except ValueError as exc:
        raise SourceError(f"{path}: {exc}") from None
    m = _PROTOCOL_RE.search(data)
    return CertificateFile(path, tuple(certs), m.group(1).decode() if m else None)


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates in ``data`` (PEM blocks, PKCS #7, or DER).

    Raises:
        ValueError: no certificate found, or a malformed one.
    """
    certs = _parse(data)
    if not certs:
        raise ValueError("no certificate in it")
    return certs


def _parse(data: bytes) -> list[x509.Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    if b"-----BEGIN" in data:
        if b"-----BEGIN PKCS7-----" in data:
            return _leaf_first(pkcs7.load_pem_pkcs7_certificates(data))
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise ValueError("no certificate in it (no -----BEGIN CERTIFICATE----- block)")
        return list(x509.load_pem_x509_certificates(data))
    try:
        return _leaf_first(pkcs7.load_der_pkcs7_certificates(data))
    except ValueError:
        pass
    certs = []
    rest = data
    while rest:
        n = _der_length(rest)
        certs.append(x509.load_der_x509_certificate(rest[:n]))
        rest = rest[n:]
    if not certs:
        raise ValueError("the file is empty")
    return certs


def _leaf_first(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """PKCS #7 holds a SET of certificates, sorted by their encoding: put first
    the one that issued none of the others (the host's), keep the others' order."""
    leaves = [c for c in certs if not any(o is not c and o.issuer == c.subject for o in certs)]
    if not leaves:
        return list(certs)
    return [leaves[0], *(c for c in certs if c is not leaves[0])]


def _der_length(data: bytes) -> int:
    """The length of the DER SEQUENCE at the start of ``data`` (header included)."""
    if len(data) < 2 or data[0] != 0x30:
        raise ValueError("not a certificate (neither PEM, DER nor PKCS #7)")
    first = data[1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if not 0 < n <= 4 or len(data) < 2 + n:
        raise ValueError("not a certificate (bad DER length)")
    return 2 + n + int.from_bytes(data[2:2 + n], "big")


def trust_anchors(ca_file: str | None = None) -> list[x509.Certificate]:
    """The system's trusted CA certificates, plus those of ``ca_file`` (PEM).

    Raises:
        SourceError: ``ca_file`` unreadable or holding no certificate.
    """
    import ssl

    from cryptography import x509

    anchors: list[x509.Certificate] = []
    paths = ssl.get_default_verify_paths()
    if paths.cafile and Path(paths.cafile).is_file():
        anchors += _pem_file(Path(paths.cafile))
    elif paths.capath and Path(paths.capath).is_dir():
        for p in sorted(Path(paths.capath).iterdir()):
            if p.is_file() and not p.is_symlink() and p.suffix in (".pem", ".crt"):
                anchors += _pem_file(p)
    else:  # Windows, macOS: the ssl module reads the system store
        ctx = ssl.create_default_context()
        anchors += [x509.load_der_x509_certificate(der) for der in ctx.get_ca_certs(binary_form=True)]
    if ca_file:
        try:
            extra = parse_certificates(Path(ca_file).read_bytes())
        except OSError as exc:
            raise SourceError(f"cannot read the endpoint CA file {ca_file}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise SourceError(f"the endpoint CA file {ca_file}: {exc}") from None
        anchors += extra
    return anchors


def _pem_file(path: Path) -> list[x509.Certificate]:
    import warnings

    from cryptography import x509

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. an old root's serial number of 0 in the system store
            return list(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError):
        return []  # an unreadable system file is not the endpoint's fault
