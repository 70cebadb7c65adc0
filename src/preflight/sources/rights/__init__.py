"""The migration account's rights: security descriptors, group membership and account state.

A staged migration opens every batch mailbox as ``--migration-account`` and writes each user's
``targetAddress``. This source reads what decides whether it can, from the directory the run
already reads (:func:`rights_reader` picks the reader):

live AD (:mod:`.live`)
    the account's ``tokenGroups`` (every group it is in, nested ones and the primary group, as
    the DC computes them); the batch users' ``msExchMailboxSecurityDescriptor`` and
    ``nTSecurityDescriptor`` read with the LDAP_SERVER_SD_FLAGS control asking for the DACL
    only (an ordinary account may read it; owner, group and SACL need more), ``chunk_size``
    users per search; the SIDs found in mailbox ACEs looked up in one batched search; the
    ``targetAddress`` schema object; ``CN=AdminSDHolder``'s DACL.
ldifde LDIF export (:mod:`.export`)
    the same attributes from the file (base64 values), group membership by following
    ``memberOf`` from group to group to its end, plus the primary group (``primaryGroupID``).

Descriptors are decoded by `winacl <https://github.com/skelsec/winacl>`_ (MS-DTYP
``SECURITY_DESCRIPTOR``, all ACE types) into :class:`Ace` tuples; identical descriptors (AD
stores one copy of each) are decoded once. Deciding access from them is the checks' work
(:mod:`preflight.checks.endpoint.access`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from ...registry import Missing

#: LDAP_SERVER_SD_FLAGS value asking for the DACL only (DACL_SECURITY_INFORMATION).
DACL_ONLY = 4
#: SIDs every logged-on account's token holds besides its groups: Everyone, Authenticated Users.
WELL_KNOWN_TOKEN = frozenset({"S-1-1-0", "S-1-5-11"})
#: SELF (PRINCIPAL_SELF): stands for the object's own account in that object's ACEs.
SELF = "S-1-5-10"

#: The attributes read from each batch user.
USER_ATTRIBUTES = ("objectSid", "msExchMailboxSecurityDescriptor", "nTSecurityDescriptor", "adminCount",
                   "msExchMasterAccountSid")
#: The attributes read from the migration account (the computed ones from a live DC only).
ACCOUNT_ATTRIBUTES = ("objectSid", "sAMAccountName", "userPrincipalName", "userAccountControl", "lockoutTime",
                      "pwdLastSet", "accountExpires", "adminCount", "primaryGroupID", "memberOf",
                      "msDS-User-Account-Control-Computed", "msDS-UserPasswordExpiryTimeComputed")

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_NEVER = (0, 0x7FFFFFFFFFFFFFFF)
UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_DONT_EXPIRE_PASSWD = 0x10000


class Ace(NamedTuple):
    """One access control entry of a DACL, as the access check reads it (a tuple: thousands are
    made per batch).

    Attributes:
        allow: an access-allowed ACE (else access-denied).
        mask: the access mask (rights bits).
        sid: the trustee, ``S-1-…``.
        object_type: the object ACE's ObjectType GUID (lower case; an extended right, a
            property or a property set), or None when the ACE applies to every one.
        inherited: the ACE came from a parent (INHERITED_ACE).
        inherit_only: the ACE does not apply to this object, only to its children.
    """

    allow: bool
    mask: int
    sid: str
    object_type: str | None = None
    inherited: bool = False
    inherit_only: bool = False


#: ACE types kept: access allowed, denied, allowed-object, denied-object (MS-DTYP 2.4.4.1).
_KEPT_TYPES = frozenset({0, 1, 5, 6})
#: A decoded DACL: its ACEs in order; None is a NULL DACL (no DACL: everyone has every right).
Dacl = tuple[Ace, ...] | None


class UndecodableDescriptor(ValueError):
    """A security descriptor value that winacl cannot parse (a truncated or corrupt value)."""


@functools.lru_cache(maxsize=65536)
def decode_dacl(blob: bytes) -> Dacl:
    """The DACL of a self-relative security descriptor (MS-DTYP 2.4.6), decoded by winacl.

    Access-allowed/denied ACEs and their object variants are kept; audit, alarm and callback
    ACEs (which grant nothing) are dropped.

    Raises:
        UndecodableDescriptor: not a security descriptor.
    """
    from winacl.dtyp.security_descriptor import SECURITY_DESCRIPTOR

    try:
        sd = SECURITY_DESCRIPTOR.from_bytes(blob)
    except Exception as exc:  # noqa: BLE001 - winacl raises whatever its reads hit on bad bytes
        raise UndecodableDescriptor(f"not a security descriptor ({type(exc).__name__})") from None
    # winacl reads past the end as zeros: a cut or garbage value must not read as an empty DACL
    if len(blob) < 20 or sd.Revision != 1:
        raise UndecodableDescriptor(f"not a security descriptor (revision {sd.Revision}, {len(blob)} bytes)")
    if sd.Dacl is None:
        return None
    acl = sd.Dacl
    if acl.AclRevision not in (2, 4) or len(acl.aces) != acl.AceCount or \
            sum(a.AceSize for a in acl.aces) != acl.AclSize - 8 or any(a.AceSize < 16 for a in acl.aces):
        raise UndecodableDescriptor(f"its DACL is cut short or malformed ({len(blob)} bytes)")
    out = []
    for ace in sd.Dacl.aces:
        kind = ace.AceType.value
        if kind not in _KEPT_TYPES:  # audit, alarm and callback ACEs grant nothing
            continue
        flags = int(ace.AceFlags)
        object_type = ace.ObjectType if kind > 1 else None
        out.append(Ace(kind in (0, 5), ace.Mask, str(ace.Sid), str(object_type).lower() if object_type else None,
                       bool(flags & 0x10), bool(flags & 0x08)))
    return tuple(out)


def sid_text(value: bytes) -> str:
    """A binary SID (``objectSid``, ``tokenGroups`` values) as ``S-1-…``, by winacl.

    Raises:
        ValueError: not a SID.
    """
    from winacl.dtyp.sid import SID

    value = bytes(value)
    if len(value) < 8 or value[0] != 1 or len(value) != 8 + 4 * value[1]:  # revision 1, its sub-authority count
        raise ValueError("not a binary SID")
    return str(SID.from_bytes(value))


def sid_bytes(text: str) -> bytes:
    """``S-1-…`` as the binary SID AD stores (for search filters), by winacl."""
    from winacl.dtyp.sid import SID

    return bytes(SID.from_string(text).to_bytes())


def domain_of(sid: str) -> str | None:
    """The domain part of an account SID (``S-1-5-21-a-b-c``), or None for a well-known SID."""
    parts = sid.split("-")
    return "-".join(parts[:7]) if len(parts) == 8 and parts[:4] == ["S", "1", "5", "21"] else None


def guid_text(value: bytes) -> str:
    """A binary GUID (``schemaIDGUID``) as its lower-case string form."""
    import uuid

    return str(uuid.UUID(bytes_le=bytes(value)))


def filetime(value: int) -> datetime | None:
    """A FILETIME (100 ns since 1601) as UTC; None for 0 and "never" (0x7FFF…)."""
    if value in _NEVER or value < 0:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=value // 10)


@dataclass(frozen=True)
class Account:
    """The migration account and what decides whether it lasts the migration (E-09).

    Attributes:
        name: as given (``--migration-account``).
        dn, sid: the account found.
        token: its SIDs (its own, every group's, Everyone, Authenticated Users), or None when
            the membership could not be followed to its end (``token_error`` says why).
        disabled, locked: the account state (``locked`` None: unknown).
        must_change: ``pwdLastSet`` is 0 (the password must be changed at the next logon).
        password_expires: when the password expires (None: never, or unknown: see
            ``password_unknown``).
        account_expires: ``accountExpires`` (None: never).
    """

    name: str
    dn: str
    sid: str
    token: frozenset[str] | None
    token_error: str | None = None
    disabled: bool = False
    locked: bool | None = False
    must_change: bool = False
    password_expires: datetime | None = None
    password_unknown: str | None = None
    account_expires: datetime | None = None


@dataclass(frozen=True)
class UserRights:
    """One batch user's descriptors.

    Attributes:
        dn, sid: the user.
        mailbox: the DACL of ``msExchMailboxSecurityDescriptor`` (None with ``has_mailbox_sd``
            False: the user has none).
        user: the DACL of ``nTSecurityDescriptor``.
        errors: attribute -> why its value could not be decoded.
        admin_count: ``adminCount`` (1: protected by AdminSDHolder).
        master_sid: ``msExchMasterAccountSid`` (a linked mailbox's account in another forest).
    """

    dn: str
    sid: str | None
    mailbox: Dacl = None
    has_mailbox_sd: bool = False
    user: Dacl = None
    has_user_sd: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    admin_count: int = 0
    master_sid: str | None = None


@dataclass
class Rights:
    """What the rights checks read (the ``migration_rights`` data).

    Attributes:
        account: the migration account.
        users: batch user DN (case-folded) -> :class:`UserRights`.
        unknown: part -> why the source does not hold it (``"mailbox_sd"``, ``"user_sd"``,
            ``"schema"``, ``"sids"``); its checks are skipped with the reason.
        target_address_guids: ``targetAddress``'s schemaIDGUID and its property set
            (attributeSecurityGUID), lower case.
        admin_sd_holder: the DACL of ``CN=AdminSDHolder,CN=System`` (None: not read).
        existing_sids: the SIDs looked up that name an object.
        looked_up_domains: the domain SIDs whose accounts were looked up (a SID of another
            domain cannot be told deleted).
        searches: LDAP searches sent (live), for the benchmark.
    """

    account: Account
    users: dict[str, UserRights]
    unknown: dict[str, str] = field(default_factory=dict)
    target_address_guids: frozenset[str] = frozenset()
    admin_sd_holder: Dacl = None
    has_admin_sd_holder: bool = False
    existing_sids: frozenset[str] = frozenset()
    looked_up_domains: frozenset[str] = frozenset()
    description: dict[str, Any] = field(default_factory=dict)

    def require(self, *parts: str) -> None:
        """Raise :class:`~preflight.registry.Missing` with the reason when a part is unknown."""
        for part in parts:
            if part in self.unknown:
                raise Missing(self.unknown[part])

    def describe(self) -> dict[str, Any]:
        return {"kind": "migration-rights", "account": self.account.name, "users": len(self.users),
                **self.description}


def account_state(name: str, dn: str, sid: str, token: frozenset[str] | None, token_error: str | None,
                  values: dict[str, int], *, policy: dict[str, int] | None = None,
                  now: datetime | None = None) -> Account:
    """An :class:`Account` from the account's integer attributes (``userAccountControl``,
    ``lockoutTime``, ``pwdLastSet``, ``accountExpires``, and from a live DC the computed
    ``msDS-User-Account-Control-Computed`` and ``msDS-UserPasswordExpiryTimeComputed``).

    Without the computed values (an export), the password expiry is ``pwdLastSet`` plus the
    domain's ``maxPwdAge`` and a lockout lasts ``lockoutDuration`` (``policy``: the domain
    object's values); a fine-grained password policy is then not seen (the reason says so).
    """
    now = now or datetime.now(timezone.utc)
    lower = {k.casefold(): v for k, v in values.items()}
    uac = lower.get("useraccountcontrol", 0)
    computed_uac = lower.get("msds-user-account-control-computed")
    pwd_last_set = lower.get("pwdlastset")
    must_change = pwd_last_set == 0 and not uac & UF_DONT_EXPIRE_PASSWD
    policy = {k.casefold(): v for k, v in (policy or {}).items()}
    locked: bool | None
    if computed_uac is not None:
        locked = bool(computed_uac & UF_LOCKOUT)
    else:
        lockout = lower.get("lockouttime", 0)
        if not lockout:
            locked = False
        elif "lockoutduration" in policy:
            duration = policy["lockoutduration"]
            start = filetime(lockout)
            locked = start is None or duration == -0x8000000000000000 or (
                start + timedelta(microseconds=-duration // 10) > now)
        else:
            locked = True
    expires: datetime | None = None
    unknown: str | None = None
    if uac & UF_DONT_EXPIRE_PASSWD:
        pass
    elif "msds-userpasswordexpirytimecomputed" in lower:
        computed = lower["msds-userpasswordexpirytimecomputed"]
        expires = filetime(computed) if computed else _FILETIME_EPOCH
    elif pwd_last_set and "maxpwdage" in policy:
        max_age = policy["maxpwdage"]
        if max_age not in (0, -0x8000000000000000):
            set_at = filetime(pwd_last_set)
            expires = set_at + timedelta(microseconds=-max_age // 10) if set_at else None
    elif pwd_last_set:
        unknown = ("the password expiry is unknown: the export has neither msDS-UserPasswordExpiryTimeComputed "
                   "nor the domain object's maxPwdAge (add them to the ldifde command)")
    return Account(name=name, dn=dn, sid=sid, token=token, token_error=token_error,
                   disabled=bool(uac & UF_ACCOUNTDISABLE), locked=locked, must_change=must_change,
                   password_expires=expires, password_unknown=unknown,
                   account_expires=filetime(lower.get("accountexpires", 0)))


def rights_reader(directory: Any) -> Any:
    """The reader of rights data for ``directory``: :class:`.live.LiveRights` for an LdapSource,
    :class:`.export.ExportRights` for an LDIF export.

    Raises:
        Missing: a CSV export (csvde, Get-ADObject) or another source: they carry no security
            descriptors the rights checks can read.
    """
    from ..directory.ldap import LdapSource

    if isinstance(directory, LdapSource):
        from .live import LiveRights

        return LiveRights(directory)
    describe = directory.describe() if hasattr(directory, "describe") else {}
    if describe.get("format") == "ldif" and describe.get("path"):
        from .export import ExportRights

        return ExportRights(describe["path"])
    raise Missing(f"the directory source ({describe.get('format') or type(directory).__name__}) carries no security "
                  "descriptors: give a live DC (--directory ldaps://…) or an ldifde LDIF export with the rights "
                  "attributes (README: Migration account rights)")
