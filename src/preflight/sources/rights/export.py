"""Rights data from an ldifde LDIF export (base64 security descriptors and SIDs).

The export must hold, besides the batch users, the migration account, every group (their
``objectSid`` and ``memberOf``: membership is followed group to group to its end), the
domain object (``maxPwdAge``, ``lockoutDuration``, ``objectSid``) and the ``targetAddress``
schema object. The commands are in the README (Migration account rights); concatenate their
outputs into one file. An attribute no entry has is *unknown* (the export did not ask for it),
and the checks that need it are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...registry import SourceError
from . import (
    WELL_KNOWN_TOKEN,
    Rights,
    UndecodableDescriptor,
    account_state,
    decode_dacl,
    domain_of,
    guid_text,
    sid_text,
)
from .live import _account_filter, user_rights

_KEEP = frozenset(a.casefold() for a in (
    "objectSid", "objectClass", "memberOf", "primaryGroupID", "userPrincipalName", "sAMAccountName",
    "msExchMailboxSecurityDescriptor", "nTSecurityDescriptor", "adminCount", "msExchMasterAccountSid",
    "userAccountControl", "lockoutTime", "pwdLastSet", "accountExpires", "maxPwdAge", "lockoutDuration",
    "msDS-User-Account-Control-Computed", "msDS-UserPasswordExpiryTimeComputed", "lDAPDisplayName",
    "schemaIDGUID", "attributeSecurityGUID",
))
_INTS = ("userAccountControl", "lockoutTime", "pwdLastSet", "accountExpires", "adminCount",
         "msDS-User-Account-Control-Computed", "msDS-UserPasswordExpiryTimeComputed")


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


class ExportRights:
    """Reads :class:`~preflight.sources.rights.Rights` from an LDIF file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def read(self, account_name: str, user_dns: Iterable[str]) -> Rights:
        """As :meth:`LiveRights.read <preflight.sources.rights.live.LiveRights.read>`.

        Raises:
            SourceError: the file cannot be read, or no (or more than one) account has that name.
        """
        from ..directory.configuration import read_entries

        entries: dict[str, tuple[str, dict[str, list[bytes]]]] = {}
        present: set[str] = set()
        for entry in read_entries(self.path):  # the organization reader's raw entries (values by case-folded name)
            raw = {key: [_bytes(v) for v in values] for key, values in entry.values.items() if key in _KEEP}
            present.update(raw)
            entries[entry.dn.casefold()] = (entry.dn, raw)
        by_sid = {}
        for key, (_, raw) in entries.items():
            for v in raw.get("objectsid", ()):
                try:
                    by_sid[sid_text(v)] = key
                except ValueError:
                    continue
        name = self.path.name
        domains = {sid_text(raw["objectsid"][0]) for _, raw in entries.values()
                   if b"domaindns" in {c.lower() for c in raw.get("objectclass", ())} and raw.get("objectsid")}
        account = self._account(account_name, entries, by_sid, domains, name)

        users = {}
        for dn in dict.fromkeys(user_dns):
            hit = entries.get(dn.casefold())
            if hit is not None:
                users[dn.casefold()] = user_rights(hit[0], {k: v for k, v in hit[1].items()})
        rights = Rights(account=account, users=users, description={"format": "ldif", "path": str(self.path)})
        for attribute, part in (("msexchmailboxsecuritydescriptor", "mailbox_sd"), ("ntsecuritydescriptor", "user_sd")):
            if attribute not in present and "*" not in present:
                rights.unknown[part] = (f"no entry of {name} has {_NAMES[attribute]} (so the export did not ask for it): "
                                        "add it to ldifde's -l list (README: Migration account rights)")
        if "objectsid" not in present:
            rights.unknown["sids"] = f"no entry of {name} has objectSid: add it to ldifde's -l list"
        # Without the domain object the SIDs' domain is that of the account: its domain's users were exported.
        rights.looked_up_domains = frozenset(domains or ({d} if (d := domain_of(account.sid)) else set()))
        rights.existing_sids = frozenset(by_sid)
        guids: set[str] = set()
        for _, raw in entries.values():
            if [v.decode("utf-8", "replace").casefold() for v in raw.get("ldapdisplayname", ())] == ["targetaddress"]:
                guids.update(guid_text(v) for a in ("schemaidguid", "attributesecurityguid") for v in raw.get(a, ()))
        if guids:
            rights.target_address_guids = frozenset(guids)
        else:
            rights.unknown["schema"] = (f"{name} holds no targetAddress schema object (its schemaIDGUID names the "
                                        "attribute in ACEs): append the schema export (README: Migration account rights)")
        holder = next((raw for key, (_, raw) in entries.items() if key.startswith("cn=adminsdholder,cn=system,")), None)
        if holder and holder.get("ntsecuritydescriptor"):
            with contextlib.suppress(UndecodableDescriptor):
                rights.admin_sd_holder = decode_dacl(holder["ntsecuritydescriptor"][0])
                rights.has_admin_sd_holder = True
        return rights

    def _account(self, account_name: str, entries: dict[str, tuple[str, dict[str, list[bytes]]]],
                 by_sid: dict[str, str], domains: set[str], name: str):
        upn, sam = _account_filter(account_name)
        attribute, wanted = ("userprincipalname", upn) if upn else ("samaccountname", sam)
        hits = [(dn, raw) for dn, raw in entries.values()
                if any(v.decode("utf-8", "replace").casefold() == str(wanted).casefold() for v in raw.get(attribute, ()))]
        if len(hits) != 1:
            raise SourceError(f"migration account {account_name}: {'no' if not hits else len(hits)} object(s) with "
                              f"{'userPrincipalName' if upn else 'sAMAccountName'} {wanted} in {name}")
        dn, raw = hits[0]
        if not raw.get("objectsid"):
            raise SourceError(f"migration account {account_name}: {dn} has no objectSid in {name}: add objectSid to "
                              "ldifde's -l list")
        sid = sid_text(raw["objectsid"][0])
        token, error = _token(sid, raw, entries, by_sid, name)
        values: dict[str, int] = {}
        for a in _INTS:
            v = raw.get(a.casefold())
            if v:
                with contextlib.suppress(ValueError):
                    values[a] = int(v[0])
        policy: dict[str, int] = {}
        domain = domain_of(sid)
        head = entries[by_sid[domain]][1] if domain in by_sid else {}
        for a in ("maxPwdAge", "lockoutDuration"):
            if head.get(a.casefold()):
                with contextlib.suppress(ValueError):
                    policy[a] = int(head[a.casefold()][0])
        return account_state(account_name, dn, sid, token, error, values, policy=policy)


_NAMES = {"msexchmailboxsecuritydescriptor": "msExchMailboxSecurityDescriptor",
          "ntsecuritydescriptor": "nTSecurityDescriptor"}


def _token(sid: str, raw: dict[str, list[bytes]], entries: dict[str, Any], by_sid: dict[str, str],
           name: str) -> tuple[frozenset[str] | None, str | None]:
    """The account's SIDs: its own, each group reached through ``memberOf`` (followed from group to
    group to its end), the primary group, Everyone and Authenticated Users; or None and why, when a
    group on the way is not in the export."""
    token = {sid, *WELL_KNOWN_TOKEN}
    domain = domain_of(sid)
    primary = raw.get("primarygroupid")
    if primary and domain:
        token.add(f"{domain}-{int(primary[0])}")
    pending = [v.decode("utf-8") for v in raw.get("memberof", ())]
    seen: set[str] = set()
    while pending:
        group = pending.pop()
        key = group.casefold()
        if key in seen:
            continue  # a loop of nested groups ends here: every group on it is counted once
        seen.add(key)
        hit = entries.get(key)
        if hit is None or not hit[1].get("objectsid"):
            return None, (f"the account's group {group} is not in {name} (or has no objectSid): its membership "
                          "cannot be followed to its end; export the groups too (README: Migration account rights)")
        token.add(sid_text(hit[1]["objectsid"][0]))
        pending.extend(v.decode("utf-8") for v in hit[1].get("memberof", ()))
    return frozenset(token), None
