"""A real Samba Active Directory domain controller for tests.

``start_samba_dc()`` provisions a throw-away ``CONTOSO.COM`` domain with ``samba-tool`` into a temporary
directory, starts ``samba`` on 127.0.0.1 (LDAP 389, LDAPS 636) and, by default, extends its schema with the
Exchange attributes that preflight reads.  The returned ``SambaDC`` hands out LDAPS connections that verify
the server certificate against the CA Samba generated, adds test objects, and stops the server again::

    with start_samba_dc() as dc:
        dc.add_objects([("CN=Ann,CN=Users," + dc.base_dn, {"objectClass": "user", "mail": "ann@contoso.com"})])
        conn = dc.connection()

Needs the Debian packages ``samba samba-ad-dc samba-ad-provision python3-samba`` and root (the LDAP ports are
fixed), so only one DC can run at a time.  Run this file to smoke-test the whole thing:
``python tests/servers/samba.py``.

What the server enforces, as Windows AD does: a simple bind on 389 without TLS is refused
(strongerAuthRequired); every DN-syntax value must name an existing object ("Referenced object not found"),
so create placeholders (see ``container_chain()``) for e.g. ``homeMDB`` targets; linked attributes keep
their back links.  Its certificate is issued to ``DC1.contoso.com``, not to 127.0.0.1: a client that checks
host names must accept ``SambaDC.tls_server_name``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ldap3
from ldap3.core.exceptions import LDAPSocketOpenError
from ldap3.core.results import RESULT_SUCCESS
from ldap3.operation.modify import modify_operation
from ldap3.protocol.formatters.formatters import format_sid
from ldap3.utils.dn import to_dn

HOST = "127.0.0.1"
LDAP_PORT = 389
LDAPS_PORT = 636
REALM = "CONTOSO.COM"
NETBIOS_DOMAIN = "CONTOSO"
HOST_NAME = "dc1"
BASE_DN = "DC=contoso,DC=com"
CONFIGURATION_DN = "CN=Configuration," + BASE_DN
SCHEMA_DN = "CN=Schema," + CONFIGURATION_DN
ADMIN_UPN = "Administrator@contoso.com"
#: Name in the certificate Samba generates for itself (NetBIOS host name + DNS domain).
TLS_SERVER_NAME = "DC1.contoso.com"
#: Private OID arc under which the added attributes get their attributeID.
PRIVATE_OID_ARC = "1.3.6.1.4.1.99999.1"

PROVISION_TIMEOUT = 300.0
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
#: samba's messaging sockets (WORKDIR/msg.sock/PID) must fit a 108-byte sun_path; 96 characters failed.
MAX_WORKDIR_LENGTH = 80
_LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class _Syntax:
    """An AD attribute syntax: attributeSyntax, oMSyntax and (for object syntaxes) oMObjectClass."""

    attribute_syntax: str
    om_syntax: int
    om_object_class: bytes | None = None


_UNICODE = _Syntax("2.5.5.12", 64)
_CASE_IGNORE = _Syntax("2.5.5.4", 20)
_INTEGER = _Syntax("2.5.5.9", 2)
_LARGE_INTEGER = _Syntax("2.5.5.16", 65)
_BOOLEAN = _Syntax("2.5.5.8", 1)
_SID = _Syntax("2.5.5.17", 4)
# Object(DS-DN): oMObjectClass is the BER encoding of OID 1.3.12.2.1011.28.0.714.
_DN = _Syntax("2.5.5.1", 127, b"\x2b\x0c\x02\x87\x73\x1c\x00\x85\x4a")
_NT_SECURITY_DESCRIPTOR = _Syntax("2.5.5.15", 66)

_MAIL = ("user", "contact", "group")
_PERSON = ("user", "contact")
_ACCOUNT = ("user",)
_TOP = ("top",)


@dataclass(frozen=True)
class _Attribute:
    """An attribute the tests rely on and the object classes that must allow it.

    ``oid_suffix`` None means the base AD schema must already define it (its definition is checked);
    otherwise it is created with attributeID ``PRIVATE_OID_ARC.oid_suffix``.  An even ``link_id`` makes a
    forward link, the next odd one its back link.
    """

    name: str
    syntax: _Syntax
    single_valued: bool
    classes: tuple[str, ...]
    oid_suffix: int | None = None
    link_id: int | None = None


# Order matters: a back link must be created after its forward link.
_SCHEMA_ATTRIBUTES = (
    # In the base AD schema; allowed on the classes where Windows AD allows them.
    _Attribute("proxyAddresses", _UNICODE, False, _MAIL),
    _Attribute("mail", _UNICODE, True, _MAIL),
    _Attribute("legacyExchangeDN", _CASE_IGNORE, True, _MAIL),
    _Attribute("showInAddressBook", _DN, False, _MAIL),
    _Attribute("displayName", _UNICODE, True, _MAIL),
    _Attribute("manager", _DN, True, _PERSON),
    _Attribute("givenName", _UNICODE, True, _PERSON),
    _Attribute("sn", _UNICODE, True, _PERSON),
    _Attribute("userPrincipalName", _UNICODE, True, _ACCOUNT),
    _Attribute("userAccountControl", _INTEGER, True, _ACCOUNT),
    # Exchange schema.  Samba's base schema also lacks publicDelegates (Windows: link IDs 10/11).
    _Attribute("mailNickname", _UNICODE, True, _MAIL, 1),
    _Attribute("targetAddress", _UNICODE, True, _MAIL, 2),
    _Attribute("homeMDB", _DN, True, _MAIL, 3, link_id=31000),
    _Attribute("homeMDBBL", _DN, False, _TOP, 4, link_id=31001),
    _Attribute("msExchHomeServerName", _UNICODE, True, _MAIL, 5),
    _Attribute("msExchRecipientTypeDetails", _LARGE_INTEGER, True, _MAIL, 6),
    _Attribute("msExchHideFromAddressLists", _BOOLEAN, True, _MAIL, 7),
    _Attribute("msExchUMEnabledFlags", _INTEGER, True, _MAIL, 8),
    _Attribute("msExchUMRecipientDialPlanLink", _DN, True, _MAIL, 9),
    _Attribute("msExchUMTemplateLink", _DN, True, _MAIL, 10),
    _Attribute("msExchDelegateListLink", _DN, False, _MAIL, 11, link_id=31002),
    _Attribute("msExchDelegateListBL", _DN, False, _TOP, 12, link_id=31003),
    _Attribute("msExchMasterAccountSid", _SID, True, _MAIL, 13),
    _Attribute("msExchRecipientDisplayType", _INTEGER, True, _MAIL, 14),
    _Attribute("publicDelegates", _DN, False, _MAIL, 15, link_id=10),
    _Attribute("publicDelegatesBL", _DN, False, _TOP, 16, link_id=11),
    _Attribute("msExchMailboxSecurityDescriptor", _NT_SECURITY_DESCRIPTOR, True, _MAIL, 17),
)


#: Private OID arc under which the added object classes get their governsID.
PRIVATE_CLASS_OID_ARC = "1.3.6.1.4.1.99999.2"


@dataclass(frozen=True)
class _ObjectClass:
    """An Exchange object class the base AD schema lacks: created (structural, subclass of top,
    named by ``cn``) with governsID ``PRIVATE_CLASS_OID_ARC.oid_suffix``, allowed under ``superiors``."""

    name: str
    oid_suffix: int
    may_contain: tuple[str, ...] = ()
    superiors: tuple[str, ...] = ("container",)


# The Exchange organization in the Configuration partition (servers, stores, public folder trees) and
# the dynamic distribution groups of the domain partition.  serialNumber, versionNumber, keywords,
# serviceBindingInformation (serviceConnectionPoint) and minPwdLength (domainDNS) are in the base schema.
_SCHEMA_CLASSES = (
    _ObjectClass("msExchExchangeServer", 1, ("serialNumber", "versionNumber", "legacyExchangeDN")),
    _ObjectClass("msExchPrivateMDB", 2, ("legacyExchangeDN",)),
    _ObjectClass("msExchPublicMDB", 3, ("legacyExchangeDN",)),
    _ObjectClass("msExchPFTree", 4),
    _ObjectClass("msExchDynamicDistributionList", 5,
                 ("displayName", "mail", "mailNickname", "proxyAddresses", "legacyExchangeDN"),
                 ("container", "organizationalUnit")),
)


@dataclass
class SambaDC:
    """A running Samba AD DC started by ``start_samba_dc()``; a context manager that stops it on exit."""

    workdir: Path
    admin_password: str
    host: str = HOST
    ldap_port: int = LDAP_PORT
    ldaps_port: int = LDAPS_PORT
    realm: str = REALM
    base_dn: str = BASE_DN
    admin_upn: str = ADMIN_UPN
    tls_server_name: str = TLS_SERVER_NAME
    #: Seconds spent in each start-up phase ("provision", "start", "schema").
    timings: dict[str, float] = field(default_factory=dict, init=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def ca_file(self) -> Path:
        """PEM of the CA that signed the server certificate (written by samba on its first start)."""
        return self.workdir / "private" / "tls" / "ca.pem"

    @property
    def smb_conf(self) -> Path:
        """The provisioned smb.conf."""
        return self.workdir / "etc" / "smb.conf"

    @property
    def log_file(self) -> Path:
        """Where samba's own output goes."""
        return self.workdir / "samba.log"

    def connection(self, user: str | None = None, password: str | None = None, **kwargs: Any) -> ldap3.Connection:
        """Return a new connection bound over LDAPS, verifying the certificate against ``ca_file``.

        Binds as the administrator unless ``user``/``password`` are given; ``kwargs`` go to
        ``ldap3.Connection`` (e.g. ``raise_exceptions=True``).  Each call reads the schema afresh, so a
        connection opened before a schema change rejects the new attribute names client-side.
        """
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file), valid_names=[self.tls_server_name])
        server = ldap3.Server(
            self.host, port=self.ldaps_port, use_ssl=True, tls=tls, get_info=ldap3.SCHEMA, connect_timeout=10
        )
        kwargs.setdefault("receive_timeout", 30)
        return ldap3.Connection(
            server,
            user=user or self.admin_upn,
            password=self.admin_password if password is None else password,
            auto_bind=True,
            **kwargs,
        )

    def add_objects(self, entries: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Add each ``(dn, attributes)`` in order; ``attributes`` must include ``objectClass``.

        Raises RuntimeError naming the first entry the server refused.
        """
        conn = self.connection()
        try:
            for dn, attributes in entries:
                if not conn.add(dn, attributes=dict(attributes)):
                    result = conn.result
                    raise RuntimeError(f"adding {dn} failed: {result['description']}: {result['message']}")
        finally:
            conn.unbind()

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last ``lines`` lines of samba's output (empty if there is none yet)."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the samba process started for this DC, wait for it, and remove ``workdir``.

        Safe to call more than once.
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdin is not None:
                process.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SambaDC:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_samba_dc(workdir: str | os.PathLike[str] | None = None, extra_exchange_schema: bool = True) -> SambaDC:
    """Provision and start a Samba AD DC for ``CONTOSO.COM`` and return it once LDAPS answers.

    ``workdir`` (default: a new temporary directory) must be missing or empty, and its absolute path at most
    ``MAX_WORKDIR_LENGTH`` characters long (samba puts Unix sockets under it); the DC owns it and ``stop()``
    removes it.  With ``extra_exchange_schema`` the schema gains the Exchange attributes preflight reads
    (see ``_SCHEMA_ATTRIBUTES``), allowed on user, contact and group.  On any failure the server is stopped
    and RuntimeError carries the tail of its log.
    """
    _check_ports_free()
    if workdir is None:
        path = Path(tempfile.mkdtemp(prefix="samba-dc-"))
    else:
        path = Path(workdir).absolute()
        if path.exists() and any(path.iterdir()):
            raise ValueError(f"workdir {path} is not empty")
        path.mkdir(parents=True, exist_ok=True)
    dc = SambaDC(workdir=path, admin_password=_new_password())
    try:
        if len(str(path)) > MAX_WORKDIR_LENGTH:
            # Longer, and samba dies with "Samba failed to setup parent messaging, error code -1073741801".
            raise ValueError(
                f"workdir {path} is longer than {MAX_WORKDIR_LENGTH} characters: samba's sockets won't fit"
            )
        started = time.monotonic()
        _provision(dc)
        dc.timings["provision"] = time.monotonic() - started

        started = time.monotonic()
        _start(dc)
        dc.timings["start"] = time.monotonic() - started

        if extra_exchange_schema:
            started = time.monotonic()
            _extend_schema(dc)
            dc.timings["schema"] = time.monotonic() - started
    except BaseException as exc:
        tail = dc.log_tail()
        dc.stop()
        if not isinstance(exc, Exception):
            raise
        details = f"\n--- samba log tail ---\n{tail}" if tail else ""
        raise RuntimeError(f"starting Samba AD DC failed: {exc}{details}") from exc
    return dc


def container_chain(dn: str, existing_ancestor: str) -> list[tuple[str, dict[str, Any]]]:
    """Entries creating ``dn`` and every missing parent below ``existing_ancestor`` as ``container`` objects.

    For placeholders that DN-syntax values must point at, e.g.
    ``container_chain("CN=DB01,CN=Databases,CN=Microsoft Exchange,CN=Services," + CONFIGURATION_DN,
    "CN=Services," + CONFIGURATION_DN)``.  Parents come first, ready for ``SambaDC.add_objects``.
    """
    rdns = to_dn(dn)
    ancestor = [rdn.lower() for rdn in to_dn(existing_ancestor)]
    if len(rdns) <= len(ancestor) or [rdn.lower() for rdn in rdns[-len(ancestor) :]] != ancestor:
        raise ValueError(f"{dn} is not below {existing_ancestor}")
    depth = len(rdns) - len(ancestor)
    return [(",".join(rdns[level:]), {"objectClass": "container"}) for level in range(depth - 1, -1, -1)]


def _new_password() -> str:
    """Return a random administrator password meeting AD's complexity rules."""
    return f"Pf-{secrets.token_urlsafe(18)}-a1A"


def _subprocess_env() -> dict[str, str]:
    """Return the environment for samba's (system) Python tools, without the caller's Python overrides."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}


def _executable(name: str) -> str:
    """Full path of a samba executable, also looking in the sbin directories a non-root PATH may lack."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin"])
    found = shutil.which(name, path=path)
    if found is None:
        raise RuntimeError(
            f"{name} not found; install the Debian packages samba samba-ad-dc samba-ad-provision python3-samba"
        )
    return found


def _port_open(port: int) -> bool:
    """Whether something accepts TCP connections on HOST:port."""
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def _check_ports_free() -> None:
    """Refuse to start while another server holds the LDAP ports (e.g. a leftover samba)."""
    busy = [port for port in (LDAP_PORT, LDAPS_PORT) if _port_open(port)]
    if busy:
        raise RuntimeError(f"{HOST} ports {busy} are already in use: is another Samba DC still running?")


def _provision(dc: SambaDC) -> None:
    """Run ``samba-tool domain provision`` into the workdir and adapt its smb.conf for tests."""
    command = [
        _executable("samba-tool"),
        "domain",
        "provision",
        f"--targetdir={dc.workdir}",
        f"--realm={REALM}",
        f"--domain={NETBIOS_DOMAIN}",
        "--server-role=dc",
        "--dns-backend=NONE",
        f"--adminpass={dc.admin_password}",
        f"--host-name={HOST_NAME}",
        "--option=interfaces=lo",
        "--option=bind interfaces only=yes",
    ]
    result = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_subprocess_env(),
        timeout=PROVISION_TIMEOUT,
        check=False,
    )
    output = result.stdout.decode(errors="replace")
    (dc.workdir / "provision.log").write_text(output)
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-_LOG_TAIL_LINES:])
        raise RuntimeError(f"samba-tool domain provision exited with {result.returncode}:\n{tail}")
    # Only the LDAP server is needed: no smbd/winbindd children, no Kerberos/RPC ports.  The pid file goes
    # into the workdir instead of /run/samba.
    extra = {
        "dsdb:schema update allowed": "true",
        "server services": "ldap",
        "pid directory": str(dc.workdir / "run"),
    }
    (dc.workdir / "run").mkdir()
    conf = dc.smb_conf.read_text()
    lines = [line for line in conf.splitlines() if line.split("=")[0].strip().lower() not in extra]
    at = lines.index("[global]") + 1
    lines[at:at] = [f"\t{key} = {value}" for key, value in extra.items()]
    dc.smb_conf.write_text("\n".join(lines) + "\n")


def _start(dc: SambaDC) -> None:
    """Start samba in the foreground (its output to ``log_file``) and wait until LDAPS accepts connections.

    samba's stdin stays an open pipe: in interactive mode samba exits when it is closed, so it cannot
    outlive this Python process.
    """
    dc._log = dc.log_file.open("wb")
    dc._process = subprocess.Popen(
        [_executable("samba"), "-s", str(dc.smb_conf), "-i", "-M", "single"],
        stdin=subprocess.PIPE,
        stdout=dc._log,
        stderr=subprocess.STDOUT,
        env=_subprocess_env(),
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not (dc.ca_file.exists() and _port_open(dc.ldaps_port)):
        if dc._process.poll() is not None:
            raise RuntimeError(f"samba exited with {dc._process.returncode} during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"samba did not answer on {dc.host}:{dc.ldaps_port} within {START_TIMEOUT:.0f} s")
        time.sleep(0.2)


def _extend_schema(dc: SambaDC) -> None:
    """Define the attributes of ``_SCHEMA_ATTRIBUTES`` and allow them on their object classes."""
    conn = dc.connection(raise_exceptions=True)
    try:
        existing = _existing_attributes(conn)
        for attribute in _SCHEMA_ATTRIBUTES:
            if attribute.name.lower() in existing:
                _check_definition(attribute, existing[attribute.name.lower()])
            elif attribute.oid_suffix is None:
                raise RuntimeError(f"the base schema lacks {attribute.name}")
            else:
                conn.add(f"CN={attribute.name},{SCHEMA_DN}", attributes=_attribute_schema_entry(attribute))
        _schema_update_now(conn)
        _allow_attributes(conn)
        _schema_update_now(conn)
        _add_classes(conn)
        missing = _missing_on_classes(_read_classes(conn))
        if missing:
            raise RuntimeError(f"schema still lacks {missing} after extending it")
    finally:
        conn.unbind()


def _add_classes(conn: ldap3.Connection) -> None:
    """Create the classes of ``_SCHEMA_CLASSES`` the schema lacks, then reload the schema."""
    existing = _read_classes(conn)
    for cls in _SCHEMA_CLASSES:
        if cls.name.lower() in existing:
            continue
        entry: dict[str, Any] = {
            "objectClass": ["top", "classSchema"],
            "lDAPDisplayName": cls.name,
            "governsID": f"{PRIVATE_CLASS_OID_ARC}.{cls.oid_suffix}",
            "subClassOf": "top",
            "objectClassCategory": 1,
            "rDNAttID": "cn",
            "possSuperiors": list(cls.superiors),
        }
        if cls.may_contain:
            entry["mayContain"] = list(cls.may_contain)
        conn.add(f"CN={cls.name},{SCHEMA_DN}", attributes=entry)
    _schema_update_now(conn)
    # Containers under a server object (its Protocols and InformationStore containers).
    container = _read_classes(conn)["container"].dn
    conn.search(container, "(objectClass=*)", ldap3.BASE, attributes=["possSuperiors"])
    if "msExchExchangeServer" not in conn.entries[0].entry_attributes_as_dict.get("possSuperiors", []):
        conn.modify(container, {"possSuperiors": [(ldap3.MODIFY_ADD, ["msExchExchangeServer"])]})
        _schema_update_now(conn)


def _existing_attributes(conn: ldap3.Connection) -> dict[str, dict[str, Any]]:
    """Definitions (syntax, single-valuedness) of those ``_SCHEMA_ATTRIBUTES`` the schema already has."""
    names = "".join(f"(lDAPDisplayName={attribute.name})" for attribute in _SCHEMA_ATTRIBUTES)
    conn.search(
        SCHEMA_DN,
        f"(&(objectClass=attributeSchema)(|{names}))",
        search_scope=ldap3.LEVEL,
        attributes=["lDAPDisplayName", "attributeSyntax", "oMSyntax", "isSingleValued"],
    )
    return {entry["lDAPDisplayName"].value.lower(): entry.entry_attributes_as_dict for entry in conn.entries}


def _check_definition(attribute: _Attribute, definition: dict[str, Any]) -> None:
    """Raise if an existing attribute's syntax or single-valuedness is not what AD has."""
    seen = (definition["attributeSyntax"][0], definition["oMSyntax"][0], definition["isSingleValued"][0])
    wanted = (attribute.syntax.attribute_syntax, attribute.syntax.om_syntax, attribute.single_valued)
    if seen != wanted:
        raise RuntimeError(f"{attribute.name} is defined as {seen}, expected {wanted}")


def _attribute_schema_entry(attribute: _Attribute) -> dict[str, Any]:
    """Return the attributeSchema object defining ``attribute``."""
    entry: dict[str, Any] = {
        "objectClass": ["top", "attributeSchema"],
        "lDAPDisplayName": attribute.name,
        "attributeID": f"{PRIVATE_OID_ARC}.{attribute.oid_suffix}",
        "attributeSyntax": attribute.syntax.attribute_syntax,
        "oMSyntax": attribute.syntax.om_syntax,
        "isSingleValued": attribute.single_valued,
    }
    if attribute.syntax.om_object_class is not None:
        entry["oMObjectClass"] = attribute.syntax.om_object_class
    if attribute.link_id is not None:
        entry["linkID"] = attribute.link_id
    return entry


def _schema_update_now(conn: ldap3.Connection) -> None:
    """Make the server reload its schema by writing schemaUpdateNow on the rootDSE.

    ``Connection.modify`` refuses the empty DN, so the request is built and sent by hand.
    """
    request = modify_operation("", {"schemaUpdateNow": [(ldap3.MODIFY_REPLACE, ["1"])]}, conn.auto_encode)
    conn.post_send_single_response(conn.send("modifyRequest", request, None))
    if conn.result["result"] != RESULT_SUCCESS:
        raise RuntimeError(f"schemaUpdateNow failed: {conn.result['description']}: {conn.result['message']}")


@dataclass
class _Class:
    """What a classSchema object contributes to the attributes its instances may carry."""

    dn: str
    parents: list[str]
    attributes: set[str]


def _read_classes(conn: ldap3.Connection) -> dict[str, _Class]:
    """All classSchema objects by lower-cased lDAPDisplayName."""
    inherited = ["subClassOf", "auxiliaryClass", "systemAuxiliaryClass"]
    allowed = ["mayContain", "systemMayContain", "mustContain", "systemMustContain"]
    conn.search(
        SCHEMA_DN,
        "(objectClass=classSchema)",
        search_scope=ldap3.LEVEL,
        attributes=["lDAPDisplayName", *inherited, *allowed],
    )
    classes = {}
    for entry in conn.entries:
        values = entry.entry_attributes_as_dict
        classes[entry["lDAPDisplayName"].value.lower()] = _Class(
            dn=entry.entry_dn,
            parents=[name.lower() for key in inherited for name in values.get(key, [])],
            attributes={name.lower() for key in allowed for name in values.get(key, [])},
        )
    return classes


def _allowed_on(classes: dict[str, _Class], name: str) -> set[str]:
    """Attributes (lower-cased) allowed on instances of class ``name``, through superclasses and auxiliaries."""
    allowed: set[str] = set()
    seen: set[str] = set()
    pending = [name.lower()]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        allowed |= classes[current].attributes
        pending.extend(classes[current].parents)
    return allowed


def _missing_on_classes(classes: dict[str, _Class]) -> dict[str, list[str]]:
    """For each class named in ``_SCHEMA_ATTRIBUTES``, the attributes it should but does not allow."""
    missing: dict[str, list[str]] = {}
    for attribute in _SCHEMA_ATTRIBUTES:
        for name in attribute.classes:
            if attribute.name.lower() not in _allowed_on(classes, name):
                missing.setdefault(name, []).append(attribute.name)
    return missing


def _allow_attributes(conn: ldap3.Connection) -> None:
    """Add every attribute a class should allow but does not to that class's mayContain."""
    classes = _read_classes(conn)
    for name, attributes in _missing_on_classes(classes).items():
        conn.modify(classes[name].dn, {"mayContain": [(ldap3.MODIFY_ADD, attributes)]})


def _smoke() -> None:
    """Start a DC, round-trip every attribute on a user, a contact and a group, check TLS rules, stop."""
    users = "CN=Users," + BASE_DN
    services = "CN=Services," + CONFIGURATION_DN
    org = f"CN=Contoso,CN=Microsoft Exchange,{services}"
    admin_group = "CN=Exchange Administrative Group (FYDIBOHF23SPDLT)"
    database = f"CN=DB01,CN=Databases,{admin_group},CN=Administrative Groups,{org}"
    dial_plan = f"CN=DP1,CN=UM DialPlan Container,{org}"
    um_template = f"CN=UMPolicy1,CN=UM Mailbox Policies,{org}"
    address_list = f"CN=Default Global Address List,CN=All Global Address Lists,CN=Address Lists Container,{org}"
    manager = f"CN=Mona Manager,{users}"
    delegate = f"CN=Dan Delegate,{users}"
    mailbox = f"CN=Ann Example,{users}"
    legacy_org = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"

    def mail_attributes(nickname: str, hidden: bool) -> dict[str, Any]:
        return {
            "displayName": nickname.title(),
            "mail": f"{nickname}@contoso.com",
            "proxyAddresses": [f"SMTP:{nickname}@contoso.com", f"smtp:{nickname}@contoso.mail.onmicrosoft.com"],
            "legacyExchangeDN": f"{legacy_org}/cn=Recipients/cn={nickname}",
            "showInAddressBook": [address_list],
            "mailNickname": nickname,
            "targetAddress": f"SMTP:{nickname}@contoso.mail.onmicrosoft.com",
            "homeMDB": database,
            "msExchHomeServerName": f"{legacy_org}/cn=Configuration/cn=Servers/cn=EX01",
            "msExchRecipientTypeDetails": 2147483648,
            "msExchRecipientDisplayType": -2147483642,
            "msExchHideFromAddressLists": hidden,
            "msExchUMEnabledFlags": 4,
            "msExchUMRecipientDialPlanLink": dial_plan,
            "msExchUMTemplateLink": um_template,
            "msExchDelegateListLink": [delegate, manager],
            "publicDelegates": [delegate],
            # S-1-5-10 (SELF), as on shared mailboxes.
            "msExchMasterAccountSid": b"\x01\x01\x00\x00\x00\x00\x00\x05\x0a\x00\x00\x00",
        }

    person = {"objectClass": "user", "userAccountControl": 514}
    fixtures = [
        *container_chain(database, services),
        *container_chain(dial_plan, org),
        *container_chain(um_template, org),
        *container_chain(address_list, org),
        (manager, person),
        (delegate, person),
    ]
    tested: dict[str, dict[str, Any]] = {
        mailbox: {
            "objectClass": "user",
            "userPrincipalName": "ann@contoso.com",
            "userAccountControl": 512,
            "givenName": "Ann",
            "sn": "Example",
            "manager": manager,
            **mail_attributes("ann", hidden=True),
            "proxyAddresses": ["SMTP:Someone@Contoso.com", "smtp:ann@contoso.com"],
        },
        f"CN=Carl Contact,{users}": {
            "objectClass": "contact",
            "givenName": "Carl",
            "sn": "Contact",
            "manager": manager,
            **mail_attributes("carl", hidden=False),
        },
        f"CN=Sales Team,{users}": {"objectClass": "group", **mail_attributes("sales", hidden=False)},
    }

    with start_samba_dc() as dc:
        started = time.monotonic()
        dc.add_objects([*fixtures, *tested.items()])
        dc.timings["add"] = time.monotonic() - started
        print(f"added {len(fixtures) + len(tested)} objects")

        conn = dc.connection()
        _check_round_trip(conn, tested)
        for search_filter in ("(msExchHideFromAddressLists=TRUE)", "(proxyAddresses=smtp:someone@contoso.com)"):
            conn.search(BASE_DN, search_filter, attributes=[ldap3.ALL_ATTRIBUTES])
            found = [entry.entry_dn for entry in conn.entries]
            if found != [mailbox]:
                raise AssertionError(f"{search_filter} found {found}")
            print(f"{search_filter} -> {found}")
        print(conn.entries[0])
        print("msExchMasterAccountSid:", format_sid(conn.entries[0]["msExchMasterAccountSid"].value))
        for dn, back_links in ((delegate, ["msExchDelegateListBL", "publicDelegatesBL"]), (database, ["homeMDBBL"])):
            conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=back_links)
            print(f"back links on {dn}: {conn.entries[0].entry_attributes_as_dict}")
        conn.unbind()
        _check_refusals(dc)

    if _port_open(LDAPS_PORT) or dc.workdir.exists():
        raise AssertionError("samba still listening or workdir left behind after stop()")
    print("stopped; timings (s):", {phase: round(seconds, 2) for phase, seconds in dc.timings.items()})


def _raw(value: Any) -> bytes:
    """How the server returns a value that was sent as ``value``."""
    if isinstance(value, bool):
        return b"TRUE" if value else b"FALSE"
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _check_round_trip(conn: ldap3.Connection, tested: Mapping[str, Mapping[str, Any]]) -> None:
    """Read every entry of ``tested`` back and compare each value with what was sent."""
    for dn, attributes in tested.items():
        names = [name for name in attributes if name != "objectClass"]
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=names)
        entry = conn.entries[0]
        for name in names:
            sent = attributes[name]
            expected = {_raw(value) for value in (sent if isinstance(sent, list) else [sent])}
            if set(entry[name].raw_values) != expected:
                raise AssertionError(f"{dn} {name}: sent {expected}, read {entry[name].raw_values}")
    print(f"round trip OK: {sum(len(attributes) - 1 for attributes in tested.values())} attributes")


def _check_refusals(dc: SambaDC) -> None:
    """Check that the DC refuses a plain-text simple bind and LDAPS clients that cannot verify it."""
    plain = ldap3.Connection(
        ldap3.Server(dc.host, port=dc.ldap_port, get_info=ldap3.NONE), user=dc.admin_upn, password=dc.admin_password
    )
    if plain.bind():
        raise AssertionError("simple bind without TLS was accepted")
    print(
        f"simple bind on {dc.ldap_port} without TLS refused: {plain.result['description']}: {plain.result['message']}"
    )
    plain.unbind()

    paths = ssl.get_default_verify_paths()
    unrelated_ca = next(path for path in (paths.cafile, paths.openssl_cafile) if path and os.path.exists(path))
    for label, tls in (
        (f"unrelated CA file {unrelated_ca}", ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=unrelated_ca)),
        ("right CA file, no valid_names", ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(dc.ca_file))),
    ):
        server = ldap3.Server(dc.host, port=dc.ldaps_port, use_ssl=True, tls=tls, get_info=ldap3.NONE)
        try:
            ldap3.Connection(server, user=dc.admin_upn, password=dc.admin_password, auto_bind=True)
        except LDAPSocketOpenError as exc:
            print(f"LDAPS with {label} refused: {exc}")
        else:
            raise AssertionError(f"LDAPS with {label} was accepted")


if __name__ == "__main__":
    _smoke()
