"""Certificates the endpoint tests make (``cryptography``): a test root CA, an
issuing (intermediate) CA, and host certificates for every case the PF51x
checks tell apart. ``make_cases(folder)`` writes each case's chain (as the
server sends it), its key, and the CA file, and returns them as ``Case``s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "mail.contoso.com"
DAY = dt.timedelta(days=1)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def name(cn: str, org: str = "Contoso") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def certificate(subject: x509.Name, subject_key, issuer: x509.Name, issuer_key, *, ca: bool, names=(),
                not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
                algorithm: hashes.HashAlgorithm | None = None, eku=(ExtendedKeyUsageOID.SERVER_AUTH,)) -> x509.Certificate:
    """One X.509 v3 certificate with the extensions a public CA puts in."""
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(subject_key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before or now() - 10 * DAY).not_valid_after(not_after or now() + 365 * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                          crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        if eku:
            b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if names:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return b.sign(issuer_key, algorithm or hashes.SHA256())


@dataclass
class Case:
    """One endpoint certificate case: ``chain`` as the server sends it, the key
    of its first certificate, the files written, and the PF51x codes it must give."""

    name: str
    chain: list[x509.Certificate]
    key: rsa.RSAPrivateKey
    expected: set[str]
    chain_file: Path = field(default=Path())
    key_file: Path = field(default=Path())


class PKI:
    """A test root CA and an issuing CA under it (the root is trusted through ``ca_file`` only)."""

    def __init__(self) -> None:
        self.root_key, self.issuing_key, self.host_key = key(), key(), key()
        self.root = certificate(name("Preflight Test Root CA"), self.root_key, name("Preflight Test Root CA"),
                                self.root_key, ca=True, not_after=now() + 3650 * DAY)
        self.issuing = certificate(name("Preflight Test Issuing CA"), self.issuing_key,
                                   self.root.subject, self.root_key, ca=True, not_after=now() + 1825 * DAY)

    def host(self, *names: str, **kw) -> x509.Certificate:
        hkey = kw.pop("subject_key", self.host_key)
        return certificate(name(names[0] if names else HOST), hkey, self.issuing.subject, self.issuing_key,
                           ca=False, names=names, **kw)

    def sha1_host(self, host: str) -> x509.Certificate:
        """A host certificate signed by the issuing CA with SHA-1, by the ``openssl``
        command (``cryptography`` no longer signs with SHA-1)."""
        csr = (x509.CertificateSigningRequestBuilder().subject_name(name(host))
               .sign(self.host_key, hashes.SHA256()))
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "host.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
            (d / "ca.pem").write_bytes(pem(self.issuing))
            (d / "ca.key").write_bytes(key_pem(self.issuing_key))
            (d / "ext").write_text(f"basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:{host}\n"
                                   "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
            subprocess.run(["openssl", "x509", "-req", "-in", "host.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                            "-set_serial", "4242", "-sha1", "-days", "300", "-extfile", "ext", "-out", "host.pem"],
                           cwd=d, check=True, capture_output=True)
            return x509.load_pem_x509_certificate((d / "host.pem").read_bytes())

    def cases(self) -> list[Case]:
        """Every case: the chain sent, its key, the PF51x findings expected for HOST."""
        weak = key(1024)
        other_root_key = key()
        other_root = certificate(name("Fabrikam Private Root", "Fabrikam"), other_root_key,
                                 name("Fabrikam Private Root", "Fabrikam"), other_root_key, ca=True)
        other_leaf = certificate(name(HOST), self.host_key, other_root.subject, other_root_key, ca=False, names=[HOST])
        self_signed = certificate(name(HOST), self.host_key, name(HOST), self.host_key, ca=False, names=[HOST])
        k, i = self.host_key, self.issuing
        return [
            Case("valid", [self.host(HOST, "autodiscover.contoso.com"), i], k, set()),
            Case("wildcard", [self.host("*.contoso.com"), i], k, set()),
            Case("self-signed", [self_signed], k, {"PF510"}),
            Case("untrusted-root", [other_leaf, other_root], k, {"PF510"}),
            Case("expired", [self.host(HOST, not_before=now() - 400 * DAY, not_after=now() - 2 * DAY), i], k, {"PF512"}),
            Case("not-yet-valid", [self.host(HOST, not_before=now() + 3 * DAY, not_after=now() + 300 * DAY), i], k,
                 {"PF513"}),
            Case("expiring", [self.host(HOST, not_after=now() + 10 * DAY), i], k, {"PF514"}),
            Case("wrong-name", [self.host("owa.fabrikam.com"), i], k, {"PF511"}),
            Case("wildcard-too-deep", [self.host("*.com", "*.mail.contoso.com", "contoso.com"), i], k, {"PF511"}),
            Case("sha1", [self.sha1_host(HOST), i], k, {"PF515"}),
            Case("rsa1024", [self.host(HOST, subject_key=weak), i], weak, {"PF516"}),
            Case("missing-intermediate", [self.host(HOST)], k, {"PF517"}),
            Case("client-auth-only", [self.host(HOST, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), i], k, {"PF510"}),
        ]


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(k: rsa.RSAPrivateKey) -> bytes:
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                           serialization.NoEncryption())


def make_cases(folder: Path) -> tuple[PKI, Path, list[Case]]:
    """Write every case's chain and key, and the CA file (the test root), under ``folder``."""
    pki = PKI()
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "test-root-ca.pem"
    ca_file.write_bytes(pem(pki.root))
    cases = pki.cases()
    for case in cases:
        case.chain_file = folder / f"{case.name}.pem"
        case.chain_file.write_bytes(pem(*case.chain))
        case.key_file = folder / f"{case.name}.key"
        case.key_file.write_bytes(key_pem(case.key))
    return pki, ca_file, cases
