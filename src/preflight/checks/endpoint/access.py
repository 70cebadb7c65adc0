"""The access check the rights checks (PF540-PF545) make on decoded DACLs.

As Windows does (MS-DTYP 2.5.3.2 ``AccessCheck``; MS-ADTS 5.1.3.3 for object ACEs): the ACEs
are read in DACL order, and the first one that applies to the account (its SID is in the
account's token) and speaks of the asked right decides: an allow grants it, a deny refuses it.
In a canonical DACL (every DACL Windows and Exchange write) that order is explicit deny,
explicit allow, inherited deny, inherited allow: a deny wins over an allow of the same kind,
an explicit allow over an inherited deny. Inherit-only ACEs apply to children only and are
passed over. A NULL DACL grants everything; an empty one nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...sources.rights import SELF, Ace, Dacl

#: Mailbox right FullAccess in msExchMailboxSecurityDescriptor (exchange-facts §1).
FULL_ACCESS = 0x1
#: ADS_RIGHT_DS_CONTROL_ACCESS (extended rights) and ADS_RIGHT_DS_WRITE_PROP.
CONTROL_ACCESS = 0x100
WRITE_PROPERTY = 0x20
GENERIC_ALL = 0x10000000
GENERIC_WRITE = 0x40000000
#: Receive-As extended right (rightsGuid, exchange-facts §1).
RECEIVE_AS = "ab721a56-1e2f-11d0-9819-00aa0040529b"


@dataclass(frozen=True)
class Decision:
    """Whether the right is granted, and the ACE that decided (None: no ACE spoke of it)."""

    granted: bool
    ace: Ace | None = None

    def because(self) -> str:
        """The deciding ACE in words, for messages."""
        if self.ace is None:
            return "no ACE grants it to the account or a group it is in"
        how = "denied" if not self.ace.allow else "granted"
        origin = "inherited" if self.ace.inherited else "explicit"
        return f"{how} by an {origin} ACE for {self.ace.sid}"


def check(dacl: Dacl, token: frozenset[str], bits: int, object_types: frozenset[str] = frozenset()) -> Decision:
    """Whether ``dacl`` grants the rights ``bits`` to an account whose token is ``token``.

    Args:
        dacl: the decoded DACL (None: a NULL DACL, granting everything).
        token: the account's SIDs (its own, its groups', well-known ones; ``S-1-5-10`` SELF when the
            descriptor is the account's own object).
        bits: the rights asked (any one of them granted in an ACE counts; generic rights count too).
        object_types: for object-specific rights, the GUIDs (lower case) an object ACE must name to
            apply (an extended right, a property and its property set); an object ACE naming another
            is passed over. Empty: object ACEs apply only when they name no GUID.
    """
    if dacl is None:
        return Decision(True)
    wanted = bits | GENERIC_ALL | (GENERIC_WRITE if bits & WRITE_PROPERTY else 0)
    for ace in dacl:
        if ace.inherit_only or ace.sid not in token or not ace.mask & wanted:
            continue
        if ace.object_type is not None and ace.object_type not in object_types:
            continue
        return Decision(ace.allow, ace)
    return Decision(False)


def with_self(token: frozenset[str], account_dn: str, object_dn: str) -> frozenset[str]:
    """``token`` plus SELF when the descriptor is the account's own object."""
    return token | {SELF} if account_dn.casefold() == object_dn.casefold() else token
