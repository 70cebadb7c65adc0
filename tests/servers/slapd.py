"""OpenLDAP ``slapd`` as an AD-like directory for scale and paging tests (Debian ``slapd ldap-utils``).

``start_slapd(ldif)`` writes a private configuration into a temporary directory — an AD-like schema of its own
(``ad.schema``: user/contact/group with AD's objectClass chains and the attributes preflight reads, with their
Microsoft OIDs where plain AD has them and a private arc for the Exchange ones, SINGLE-VALUE where AD is
single-valued), a throw-away CA and server certificate made with ``openssl`` (so the server speaks LDAPS and
no test ever needs plain LDAP), and AD's page-size limit ``sizelimit size.soft=1000 size.hard=1000
size.prtotal=unlimited`` (it binds a read-only, non-root account, which the limit applies to) — bulk-loads
``ldif`` with ``slapadd -q``, and starts ``slapd -d 0 -h ldaps://127.0.0.1:PORT/`` in the foreground::

    with start_slapd(bulk_ldif(2_500)) as server:
        conn = server.connection()          # LDAPS, bound as server.reader_dn
        LdapSource.from_config(server.config(password_env="X"))

What differs from AD (see /work/shared/testinfra.md): simple bind takes a DN only (no UPN); returned DNs use
lower-case attribute types (compare DNs normalised); cn keeps multi-valued; ``(objectCategory=person)``
matches nothing; the rootdn ignores size limits (so tests bind as ``reader_dn``).
Run this file to smoke-test it: ``python tests/servers/slapd.py``.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HOST = "127.0.0.1"
BASE_DN = "DC=contoso,DC=com"
BULK_OU = "OU=Bulk," + BASE_DN
USERS = "CN=Users," + BASE_DN
READER_DN = "CN=svc-preflight," + USERS
#: A second read-only account whose paged searches may not ask for pages above STRICT_PAGE_SIZE (slapd
#: refuses larger pages for it): lets tests see how a client handles a server refusing its paging.
STRICT_DN = "CN=svc-strict," + USERS
STRICT_PAGE_SIZE = 100
ROOT_DN = "CN=admin," + BASE_DN
#: Name in the server certificate (it also carries IP 127.0.0.1).
TLS_SERVER_NAME = "ldap.contoso.test"
#: AD's MaxPageSize, reproduced for every bind DN but the rootdn.
SIZE_LIMIT = 1000
START_TIMEOUT = 20.0
PRIVATE_OID_ARC = "1.3.6.1.4.1.99999.2"

_DN = "1.3.6.1.4.1.1466.115.121.1.12"
_STRING = "1.3.6.1.4.1.1466.115.121.1.15"
_INTEGER = "1.3.6.1.4.1.1466.115.121.1.27"
_BOOLEAN = "1.3.6.1.4.1.1466.115.121.1.7"
_OCTETS = "1.3.6.1.4.1.1466.115.121.1.40"
_MATCH = {
    _DN: "EQUALITY distinguishedNameMatch",
    _STRING: "EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch",
    _INTEGER: "EQUALITY integerMatch",
    _BOOLEAN: "EQUALITY booleanMatch",
    _OCTETS: "EQUALITY octetStringMatch",
}

#: (name, OID or private-arc suffix, syntax, single-valued). Plain-AD attributes carry Microsoft's OIDs.
#: cn, name, distinguishedName and userPassword are built into slapd (multi-valued there) and cannot be redefined.
_ATTRIBUTES: tuple[tuple[str, str | int, str, bool], ...] = (
    ("sn", "2.5.4.4", _STRING, True),
    ("ou", "2.5.4.11", _STRING, False),
    ("givenName", "2.5.4.42", _STRING, True),
    ("dc", "0.9.2342.19200300.100.1.25", _STRING, True),
    ("mail", "0.9.2342.19200300.100.1.3", _STRING, True),
    ("manager", "0.9.2342.19200300.100.1.10", _DN, True),
    # AD keeps directReports as the back-link of manager; slapd does not, so entries carry it as written.
    ("directReports", "1.2.840.113556.1.2.436", _DN, False),
    ("displayName", "1.2.840.113556.1.2.13", _STRING, True),
    ("proxyAddresses", "1.2.840.113556.1.2.210", _STRING, False),
    ("objectGUID", "1.2.840.113556.1.4.2", _OCTETS, True),
    ("userAccountControl", "1.2.840.113556.1.4.8", _INTEGER, True),
    ("objectSid", "1.2.840.113556.1.4.146", _OCTETS, True),
    ("sAMAccountName", "1.2.840.113556.1.4.221", _STRING, True),
    ("legacyExchangeDN", "1.2.840.113556.1.4.655", _STRING, True),
    ("userPrincipalName", "1.2.840.113556.1.4.656", _STRING, True),
    ("isCriticalSystemObject", "1.2.840.113556.1.4.868", _BOOLEAN, True),
    ("showInAddressBook", "1.2.840.113556.1.4.644", _DN, False),
    ("mailNickname", 1, _STRING, True),
    ("targetAddress", 2, _STRING, True),
    ("homeMDB", 3, _DN, True),
    ("msExchHomeServerName", 5, _STRING, True),
    ("msExchRecipientTypeDetails", 6, _INTEGER, True),
    ("msExchHideFromAddressLists", 7, _BOOLEAN, True),
    ("msExchUMEnabledFlags", 8, _INTEGER, True),
    ("msExchUMRecipientDialPlanLink", 9, _DN, True),
    ("msExchUMTemplateLink", 10, _DN, True),
    ("msExchDelegateListLink", 11, _DN, False),
    ("msExchMasterAccountSid", 13, _OCTETS, True),
    ("msExchRecipientDisplayType", 14, _INTEGER, True),
    ("publicDelegates", 15, _DN, False),
)
_MAIL = ("displayName", "mail", "proxyAddresses", "legacyExchangeDN", "showInAddressBook", "mailNickname",
         "targetAddress", "homeMDB", "msExchHomeServerName", "msExchRecipientTypeDetails",
         "msExchHideFromAddressLists", "msExchUMEnabledFlags", "msExchUMRecipientDialPlanLink",
         "msExchUMTemplateLink", "msExchDelegateListLink", "msExchMasterAccountSid", "msExchRecipientDisplayType",
         "publicDelegates")
#: distinguishedName is slapd's built-in type; the bulk mailboxes carry it, as every AD object does, so that
#: a (distinguishedName=…) filter finds them.
_TOP_MAY = ("objectGUID", "isCriticalSystemObject", "distinguishedName")
#: (name, OID, superclass, kind, must, may): AD's chains top > person > organizationalPerson > user|contact, top > group.
_CLASSES = (
    ("person", "2.5.6.6", "top", "STRUCTURAL", ("cn",), ("sn", "userPassword", *_TOP_MAY)),
    ("organizationalPerson", "2.5.6.7", "person", "STRUCTURAL", (), ("givenName", "manager", "directReports", *_MAIL)),
    ("user", "1.2.840.113556.1.5.9", "organizationalPerson", "STRUCTURAL", (),
     ("sAMAccountName", "userPrincipalName", "userAccountControl", "objectSid")),
    ("contact", "1.2.840.113556.1.5.15", "organizationalPerson", "STRUCTURAL", (), ()),
    ("group", "1.2.840.113556.1.5.8", "top", "STRUCTURAL", ("cn",),
     ("sAMAccountName", "objectSid", *_TOP_MAY, *_MAIL)),
    ("organizationalUnit", "2.5.6.5", "top", "STRUCTURAL", ("ou",), _TOP_MAY),
    ("container", "1.2.840.113556.1.3.23", "top", "STRUCTURAL", ("cn",), _TOP_MAY),
    ("domainDNS", "1.2.840.113556.1.5.67", "top", "STRUCTURAL", ("dc",), _TOP_MAY),
)


def schema_text() -> str:
    """The slapd schema file (``ad.schema``)."""
    lines = [f"# AD-like schema for preflight's tests; Exchange attributes under {PRIVATE_OID_ARC}."]
    for name, oid, syntax, single in _ATTRIBUTES:
        full = f"{PRIVATE_OID_ARC}.{oid}" if isinstance(oid, int) else oid
        single_text = " SINGLE-VALUE" if single else ""
        lines.append(f"attributetype ( {full} NAME '{name}' {_MATCH[syntax]} SYNTAX {syntax}{single_text} )")
    for name, oid, sup, kind, must, may in _CLASSES:
        must_text = f" MUST ( {' $ '.join(must)} )" if must else ""
        may_text = f" MAY ( {' $ '.join(dict.fromkeys(may))} )" if may else ""
        lines.append(f"objectclass ( {oid} NAME '{name}' SUP {sup} {kind}{must_text}{may_text} )")
    return "\n".join(lines) + "\n"


def ldif_entry(dn: str, attributes: dict[str, Any]) -> str:
    """One LDIF record; a list value becomes adjacent lines (``slapadd -q`` needs them grouped); bytes go base64."""
    import base64

    out = [f"dn: {dn}"]
    for name, value in attributes.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, bytes):
                out.append(f"{name}:: {base64.b64encode(v).decode()}")
            elif isinstance(v, bool):
                out.append(f"{name}: {'TRUE' if v else 'FALSE'}")
            else:
                out.append(f"{name}: {v}")
    return "\n".join(out) + "\n\n"


def skeleton(reader_password: str) -> Iterator[str]:
    """The domain root, CN=Users with the two read-only accounts, and OU=Bulk."""
    yield ldif_entry(BASE_DN, {"objectClass": ["top", "domainDNS"], "dc": "contoso"})
    yield ldif_entry(USERS, {"objectClass": ["top", "container"], "cn": "Users"})
    yield ldif_entry(READER_DN, {"objectClass": ["top", "person", "organizationalPerson", "user"],
                                 "cn": "svc-preflight", "sAMAccountName": "svc-preflight",
                                 "userPrincipalName": "svc-preflight@contoso.com", "userAccountControl": 512,
                                 "userPassword": reader_password})
    yield ldif_entry(STRICT_DN, {"objectClass": ["top", "person", "organizationalPerson", "user"],
                                 "cn": "svc-strict", "sAMAccountName": "svc-strict", "userAccountControl": 512,
                                 "userPassword": reader_password})
    yield ldif_entry(BULK_OU, {"objectClass": ["top", "organizationalUnit"], "ou": "Bulk"})


def mailbox_dn(i: int) -> str:
    return f"CN=User {i:06d},{BULK_OU}"


def mailbox_address(i: int) -> str:
    return f"user{i:06d}@contoso.com"


def mailbox_entries(n: int, start: int = 0) -> Iterator[str]:
    """``n`` Exchange 2007 mailboxes under OU=Bulk: mail ``user{i:06d}@contoso.com``, a secondary smtp proxy
    ``u{i:06d}@contoso.com``, manager = mailbox 0 (for i > 0), and on mailbox 0 (when ``start`` is 0) its
    back-link directReports, as AD would keep it."""
    legacy = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
    for i in range(start, start + n):
        nick = f"user{i:06d}"
        attrs: dict[str, Any] = {
            "objectClass": ["top", "person", "organizationalPerson", "user"],
            "cn": f"User {i:06d}", "distinguishedName": mailbox_dn(i), "sn": f"{i:06d}", "givenName": "User",
            "displayName": f"User {i:06d}",
            "sAMAccountName": nick, "userPrincipalName": mailbox_address(i), "userAccountControl": 512,
            "mail": mailbox_address(i), "mailNickname": nick,
            "proxyAddresses": [f"SMTP:{mailbox_address(i)}", f"smtp:u{i:06d}@contoso.com",
                               f"X500:{legacy}/cn=Recipients/cn={nick}"],
            "legacyExchangeDN": f"{legacy}/cn=Recipients/cn={nick}",
            "homeMDB": f"CN=Mailbox Database 01,CN=Databases,{BASE_DN}",
            "msExchHomeServerName": f"{legacy}/cn=Configuration/cn=Servers/cn=EX2007",
            "msExchRecipientTypeDetails": 1,
        }
        if i:
            attrs["manager"] = mailbox_dn(0)
        elif n > 1:
            attrs["directReports"] = [mailbox_dn(j) for j in range(1, start + n)]
        yield ldif_entry(mailbox_dn(i), attrs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _make_certificates(workdir: Path) -> None:
    """A CA and a server certificate for TLS_SERVER_NAME and IP 127.0.0.1 (openssl, ~0.1 s)."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=workdir, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=preflight test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", f"/CN={TLS_SERVER_NAME}")
    (workdir / "server.ext").write_text(
        f"subjectAltName=DNS:{TLS_SERVER_NAME},IP:{HOST}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext")


@dataclass
class Slapd:
    """A running slapd started by :func:`start_slapd`; a context manager that stops it."""

    workdir: Path
    port: int
    reader_password: str
    host: str = HOST
    base_dn: str = BASE_DN
    reader_dn: str = READER_DN
    root_dn: str = ROOT_DN
    tls_server_name: str = TLS_SERVER_NAME
    #: False: plain ldap:// with no TLS configured (StartTLS refused).
    tls: bool = True
    timings: dict[str, float] = field(default_factory=dict, init=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.tls else 'ldap'}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "ca.pem"

    @property
    def conf(self) -> Path:
        return self.workdir / "slapd.conf"

    def config(self, password_env: str, **more: Any) -> dict[str, Any]:
        """An ``LdapSource.from_config`` mapping binding as the read-only account (password in ``password_env``)."""
        return {"source": self.url, "bind_user": self.reader_dn, "password_env": password_env,
                "ca_file": str(self.ca_file), "base_dn": self.base_dn, **more}

    def connection(self, **kwargs: Any) -> Any:
        """A new ldap3 connection over LDAPS (certificate verified), bound as the read-only account."""
        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file))
        server = ldap3.Server(self.host, port=self.port, use_ssl=self.tls, tls=tls, get_info=ldap3.NONE,
                              connect_timeout=10)
        kwargs.setdefault("receive_timeout", 60)
        return ldap3.Connection(server, user=self.reader_dn, password=self.reader_password, auto_bind=True,
                                read_only=True, **kwargs)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.workdir / "slapd.log").read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Terminate the slapd started here, wait for it, remove ``workdir`` (safe to call twice)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Slapd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _slapd_conf(server: Slapd) -> str:
    w = server.workdir
    tls = f"""\
TLSCACertificateFile {w}/ca.pem
TLSCertificateFile {w}/server.pem
TLSCertificateKeyFile {w}/server.key
""" if server.tls else ""
    return f"""\
include {w}/ad.schema
pidfile {w}/slapd.pid
argsfile {w}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
{tls}
database mdb
maxsize 4294967296
suffix "{server.base_dn}"
rootdn "{server.root_dn}"
rootpw {server.reader_password}-root
directory {w}/db
index objectClass,mail,proxyAddresses,manager eq
# AD's MaxPageSize: an unpaged search stops at {SIZE_LIMIT} (sizeLimitExceeded), a paged one walks everything.
limits dn.exact="{STRICT_DN}" size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.pr={STRICT_PAGE_SIZE}
sizelimit size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.prtotal=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{server.reader_dn}" read by dn.exact="{STRICT_DN}" read by * none
"""


def start_slapd(ldif: str | Iterable[str] = (), reader_password: str | None = None, port: int | None = None,
                tls: bool = True) -> Slapd:
    """Configure, bulk-load (``skeleton()`` + ``ldif``) and start slapd; return it once LDAPS answers
    (``tls=False``: plain ldap:// with no TLS configured, so StartTLS is refused).

    Raises RuntimeError with slapd's output when a step fails (the server is stopped then).
    """
    import secrets

    workdir = Path(tempfile.mkdtemp(prefix="preflight-slapd-"))
    server = Slapd(workdir=workdir, port=port or _free_port(), reader_password=reader_password or secrets.token_urlsafe(16),
                   tls=tls)
    try:
        started = time.monotonic()
        _make_certificates(workdir)
        (workdir / "ad.schema").write_text(schema_text())
        (workdir / "db").mkdir()
        server.conf.write_text(_slapd_conf(server))
        _run(["slaptest", "-u", "-f", str(server.conf)])
        with (workdir / "data.ldif").open("w") as out:
            out.writelines(skeleton(server.reader_password))
            out.writelines([ldif] if isinstance(ldif, str) else ldif)
        server.timings["configure"] = time.monotonic() - started
        started = time.monotonic()
        _run(["slapadd", "-q", "-f", str(server.conf), "-l", str(workdir / "data.ldif")])
        server.timings["slapadd"] = time.monotonic() - started
        started = time.monotonic()
        server._log = (workdir / "slapd.log").open("wb")
        server._process = subprocess.Popen(
            [_executable("slapd"), "-d", "0", "-h", f"{server.url}/", "-f", str(server.conf)],
            stdout=server._log, stderr=subprocess.STDOUT)
        _wait_until_answering(server)
        server.timings["start"] = time.monotonic() - started
    except BaseException as exc:
        tail = server.log_tail()
        server.stop()
        if not isinstance(exc, Exception):
            raise
        raise RuntimeError(f"starting slapd failed: {exc}" + (f"\n--- slapd log ---\n{tail}" if tail else "")) from exc
    return server


def _executable(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _run(cmd: list[str]) -> None:
    cmd = [_executable(cmd[0]), *cmd[1:]]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited with {result.returncode}:\n{(result.stdout + result.stderr)[-3000:]}")


def _wait_until_answering(server: Slapd) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert server._process is not None
        if server._process.poll() is not None:
            raise RuntimeError(f"slapd exited with {server._process.returncode}")
        try:
            server.connection().unbind()
            return
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not answer on {server.url} within {START_TIMEOUT:.0f} s") from None
            time.sleep(0.05)


def _smoke() -> None:
    import ldap3

    with start_slapd(mailbox_entries(1_500)) as server:
        conn = server.connection()
        conn.search(server.base_dn, "(objectClass=user)", attributes=["mail"])
        print("unpaged:", len(conn.entries), conn.result["description"])
        entries = conn.extend.standard.paged_search(server.base_dn, "(objectClass=user)", attributes=["mail"],
                                                    paged_size=500, generator=False)
        print("paged:", len(entries))
        conn.search(mailbox_dn(1), "(objectClass=*)", ldap3.BASE, attributes=["*"])
        print(conn.entries[0])
        print("timings (s):", {k: round(v, 2) for k, v in server.timings.items()})


if __name__ == "__main__":
    _smoke()
