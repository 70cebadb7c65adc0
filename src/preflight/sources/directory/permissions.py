"""Delegated permissions on mailboxes, from their security descriptors: :class:`MailboxPermissions`.

Two descriptors on the mailbox's user object, parsed with winacl (a maintained pure-Python
MS-DTYP implementation; never by hand):

``msExchMailboxSecurityDescriptor``
    the mailbox's own rights: FullAccess is mask bit ``0x1``, SendAs ``0x2`` (exchange-facts.md §1).
``nTSecurityDescriptor``
    the user object's ACL: Send As is an allowed object ACE with the control-access right
    (``0x100``) and object type ``ab721a54-1e2f-11d0-9819-00aa0040529b`` (the Send-As extended right).

Only explicit grants to someone else count: inherited ACEs (rights given on the store, server or
organization), deny ACEs, SELF (S-1-5-10), the mailbox's own SID and well-known or built-in
principals (SYSTEM, BUILTIN\\…) are left out. Each grant names its trustee by SID and, where the
directory resolves it, by address or DN.

Read live (an LdapSource's ``search_entries``; AD returns ``nTSecurityDescriptor`` to an account
allowed to read it) or from the user export when it holds the attributes (ldifde/csvde ``-l`` with
``msExchMailboxSecurityDescriptor,nTSecurityDescriptor,objectSid``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...registry import Missing, SourceError

MAILBOX_SD = "msExchMailboxSecurityDescriptor"
NT_SD = "nTSecurityDescriptor"
#: Mailbox-rights mask bits of msExchMailboxSecurityDescriptor.
FULL_ACCESS = 0x1
SEND_AS_MAILBOX_RIGHT = 0x2
#: The Send-As extended right and ADS_RIGHT_DS_CONTROL_ACCESS.
SEND_AS_GUID = "ab721a54-1e2f-11d0-9819-00aa0040529b"
CONTROL_ACCESS = 0x100
SELF = "S-1-5-10"
#: Attributes read per mailbox.
ATTRIBUTES = (MAILBOX_SD, NT_SD, "objectSid")


@dataclass(frozen=True)
class Grant:
    """One explicit grant: ``right`` is ``"FullAccess"`` or ``"SendAs"``, ``sid`` the trustee's SID,
    ``attribute`` the descriptor it was found in."""

    right: str
    sid: str
    attribute: str


@dataclass(frozen=True)
class MailboxPermissions:
    """The explicit grants on each batch mailbox.

    Attributes:
        grants: mailbox DN (case-folded) -> its grants (no entry: none).
        names: trustee SID -> a name for it (its mail, else its DN); a SID the directory does not
            resolve is absent.
        read: which of ``msExchMailboxSecurityDescriptor`` / ``nTSecurityDescriptor`` the source
            could give (a check needing one that was not read is skipped).
        source: where they came from, for messages.
    """

    grants: dict[str, tuple[Grant, ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    read: frozenset[str] = frozenset()
    source: str = ""

    def require(self, attribute: str) -> None:
        if attribute not in self.read:
            raise Missing(f"{attribute} was not read from {self.source}: live, the account must be allowed to read it; "
                          f"from an export, add {attribute} and objectSid to its attribute list (README: The Exchange "
                          "organization)")

    def name(self, sid: str) -> str:
        return self.names.get(sid, sid)


def sid_string(value: bytes | str) -> str:
    """A binary SID as ``S-1-…`` (text is returned as it is)."""
    if isinstance(value, str):
        return value
    from winacl.dtyp.sid import SID

    return str(SID.from_bytes(value))


def _ignored(sid: str, own: str | None) -> bool:
    if sid in (SELF, own):
        return True
    parts = sid.split("-")
    # well-known (S-1-0…S-1-3, S-1-5-18/19/20/…), built-in (S-1-5-32-…); domain principals are S-1-5-21-…
    return not (len(parts) > 3 and parts[2] == "5" and parts[3] == "21")


def grants_of(mailbox_sd: bytes | None, nt_sd: bytes | None, own_sid: str | None = None) -> list[Grant]:
    """The explicit FullAccess and Send As grants in a mailbox's two descriptors (either may be None).

    Raises:
        ValueError: a descriptor that does not parse (the message says which).
    """
    from ..rights import UndecodableDescriptor, decode_dacl

    out: list[Grant] = []
    for attribute, data in ((MAILBOX_SD, mailbox_sd), (NT_SD, nt_sd)):
        if not data:
            continue
        try:
            aces = decode_dacl(bytes(data)) or ()
        except UndecodableDescriptor as exc:  # a cut or garbage descriptor is never "no grants"
            raise ValueError(f"{attribute} is not a valid security descriptor: {exc}") from None
        for ace in aces:
            if ace.inherited or not ace.allow or _ignored(ace.sid, own_sid):
                continue
            if attribute == MAILBOX_SD and ace.object_type is None:
                if ace.mask & FULL_ACCESS:
                    out.append(Grant("FullAccess", ace.sid, attribute))
                if ace.mask & SEND_AS_MAILBOX_RIGHT:
                    out.append(Grant("SendAs", ace.sid, attribute))
            elif attribute == NT_SD and ace.mask & CONTROL_ACCESS and ace.object_type == SEND_AS_GUID:
                out.append(Grant("SendAs", ace.sid, attribute))
    return list(dict.fromkeys(out))


def _build(objects: dict[str, dict[str, Any]], dns: Iterable[str], names: dict[str, str], read: set[str],
           source: str) -> MailboxPermissions:
    grants: dict[str, tuple[Grant, ...]] = {}
    for dn in dns:
        obj = objects.get(dn.casefold())
        if not obj:
            continue
        own = sid_string(obj["objectsid"]) if obj.get("objectsid") else None
        try:
            found = grants_of(obj.get(MAILBOX_SD.casefold()), obj.get(NT_SD.casefold()), own)
        except ValueError as exc:
            raise SourceError(f"{source}: {dn}: {exc}") from None
        if found:
            grants[dn.casefold()] = tuple(found)
    return MailboxPermissions(grants, names, frozenset(read), source)


def read_live(source: Any, dns: list[str]) -> MailboxPermissions:
    """The grants on the mailboxes ``dns`` from a live directory (``search_entries``, ``base_dns``,
    ``root_dse_values``): one batched search for the descriptors, one for the trustees' names."""
    from ldap3.utils.conv import escape_filter_chars

    objects: dict[str, dict[str, Any]] = {}
    bases = source.base_dns()
    for i in range(0, len(dns), 100):
        clause = "".join(f"(distinguishedName={escape_filter_chars(d)})" for d in dns[i:i + 100])
        for base in bases:
            # the DACL only (SD-flags 4): all an account without SeSecurityPrivilege may read
            for dn, raw in source.search_entries(base, f"(|{clause})", ATTRIBUTES, sd_flags=4):
                objects[dn.casefold()] = {k.split(";", 1)[0].casefold(): v[0] for k, v in raw.items() if v}
    read = {MAILBOX_SD}
    if any(NT_SD.casefold() in o for o in objects.values()):
        read.add(NT_SD)
    where = getattr(source, "url", "the directory")
    perms = _build(objects, dns, {}, read, where)
    sids = sorted({g.sid for gs in perms.grants.values() for g in gs})
    names: dict[str, str] = {}
    domain = next(iter(source.root_dse_values("defaultNamingContext")), "")
    for i in range(0, len(sids), 100):
        clause = "".join(f"(objectSid={s})" for s in sids[i:i + 100])
        for dn, raw in source.search_entries(domain, f"(|{clause})", ("objectSid", "mail")):
            values = {k.casefold(): v for k, v in raw.items() if v}
            if values.get("objectsid"):
                mail = values.get("mail")
                names[sid_string(values["objectsid"][0])] = mail[0].decode("utf-8", "replace") if mail else dn
    return MailboxPermissions(perms.grants, names, perms.read, where)


def _holds(path: Path, attribute: str) -> bool:
    """Whether the export holds ``attribute``: a csvde header field, or in LDIF a line of it in
    any entry (a regular-expression scan of the whole file; LDIF names an attribute only on the
    entries that have it)."""
    import csv
    import re

    from .configuration import decoded_text

    text = decoded_text(path)
    first = text.split("\n", 1)[0].strip().casefold()
    if first.startswith(("dn,", '"dn"')):
        return attribute.casefold() in [f.strip().casefold() for f in next(csv.reader([first]))]
    return re.search(rf"^{re.escape(attribute)}(;[^:]*)?::? ?", text, re.MULTILINE | re.IGNORECASE) is not None


def read_export(path: str | os.PathLike[str], dns: list[str]) -> MailboxPermissions:
    """The grants on the mailboxes ``dns`` from a user export (LDIF or csvde) that holds the
    descriptor attributes; trustees named from the same export's ``objectSid``. An export that names
    neither attribute in its first 64 KiB is not parsed again.

    Raises:
        SourceError: unreadable, malformed, or a descriptor that does not parse.
    """
    from .configuration import read_entries

    p = Path(path)
    read = {a for a in (MAILBOX_SD, NT_SD) if _holds(p, a)}
    if not read:
        return MailboxPermissions(read=frozenset(), source=p.name)
    objects: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for e in read_entries(p):
        sid = e.values.get("objectsid")
        if sid:
            names[sid_string(sid[0])] = e.first("mail") or e.dn
        objects[e.dn.casefold()] = {k: v[0] for k, v in e.values.items() if v}
    perms = _build(objects, dns, names, read, p.name)
    return perms
