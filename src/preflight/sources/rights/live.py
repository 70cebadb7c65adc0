"""Rights data from a live DC, through :meth:`LdapSource.search_entries
<preflight.sources.directory.ldap.LdapSource.search_entries>` (its connection, TLS and paging).

Searches, for any batch size: the rootDSE; the account (one search) and its ``tokenGroups``
(one base read); the users, ``chunk_size`` DNs per OR-filter with the SD-flags control (DACL
only); the SIDs of the mailbox ACEs, ``chunk_size`` per OR-filter; the domain objects' SIDs;
the ``targetAddress`` schema object; ``CN=AdminSDHolder``. A 2,000-row batch takes about 35.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from ...registry import SourceError
from . import (
    ACCOUNT_ATTRIBUTES,
    DACL_ONLY,
    USER_ATTRIBUTES,
    WELL_KNOWN_TOKEN,
    Rights,
    UndecodableDescriptor,
    UserRights,
    account_state,
    decode_dacl,
    domain_of,
    guid_text,
    sid_bytes,
    sid_text,
)


def _first(raw: dict[str, list[bytes]], name: str) -> bytes | None:
    for key, values in raw.items():
        if key.split(";", 1)[0].casefold() == name.casefold() and values:
            return values[0]
    return None


def _all(raw: dict[str, list[bytes]], name: str) -> list[bytes]:
    return [v for key, values in raw.items() if key.split(";", 1)[0].casefold() == name.casefold() for v in values]


def _int(raw: dict[str, list[bytes]], name: str) -> int | None:
    value = _first(raw, name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def user_rights(dn: str, raw: dict[str, list[bytes]]) -> UserRights:
    """One user's :class:`UserRights` from the raw attribute values (shared with the export reader)."""
    errors: dict[str, str] = {}
    dacls: dict[str, Any] = {}
    for attribute in ("msExchMailboxSecurityDescriptor", "nTSecurityDescriptor"):
        blob = _first(raw, attribute)
        if blob is None:
            continue
        try:
            dacls[attribute] = decode_dacl(bytes(blob))
        except UndecodableDescriptor as exc:
            errors[attribute] = str(exc)
    sid = _first(raw, "objectSid")
    master = _first(raw, "msExchMasterAccountSid")
    try:
        master_sid = sid_text(bytes(master)) if master else None
    except ValueError:
        master_sid = None
    return UserRights(dn=dn, sid=sid_text(bytes(sid)) if sid else None,
                      mailbox=dacls.get("msExchMailboxSecurityDescriptor"),
                      has_mailbox_sd="msExchMailboxSecurityDescriptor" in dacls,
                      user=dacls.get("nTSecurityDescriptor"), has_user_sd="nTSecurityDescriptor" in dacls,
                      errors=errors, admin_count=_int(raw, "adminCount") or 0, master_sid=master_sid)


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class LiveRights:
    """Reads :class:`~preflight.sources.rights.Rights` from a live DC (see the module docstring)."""

    def __init__(self, source: Any):
        self.source = source

    def _search(self, base: str, search_filter: str, attributes: Iterable[str], **kw: Any):
        return list(self.source.search_entries(base, search_filter, list(attributes), **kw))

    def read(self, account_name: str, user_dns: Iterable[str]) -> Rights:
        """The rights data of ``account_name`` (UPN or ``DOMAIN\\name``) over the users ``user_dns``.

        Raises:
            SourceError: the directory fails, or no (or more than one) account has that name.
        """
        from ldap3.utils.conv import escape_filter_chars

        schema_nc = next(iter(self.source.root_dse_values("schemaNamingContext")), "")
        bases = self.source.base_dns()
        account = self._account(account_name, bases, escape_filter_chars)

        users: dict[str, UserRights] = {}
        wanted = list(dict.fromkeys(user_dns))
        for chunk in _chunks(wanted, self.source.chunk_size):
            search_filter = "(|" + "".join(f"(distinguishedName={escape_filter_chars(d)})" for d in chunk) + ")"
            for base in bases:
                for dn, raw in self._search(base, search_filter, USER_ATTRIBUTES, sd_flags=DACL_ONLY):
                    users.setdefault(dn.casefold(), user_rights(dn, raw))

        domains = set()
        for base in bases:
            for _, raw in self._search(base, "(objectClass=*)", ["objectSid"], scope="base"):
                sid = _first(raw, "objectSid")
                if sid:
                    domains.add(sid_text(bytes(sid)))
        sids = sorted({ace.sid for u in users.values() for ace in (u.mailbox or ())
                       if domain_of(ace.sid) in domains})
        existing: set[str] = set()
        for chunk in _chunks(sids, self.source.chunk_size):
            search_filter = "(|" + "".join(f"(objectSid={escape_filter_chars(sid_bytes(s))})" for s in chunk) + ")"
            for base in bases:
                for _, raw in self._search(base, search_filter, ["objectSid"]):
                    existing.update(sid_text(bytes(v)) for v in _all(raw, "objectSid"))

        rights = Rights(account=account, users=users, existing_sids=frozenset(existing),
                        looked_up_domains=frozenset(domains),
                        description={"format": "ldap", "source": self.source.url})
        guids: set[str] = set()
        if schema_nc:
            for _, raw in self._search(schema_nc, "(&(objectClass=attributeSchema)(lDAPDisplayName=targetAddress))",
                                       ["schemaIDGUID", "attributeSecurityGUID"]):
                guids.update(guid_text(bytes(v)) for a in ("schemaIDGUID", "attributeSecurityGUID")
                             for v in _all(raw, a))
        if guids:
            rights.target_address_guids = frozenset(guids)
        else:
            rights.unknown["schema"] = "the schema has no targetAddress attribute (is the Exchange schema extension installed?)"
        holder = f"CN=AdminSDHolder,CN=System,{bases[0]}"
        try:
            found = self._search(holder, "(objectClass=*)", ["nTSecurityDescriptor"], scope="base", sd_flags=DACL_ONLY)
        except SourceError:
            found = []
        blob = _first(found[0][1], "nTSecurityDescriptor") if found else None
        if blob is not None:
            with contextlib.suppress(UndecodableDescriptor):
                rights.admin_sd_holder, rights.has_admin_sd_holder = decode_dacl(bytes(blob)), True
        return rights

    def _account(self, name: str, bases: list[str], escape: Any):
        upn, sam = _account_filter(name)
        clause = f"(userPrincipalName={escape(upn)})" if upn else f"(sAMAccountName={escape(sam)})"
        hits: dict[str, tuple[str, dict[str, list[bytes]]]] = {}
        for base in bases:
            for dn, raw in self._search(base, f"(&(objectClass=user){clause})", ACCOUNT_ATTRIBUTES):
                hits.setdefault(dn.casefold(), (dn, raw))
        if len(hits) != 1:
            raise SourceError(f"migration account {name}: {'no' if not hits else len(hits)} user object(s) with "
                              f"{'userPrincipalName ' + upn if upn else 'sAMAccountName ' + str(sam)} in "
                              f"{', '.join(bases)}")
        dn, raw = next(iter(hits.values()))
        sid = sid_text(bytes(_first(raw, "objectSid") or b""))
        token_raw = self._search(dn, "(objectClass=*)", ["tokenGroups"], scope="base")
        groups = {sid_text(bytes(v)) for _, r in token_raw for v in _all(r, "tokenGroups")}
        values = {a: v for a in ACCOUNT_ATTRIBUTES if (v := _int(raw, a)) is not None}
        return account_state(name, dn, sid, frozenset({sid, *groups, *WELL_KNOWN_TOKEN}), None, values)


def _account_filter(name: str) -> tuple[str | None, str | None]:
    """``(upn, None)`` for ``user@domain``, ``(None, sAMAccountName)`` for ``DOMAIN\\name`` or a bare name."""
    name = name.strip()
    if "\\" in name:
        return None, name.split("\\", 1)[1]
    if "@" in name:
        return name, None
    return None, name
