"""IdFix's rules as data, and a vectorized engine that runs them.

Microsoft's IdFix runs, per attribute, a chain of rules; each failing rule
records its error type and passes its corrected value to the next, so the
proposed value (IdFix's UPDATE column) is the value after the whole chain. This
module keeps those semantics over whole columns: one pass per rule per attribute
over every value at once with pyarrow's compute kernels (regular expressions in
RE2, so no Python code runs per value); the few failing values are repaired on
their own. Patterns are written so that RE2 and Python's ``re`` read them alike
(:data:`WHITE_SPACE` spells out .NET's ``\\s``).

Facts from microsoft/idfix (``Rules/MultiTenantRuleCollection.cs``,
``Rules/DedicatedRuleCollection.cs``, ``Settings/Constants.cs``,
``Rules/Shared/*.cs``) and its "Errors supported by the IdFix tool" page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import pandas as pd
    import pyarrow as pa

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
#: .NET's ``\s`` (IdFix is a .NET program): ``[\f\n\r\t\v\x85\p{Z}]``, as literal characters, so that
#: RE2 (the engine, whose ``\s`` is ASCII only) and Python's ``re`` (the tests) match the same: a
#: no-break space pasted from Word is white space to IdFix.
WHITE_SPACE = "\t\n\x0b\x0c\r\x85 \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
INVALID_UPN = "[" + WHITE_SPACE + r"""\\%&*+/=?'{}|<>();:,\[\]"äëïöüÿÄËÏÖÜŸ]"""
INVALID_PROXY_SMTP = "[" + WHITE_SPACE + r"""<>();,\[\]"]"""
INVALID_PROXY_OTHER = "[" + WHITE_SPACE + r"""<>(),\[\]"]"""
INVALID_PROXY_X400_X500 = r"""[\f\n\r\t\v\[\]"']"""
INVALID_TARGET_SMTP = "[" + WHITE_SPACE + r"""\\<>();,\[\]"]"""
INVALID_TARGET_OTHER = "[" + WHITE_SPACE + r"""\\<>(),\[\]"]"""
INVALID_SAM = r"""[\\"|,/\[\]:<>+=;?*]"""
INVALID_NICKNAME_DEDICATED = "[" + WHITE_SPACE + r"""\\!#$%&*+/=?^`{}|~<>()';:,\[\]"@]"""


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
        "displayName": (Step("maxlen", 256), Step("regex", f"^[{WHITE_SPACE}]+|[{WHITE_SPACE}]+$"),
                        Step("blank", "group")),
        "mail": (Step("maxlen", 256), Step("regex", f"[{WHITE_SPACE}]"), Step("rfc2822"), Step("duplicate")),
        "mailNickname": (Step("maxlen", 64), Step("regex", INVALID_NICKNAME_DEDICATED), Step("duplicate"),
                         Step("blank", "mailbox-holder"), Step("periods")),
        "proxyAddresses": _proxy_steps(256, INVALID_PROXY_SMTP, INVALID_PROXY_OTHER),
        "targetAddress": (Step("maxlen", 256), Step("blank", "no-homemdb")),
    },
}
RULE_SETS = tuple(RULES)
#: The error types each kind of step can record.
STEP_ERRORS = {"maxlen": LENGTH, "upn-parts": LENGTH, "regex": CHARACTER, "colons": CHARACTER, "periods": CHARACTER,
               "duplicate": DUPLICATE, "blank": BLANK, "rfc2822": FORMAT | TOPLEVELDOMAIN | DOMAINPART | LOCALPART}


def rule_inputs(rule_set: str, attribute: str) -> tuple[str, ...]:
    """The attributes the chain of ``attribute`` reads: the attribute itself;
    userPrincipalName for sAMAccountName (checked where the UPN is empty);
    homeMDB for a blank rule that tells users without a mailbox."""
    extra: tuple[str, ...] = ("userPrincipalName",) if attribute == "sAMAccountName" else ()
    if any(step.kind == "blank" and step.arg == "no-homemdb" for step in RULES[rule_set][attribute]):
        extra += ("homeMDB",)
    return (attribute, *extra)


def rule_errors(rule_set: str, attribute: str) -> int:
    """The error types (flags) the chain of ``attribute`` can record."""
    bits = 0
    for step in RULES[rule_set][attribute]:
        bits |= STEP_ERRORS[step.kind]
    return bits


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


def run_rules(objects: pd.DataFrame, rule_set: str = "multi-tenant", skip: Iterable[str] = ()) -> pd.DataFrame:
    """Run every IdFix rule of ``rule_set`` over ``objects`` (a scan_scope frame),
    but those of the attributes in ``skip`` (values the source does not hold).

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
    skip = set(skip)
    parts = [_run_attribute(objects, attribute, steps) for attribute, steps in RULES[rule_set].items()
             if attribute not in skip]
    if not parts:  # every attribute skipped: the empty frame of failing values
        attribute, steps = next(iter(RULES[rule_set].items()))
        parts = [_run_attribute(objects.iloc[:0], attribute, steps)]
    out = pd.concat([p for p in parts if not p.empty] or [parts[0]], ignore_index=True)
    return out


def _values(objects: pd.DataFrame, attribute: str) -> pd.Series:
    """The attribute's values, indexed by object label (multi-valued: one row per value)."""
    column = objects[attribute]
    if attribute == "proxyAddresses":
        return column.explode().dropna()
    if attribute == "sAMAccountName":  # IdFix checks it only where userPrincipalName is empty
        return column[(objects["userPrincipalName"] == "").to_numpy(dtype=bool)]
    return column


def _np(mask) -> np.ndarray:
    """A pyarrow boolean array as a numpy bool array (null -> False)."""
    import pyarrow.compute as pc

    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _text(values) -> pa.Array:
    """Values (a pandas Series or array, numpy object array, list) as a string array, null -> ""."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):  # pandas' pyarrow-backed str columns
        array = array.combine_chunks()
    return pc.fill_null(array, "")


def _split(values: pa.Array, sep: str, last: bool) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """(before, after, found): each value split at its first (or ``last``) ``sep``; where there is none,
    both parts are the whole value and ``found`` is False."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.split_pattern(values, sep, max_splits=1, reverse=last)
    offsets = parts.offsets.to_numpy()
    flat = parts.flatten()
    before, after = flat.take(pa.array(offsets[:-1])), flat.take(pa.array(offsets[1:] - 1))
    return before, after, np.diff(offsets) == 2


def _proxy_type(values: pa.Array) -> np.ndarray:
    """``smtp``, ``x400x500`` or ``other`` by each value's ``type:`` prefix."""
    import numpy as np
    import pyarrow.compute as pc

    prefix = pc.utf8_lower(pc.fill_null(pc.struct_field(pc.extract_regex(values, r"^(?P<p>[^:]*):"), [0]), ""))
    x400 = _np(pc.match_substring_regex(prefix, r"^x\.?(400|500)$"))
    return np.where(_np(pc.equal(prefix, "smtp")), "smtp", np.where(x400, "x400x500", "other"))


def _run_attribute(objects: pd.DataFrame, attribute: str, steps: tuple[Step, ...]) -> pd.DataFrame:
    """Every step of ``attribute``'s chain over all its values at once (pyarrow compute kernels; regular
    expressions run in RE2). Each step sees the values the previous steps corrected."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    values = _values(objects, attribute)
    oid = values.index.to_numpy()
    original = _text(values)
    cur = original
    present = _np(pc.not_equal(cur, ""))
    flags = np.zeros(len(cur), dtype=np.int64)
    context = _Context(objects, oid)
    ptype = _proxy_type(cur) if attribute in ("proxyAddresses", "targetAddress") else None
    duplicate_sets: dict[int, list[str]] = {}
    for step in steps:
        applies = present.copy() if step.kind != "blank" else ~present
        if step.when is not None:
            applies &= ptype == step.when
        if not applies.any():
            continue
        hit, propose, bit = _apply(step, cur, applies, context)
        hit &= applies
        if not hit.any():
            continue
        if step.kind == "duplicate":
            duplicate_sets.update(_duplicate_sets(cur, hit, oid, context.values("dn")))
        flags[hit] |= bit[hit] if isinstance(bit, np.ndarray) else bit
        if propose is not None:
            cur = _where(cur, hit, propose)
    failing = np.flatnonzero(flags)
    take = pa.array(failing)
    out = pd.DataFrame({
        "oid": oid[failing],
        "value": original.take(take).to_pylist(),
        "update": cur.take(take).to_pylist(),
        "errors": flags[failing],
        "attribute": attribute,
        "dn": objects["dn"].to_numpy()[context.positions[failing]],
        "object_class": context.kind[failing],
    })
    out["duplicates"] = [duplicate_sets.get(int(i), []) for i in failing]
    out["action"] = _action(out, objects, attribute)
    return out


class _Context:
    """Columns of each value's object, aligned with the attribute's values, made on first use."""

    def __init__(self, objects: pd.DataFrame, oid: np.ndarray) -> None:
        import pyarrow as pa

        self.objects = objects
        self.positions = objects.index.get_indexer(oid)
        self._take = pa.array(self.positions)
        self.kind = self.values("object_class")
        self._texts: dict[str, pa.Array] = {}

    def values(self, name: str) -> np.ndarray:
        return self.objects[name].to_numpy()[self.positions]

    def text(self, name: str) -> pa.Array:
        if name not in self._texts:
            self._texts[name] = _text(self.objects[name]).take(self._take)
        return self._texts[name]

    @property
    def cn(self) -> pa.Array:
        return self.text("cn")


def _apply(step: Step, cur: pa.Array, applies: np.ndarray, ctx: _Context):
    """``(hit, propose, bit)`` of one step over every value ``cur`` (the caller keeps the rows where it
    ``applies``): the numpy bool mask of failing values, ``propose(mask)`` giving the corrected values
    of the rows of ``mask`` (or None: IdFix proposes none), and the error bit(s)."""
    import numpy as np
    import pyarrow.compute as pc

    if step.kind == "maxlen":
        lengths = pc.utf8_length(cur).to_numpy()
        if step.arg == "sam":
            is_user = ctx.kind == "user"
            hit = lengths > np.where(is_user, 20, 256)
            return hit, lambda m: pc.if_else(is_user[m], pc.utf8_slice_codeunits(_rows(cur, m), 0, 20),
                                             pc.utf8_slice_codeunits(_rows(cur, m), 0, 256)), LENGTH
        return lengths > step.arg, lambda m: pc.utf8_slice_codeunits(_rows(cur, m), 0, step.arg), LENGTH
    if step.kind == "regex":
        def removed(m):  # nothing left: IdFix proposes the common name
            new = pc.replace_substring_regex(_rows(cur, m), step.arg, "")
            return pc.if_else(pc.equal(new, ""), _rows(ctx.cn, m), new)
        return _np(pc.match_substring_regex(cur, step.arg)), removed, CHARACTER
    if step.kind == "colons":  # FixProxyTargetAddressRule: a second ':' after the prefix
        head, tail, found = _split(cur, ":", last=False)
        hit = found & _np(pc.not_equal(head, "")) & _np(pc.match_substring(tail, ":"))
        return hit, lambda m: pc.binary_join_element_wise(
            _rows(head, m), pc.replace_substring(_rows(tail, m), ":", ""), ":"), CHARACTER
    if step.kind == "duplicate":
        return _duplicates(cur, applies, ctx), None, DUPLICATE
    if step.kind == "rfc2822":
        return _rfc2822(cur)
    if step.kind == "blank":
        n = len(cur)
        if step.arg == "cn":
            return np.ones(n, dtype=bool), lambda m: _rows(ctx.cn, m), BLANK
        if step.arg == "group":
            return ctx.kind == "group", lambda m: _rows(ctx.cn, m), BLANK
        if step.arg == "mailbox-holder":
            return np.isin(ctx.kind, ["user", "contact"]), None, BLANK
        # no-homemdb: contacts, and users without a mailbox; IdFix proposes SMTP:<mail>
        home = _np(pc.not_equal(ctx.text("homeMDB"), ""))
        hit = (ctx.kind == "contact") | ((ctx.kind == "user") & ~home)

        def smtp_mail(m):
            mail = _rows(ctx.text("mail"), m)
            return pc.if_else(pc.equal(mail, ""), "", pc.binary_join_element_wise("SMTP", mail, ":"))
        return hit, smtp_mail, BLANK
    if step.kind == "periods":  # may not begin or end with a period
        hit = _np(pc.or_(pc.starts_with(cur, "."), pc.ends_with(cur, ".")))
        return hit, lambda m: pc.utf8_trim(_rows(cur, m), "."), CHARACTER
    if step.kind == "upn-parts":  # under 64 characters before the last @, under 48 after (all without one)
        local, domain, found = _split(cur, "@", last=True)  # rpartition: no @, all of it is "after"
        hit = (found & (pc.utf8_length(local).to_numpy() >= 64)) | (pc.utf8_length(domain).to_numpy() >= 48)
        return hit, None, LENGTH
    raise ValueError(step.kind)


def _duplicates(cur: pa.Array, applies: np.ndarray, ctx: _Context) -> np.ndarray:
    """Values (case-insensitive) that more than one object carries, among the rows where the step applies."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.flatnonzero(applies)
    keys = pc.utf8_lower(cur.take(pa.array(rows))).dictionary_encode().indices.to_numpy().astype(np.int64)
    repeated = np.bincount(keys)[keys] > 1  # the value occurs twice or more: on one object, or on several
    rows, keys = rows[repeated], keys[repeated]
    owners = ctx.positions[rows].astype(np.int64)
    span = int(owners.max(initial=0)) + 1
    pairs = np.unique(keys * span + owners)  # one per (value, object)
    objects_per_key = np.bincount(pairs // span, minlength=int(keys.max(initial=0)) + 1)
    hit = np.zeros(len(cur), dtype=bool)
    hit[rows] = objects_per_key[keys] > 1
    return hit


def _rfc2822(cur: pa.Array):
    """IdFix's RFC2822Rule: top-level domain, domain part, local part, format;
    the proposal drops the characters the domain and local parts may not hold."""
    import numpy as np
    import pyarrow.compute as pc

    has_prefix = _np(pc.match_substring_regex(cur, r"^(?i:smtp):"))
    prefix = pc.if_else(has_prefix, pc.utf8_slice_codeunits(cur, 0, 5), "")
    addr = pc.if_else(has_prefix, pc.utf8_slice_codeunits(cur, 5), cur)
    flags = np.zeros(len(cur), dtype=np.int64)
    _, tld, dotted = _split(addr, ".", last=True)
    tld = pc.utf8_lower(tld)
    bad_tld = dotted & _np(pc.and_(pc.not_equal(tld, ""), pc.invert(pc.is_in(tld, value_set=_tld_array()))))
    flags[bad_tld] |= TOPLEVELDOMAIN
    bad_domain = ~_np(pc.match_substring_regex(addr, DOMAIN_PART_RE))
    flags[bad_domain] |= DOMAINPART
    local, domain, has_at = _split(addr, "@", last=True)
    # The repairs run on the few failing values only.
    fix_domain = bad_domain & has_at
    fixed_domain = _where(domain, fix_domain,
                          lambda m: pc.replace_substring_regex(_rows(domain, m), r"(?i)[^a-z0-9.-]", ""))
    addr = _where(addr, fix_domain, lambda m: pc.binary_join_element_wise(_rows(local, m), _rows(fixed_domain, m), "@"))
    bad_local = ~_np(pc.match_substring_regex(addr, LOCAL_PART_RE)) | (pc.count_substring(addr, "@").to_numpy() > 1)
    flags[bad_local] |= LOCALPART
    repair = bad_local & has_at
    addr = _where(addr, repair, lambda m: pc.replace_substring(pc.binary_join_element_wise(
        pc.replace_substring_regex(_rows(local, m), r"(?i)[^a-z0-9.!#$%&'*+/=?^_`{|}~-]", ""),
        _rows(fixed_domain, m), "@"), ".@", "@"))
    flags[~_np(pc.match_substring_regex(addr, RFC2822_RE))] |= FORMAT
    return flags != 0, lambda m: pc.binary_join_element_wise(_rows(prefix, m), _rows(addr, m), ""), flags


def _rows(values: pa.Array, mask: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return values.filter(pa.array(mask))


def _where(values: pa.Array, mask: np.ndarray, fix) -> pa.Array:
    """``values`` with the rows of ``mask`` replaced by ``fix(mask)``, the new values of those rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not mask.any():
        return values
    return pc.replace_with_mask(values, pa.array(mask), fix(mask))


@lru_cache(maxsize=1)
def _tld_array() -> pa.Array:
    import pyarrow as pa

    return pa.array(sorted(routable_tlds()), type=pa.string())


def _duplicate_sets(cur: pa.Array, hit: np.ndarray, oid: np.ndarray, dns: np.ndarray) -> dict[int, list[str]]:
    """Row (in the attribute's value list) -> DNs of every object of its duplicate set."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.flatnonzero(hit)
    keys = pc.utf8_lower(cur.take(pa.array(rows))).to_pylist()
    frame = pd.DataFrame({"row": rows, "oid": oid[rows], "key": keys, "dn": dns[rows]})
    members = frame.drop_duplicates(["key", "oid"]).groupby("key", sort=False)["dn"].agg(list)
    return {int(r): members[k] for r, k in zip(frame["row"], frame["key"])}


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
