"""IdFix's rules as data, and a vectorized engine that runs them.

Microsoft's IdFix runs, per attribute, a chain of rules; each failing rule
records its error type and passes its corrected value to the next, so the
proposed value (IdFix's UPDATE column) is the value after the whole chain. This
module keeps those semantics over pandas Series: one pass per rule per
attribute over every value at once, no per-object loop.

Facts from microsoft/idfix (``Rules/MultiTenantRuleCollection.cs``,
``Rules/DedicatedRuleCollection.cs``, ``Settings/Constants.cs``,
``Rules/Shared/*.cs``) and its "Errors supported by the IdFix tool" page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# IdFix's ErrorType flags.
FORMAT, BLANK, DUPLICATE, CHARACTER, TOPLEVELDOMAIN, DOMAINPART, LOCALPART, LENGTH = 1, 2, 4, 8, 16, 32, 64, 128
ERROR_NAMES = {CHARACTER: "character", FORMAT: "format", TOPLEVELDOMAIN: "topleveldomain", DOMAINPART: "domainpart",
               LOCALPART: "localpart", LENGTH: "length", DUPLICATE: "duplicate", BLANK: "blank"}

#: Objects IdFix skips: common names starting with these (case-insensitive).
WELL_KNOWN_EXCLUSIONS = ("Admini", "CAS_{", "DiscoverySearchMailbox", "FederatedEmail", "Guest", "HTTPConnector",
                         "krbtgt", "iusr_", "iwam", "msol", "support_", "SystemMailbox", "WWIOadmini",
                         "HealthMailbox", "Exchange Online-ApplicationAccount")

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
LOCAL_PART_RE = rf"(?i)^{_ATOM}+(?:\.{_ATOM}+)*@"
DOMAIN_PART_RE = r"(?i)@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,17})$"
RFC2822_RE = rf"(?i)^{_ATOM}+(?:\.{_ATOM}+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{{2,17}})$"
INVALID_UPN = r"""[\s\\%&*+/=?'{}|<>();:,\[\]"äëïöüÿÄËÏÖÜŸ]"""
INVALID_PROXY_SMTP = r"""[\s<>();,\[\]"]"""
INVALID_PROXY_OTHER = r"""[\s<>(),\[\]"]"""
INVALID_PROXY_X400_X500 = r"""[\f\n\r\t\v\[\]"']"""
INVALID_TARGET_SMTP = r"""[\s\\<>();,\[\]"]"""
INVALID_TARGET_OTHER = r"""[\s\\<>(),\[\]"]"""
INVALID_SAM = r"""[\\"|,/\[\]:<>+=;?*]"""
INVALID_NICKNAME_DEDICATED = r"""[\s\\!#$%&*+/=?^`{}|~<>()';:,\[\]"@]"""


@dataclass(frozen=True)
class Step:
    """One rule of a chain: ``kind`` is maxlen, regex, colons, duplicate,
    rfc2822, blank, periods or upn-parts; ``arg`` its parameter; ``when`` limits
    it to values of a proxy type (``smtp``, ``x400x500``, ``other``)."""

    kind: str
    arg: object = None
    when: str | None = None


def _proxy_steps(maxlen: int, smtp_chars: str, other_chars: str, duplicates: bool = True) -> tuple[Step, ...]:
    steps = [Step("maxlen", maxlen), Step("colons")]
    if duplicates:
        steps.append(Step("duplicate"))
    return (*steps, Step("regex", smtp_chars, "smtp"), Step("rfc2822", None, "smtp"),
            Step("regex", INVALID_PROXY_X400_X500, "x400x500"), Step("regex", other_chars, "other"))


#: Per rule set: attribute -> its chain, in IdFix's order.
RULES: dict[str, dict[str, tuple[Step, ...]]] = {
    "multi-tenant": {
        "displayName": (Step("maxlen", 255), Step("blank", "cn")),
        "givenName": (Step("maxlen", 63),),
        "mail": (Step("maxlen", 256), Step("duplicate")),
        "mailNickname": (Step("maxlen", 64), Step("regex", r"^[.]+"), Step("duplicate")),
        "proxyAddresses": _proxy_steps(256, INVALID_PROXY_SMTP, INVALID_PROXY_OTHER),
        "sAMAccountName": (Step("maxlen", "sam"), Step("regex", INVALID_SAM), Step("duplicate")),
        "targetAddress": (Step("maxlen", 255), Step("colons"), Step("duplicate"),
                          Step("regex", INVALID_TARGET_SMTP, "smtp"), Step("rfc2822", None, "smtp"),
                          Step("regex", INVALID_TARGET_OTHER, "x400x500"), Step("regex", INVALID_TARGET_OTHER, "other")),
        "userPrincipalName": (Step("maxlen", 113), Step("upn-parts"), Step("regex", INVALID_UPN), Step("rfc2822"),
                              Step("duplicate")),
    },
    "dedicated": {
        "displayName": (Step("maxlen", 256), Step("regex", r"^\s+|\s+$"), Step("blank", "group")),
        "mail": (Step("maxlen", 256), Step("regex", r"\s"), Step("rfc2822"), Step("duplicate")),
        "mailNickname": (Step("maxlen", 64), Step("regex", INVALID_NICKNAME_DEDICATED), Step("duplicate"),
                         Step("blank", "mailbox-holder"), Step("periods")),
        "proxyAddresses": _proxy_steps(256, INVALID_PROXY_SMTP, INVALID_PROXY_OTHER),
        "targetAddress": (Step("maxlen", 256), Step("blank", "no-homemdb")),
    },
}
RULE_SETS = tuple(RULES)


@lru_cache(maxsize=1)
def routable_tlds() -> frozenset[str]:
    """Top-level labels of the Public Suffix List (tldextract's bundled snapshot;
    no network), as IdFix's ValidTLDList: ``.local``, ``.corp``, ``.lan`` are not in it."""
    import tldextract

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)
    return frozenset(s.rsplit(".", 1)[-1].encode("idna").decode() if not s.isascii() else s.rsplit(".", 1)[-1]
                     for s in extract.tlds)


def primary_class(objects: pd.DataFrame) -> pd.Series:
    """user, contact, group or the last objectClass value of each object."""
    def pick(classes: tuple[str, ...]) -> str:
        for c in ("contact", "group", "computer", "user", "inetorgperson"):
            if c in classes:
                return "user" if c == "inetorgperson" else c
        return classes[-1] if classes else ""

    return objects["objectClass"].map(pick)


def scan_scope(objects: pd.DataFrame) -> pd.DataFrame:
    """The objects IdFix checks: users, contacts and mail-enabled groups, less
    its well-known exclusions (common names starting Admini, CAS_{, krbtgt,
    SystemMailbox…, or ending in ``$``), replication conflicts (``\\0ACNF:`` in
    the DN) and critical system objects."""
    import re

    kind = primary_class(objects)
    cn = objects["cn"].str.casefold()
    excluded = cn.str.endswith("$") | cn.str.match("|".join(re.escape(e.casefold()) for e in WELL_KNOWN_EXCLUSIONS))
    excluded |= objects["dn"].str.upper().str.contains("\\0ACNF:", regex=False)
    excluded |= objects["isCriticalSystemObject"].fillna(False).astype(bool)
    mailless_group = (kind == "group") & (objects["mail"] == "") & (objects["proxyAddresses"].map(len) == 0)
    keep = kind.isin(["user", "contact", "group"]) & ~excluded.fillna(False).astype(bool) & ~mailless_group
    out = objects[keep.to_numpy(dtype=bool)]
    return out.assign(object_class=kind[keep.to_numpy(dtype=bool)])


def run_rules(objects: pd.DataFrame, rule_set: str = "multi-tenant") -> pd.DataFrame:
    """Run every IdFix rule of ``rule_set`` over ``objects`` (a scan_scope frame).

    Returns one row per failing value: ``oid`` (the object's index label),
    ``dn``, ``object_class``, ``attribute``, ``value`` (as stored), ``update``
    (IdFix's proposed value), ``errors`` (ErrorType flags), ``action`` (IdFix's
    EDIT / REMOVE / COMPLETE) and ``duplicates`` (for duplicate values: the DNs of
    every object of the set).

    Raises:
        ValueError: unknown rule set.
    """
    import pandas as pd

    if rule_set not in RULES:
        raise ValueError(f"unknown IdFix rule set {rule_set!r}; choose {' or '.join(RULE_SETS)}")
    parts = [_run_attribute(objects, attribute, steps) for attribute, steps in RULES[rule_set].items()]
    out = pd.concat([p for p in parts if not p.empty] or [parts[0]], ignore_index=True)
    return out


def _values(objects: pd.DataFrame, attribute: str) -> pd.Series:
    """The attribute's values, indexed by object label (multi-valued: one row per value)."""
    column = objects[attribute]
    if attribute == "proxyAddresses":
        return column.explode().dropna().astype("string")
    if attribute == "sAMAccountName":  # IdFix checks it only where userPrincipalName is empty
        return column[(objects["userPrincipalName"] == "").to_numpy(dtype=bool)]
    return column


def _proxy_type(values: pd.Series) -> pd.Series:
    import numpy as np
    import pandas as pd

    prefix = values.str.extract(r"^([^:]*):", expand=False).str.casefold().fillna("")
    kind = np.where(prefix == "smtp", "smtp", np.where(prefix.str.match(r"^x\.?(400|500)$"), "x400x500", "other"))
    return pd.Series(kind, index=values.index)


def _run_attribute(objects: pd.DataFrame, attribute: str, steps: tuple[Step, ...]) -> pd.DataFrame:
    import numpy as np

    values = _values(objects, attribute).astype("string").fillna("")
    values = values.reset_index().set_axis(["oid", "value"], axis=1)
    cur = values["value"].copy()
    present = (cur != "").to_numpy()
    flags = np.zeros(len(cur), dtype=np.int64)
    cn = objects["cn"].reindex(values["oid"]).to_numpy()
    kind = objects["object_class"].reindex(values["oid"]).to_numpy()
    ptype = _proxy_type(cur) if attribute in ("proxyAddresses", "targetAddress") else None
    duplicate_sets: dict[int, list[str]] = {}
    for step in steps:
        applies = present.copy() if step.kind != "blank" else ~present
        if step.when is not None:
            applies &= (ptype == step.when).to_numpy()
        if not applies.any():
            continue
        idx = np.flatnonzero(applies)
        sub = cur.iloc[idx]
        hit, new, bit = _apply(step, sub, objects, values["oid"].iloc[idx], cn[idx], kind[idx])
        if step.kind == "duplicate":
            duplicate_sets.update(_duplicate_sets(sub, values["oid"].iloc[idx], objects, hit))
        hit_idx = idx[hit]
        flags[hit_idx] |= bit[hit] if isinstance(bit, np.ndarray) else bit
        if new is not None:
            cur.iloc[hit_idx] = new[hit].to_numpy()
    failing = np.flatnonzero(flags)
    out = values.iloc[failing].copy()
    out["update"] = cur.iloc[failing].to_numpy()
    out["errors"] = flags[failing]
    out["attribute"] = attribute
    out["dn"] = objects["dn"].reindex(out["oid"]).to_numpy()
    out["object_class"] = kind[failing]
    out["duplicates"] = [duplicate_sets.get(int(i), []) for i in failing] if duplicate_sets else [[]] * len(out)
    out["action"] = _action(out, objects, attribute)
    return out.reset_index(drop=True)


def _apply(step: Step, sub: pd.Series, objects: pd.DataFrame, oids: pd.Series, cn, kind):
    """(hit mask as numpy bool, new values or None, error bit) of one step over ``sub``."""
    import numpy as np
    import pandas as pd

    if step.kind == "maxlen":
        limit = np.where(kind == "user", 20, 256) if step.arg == "sam" else np.full(len(sub), step.arg)
        lengths = sub.str.len().to_numpy()
        hit = lengths > limit
        new = pd.Series([v[:n] for v, n in zip(sub.tolist(), limit)], index=sub.index) if hit.any() else None
        return hit, new, LENGTH
    if step.kind == "regex":
        hit = sub.str.contains(step.arg, regex=True).to_numpy(dtype=bool)
        new = sub.str.replace(step.arg, "", regex=True)
        new = new.where(new != "", pd.Series(cn, index=sub.index).astype("string"))
        return hit, new, CHARACTER
    if step.kind == "colons":  # FixProxyTargetAddressRule: a second ':' after the prefix
        parts = sub.str.partition(":")
        prefix, suffix = parts[0].to_numpy(), parts[2].to_numpy()
        hit = np.array([":" in s for s in suffix], dtype=bool) & (sub.str.find(":").to_numpy() > 0)
        new = pd.Series([p + ":" + s.replace(":", "") for p, s in zip(prefix, suffix)], index=sub.index)
        return hit, new, CHARACTER
    if step.kind == "duplicate":
        key = sub.str.casefold()
        frame = pd.DataFrame({"oid": oids.to_numpy(), "key": key.to_numpy()}).drop_duplicates()
        dup_keys = set(frame.loc[frame["key"].duplicated(keep=False), "key"])
        return key.isin(dup_keys).to_numpy(dtype=bool), None, DUPLICATE
    if step.kind == "rfc2822":
        return _rfc2822(sub)
    if step.kind == "blank":
        if step.arg == "cn":
            hit = np.ones(len(sub), dtype=bool)
        elif step.arg == "group":
            hit = kind == "group"
        elif step.arg == "mailbox-holder":
            hit = np.isin(kind, ["user", "contact"])
        else:  # no-homemdb: contacts, and users without a mailbox
            home = objects["homeMDB"].reindex(oids).to_numpy()
            hit = (kind == "contact") | ((kind == "user") & (home == ""))
        new = pd.Series(cn, index=sub.index).astype("string") if step.arg in ("cn", "group") else None
        if step.arg == "no-homemdb":
            new = objects["mail"].reindex(oids).set_axis(sub.index).astype("string")
            new = ("SMTP:" + new).where(new != "", "")
        return hit, new, BLANK
    if step.kind == "periods":  # may not begin or end with a period
        hit = (sub.str.startswith(".") | sub.str.endswith(".")).to_numpy(dtype=bool)
        return hit, sub.str.strip("."), CHARACTER
    if step.kind == "upn-parts":  # under 64 characters before the @, under 48 after
        parts = sub.str.rpartition("@")
        hit = ((parts[0].str.len() >= 64) | (parts[2].str.len() >= 48)).to_numpy(dtype=bool)
        return hit, None, LENGTH
    raise ValueError(step.kind)


def _rfc2822(sub: pd.Series):
    """IdFix's RFC2822Rule: top-level domain, domain part, local part, format;
    the proposal drops the characters the domain and local parts may not hold."""
    import numpy as np
    import pandas as pd

    prefix = sub.str.extract(r"^((?i:smtp):)", expand=False).fillna("")
    addr = sub.str.slice(start=0).where(prefix == "", sub.str.slice(5))
    flags = np.zeros(len(sub), dtype=np.int64)
    dot = addr.str.rfind(".")
    tld = pd.Series([a[d + 1:].lower() if d >= 0 else "" for a, d in zip(addr.tolist(), dot.tolist())], index=sub.index)
    bad_tld = (tld != "") & ~tld.isin(routable_tlds())
    flags[bad_tld.to_numpy(dtype=bool)] |= TOPLEVELDOMAIN
    bad_domain = ~addr.str.contains(DOMAIN_PART_RE, regex=True)
    flags[bad_domain.to_numpy(dtype=bool)] |= DOMAINPART
    at = addr.str.rfind("@")
    has_at = (at >= 0).to_numpy(dtype=bool)
    local = pd.Series([a[:i] if i >= 0 else a for a, i in zip(addr.tolist(), at.tolist())], index=sub.index)
    domain = pd.Series([a[i + 1:] if i >= 0 else "" for a, i in zip(addr.tolist(), at.tolist())], index=sub.index)
    fixed_domain = domain.where(~bad_domain, domain.str.replace(r"(?i)[^a-z0-9.-]", "", regex=True))
    addr = pd.Series(np.where(has_at, local + "@" + fixed_domain, addr), index=sub.index, dtype="string")
    bad_local = ~addr.str.contains(LOCAL_PART_RE, regex=True) | (addr.str.count("@") > 1)
    flags[bad_local.to_numpy(dtype=bool)] |= LOCALPART
    fixed_local = local.str.replace(r"(?i)[^a-z0-9.!#$%&'*+/=?^_`{|}~-]", "", regex=True)
    repaired = (fixed_local + "@" + fixed_domain).str.replace(".@", "@", regex=False)
    addr = addr.where(~(bad_local.to_numpy(dtype=bool) & has_at), repaired)
    flags[~addr.str.contains(RFC2822_RE, regex=True).to_numpy(dtype=bool)] |= FORMAT
    hit = flags != 0
    new = prefix.str.strip() + addr
    return hit, new, flags


def _duplicate_sets(sub: pd.Series, oids: pd.Series, objects: pd.DataFrame, hit) -> dict[int, list[str]]:
    """Row position (in the attribute's value list) -> DNs of the duplicate set."""
    import pandas as pd

    key = sub.str.casefold()
    frame = pd.DataFrame({"pos": range(len(sub)), "oid": oids.to_numpy(), "key": key.to_numpy()})[hit]
    frame["dn"] = objects["dn"].reindex(frame["oid"]).to_numpy()
    members = frame.drop_duplicates(["key", "oid"]).groupby("key")["dn"].agg(list)
    positions = sub.index.to_numpy()
    return {int(positions[p]): members[k] for p, k in zip(frame["pos"], frame["key"])}


def _action(out: pd.DataFrame, objects: pd.DataFrame, attribute: str) -> list[str]:
    """IdFix's ACTION: EDIT when a value is proposed; for a duplicate left as it
    is, COMPLETE where IdFix deems it settled (the object is mail-enabled, or a
    mailbox for mailNickname; a secondary ``smtp:`` proxy address), REMOVE for an
    SMTP proxy address of an object without mailNickname."""
    import numpy as np

    if out.empty:
        return []
    changed = (out["update"] != out["value"]).to_numpy()
    dup_only = ~changed & ((out["errors"].to_numpy() & DUPLICATE) != 0)
    nick = (objects["mailNickname"].reindex(out["oid"]) != "").to_numpy()
    home = (objects["homeMDB"].reindex(out["oid"]) != "").to_numpy()
    value = out["value"]
    if attribute == "proxyAddresses":
        smtp = value.str.casefold().str.startswith("smtp:").to_numpy(dtype=bool)
        secondary = value.str.startswith("smtp:").to_numpy(dtype=bool)
        settled = np.where(nick, secondary, False)
        remove = smtp & ~nick
    elif attribute in ("userPrincipalName", "mail", "sAMAccountName"):
        settled, remove = nick, np.zeros(len(out), dtype=bool)
    elif attribute == "mailNickname":
        settled, remove = home, np.zeros(len(out), dtype=bool)
    else:
        settled = remove = np.zeros(len(out), dtype=bool)
    return np.where(changed, "EDIT", np.where(dup_only & remove, "REMOVE",
                                              np.where(dup_only & settled, "COMPLETE", "EDIT"))).tolist()
