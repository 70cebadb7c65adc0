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

import contextlib
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

#: Objects IdFix skips: common names starting with these (case-insensitive).
WELL_KNOWN_EXCLUSIONS = ("Admini", "CAS_{", "DiscoverySearchMailbox", "FederatedEmail", "Guest", "HTTPConnector",
                         "krbtgt", "iusr_", "iwam", "msol", "support_", "SystemMailbox", "WWIOadmini",
                         "HealthMailbox", "Exchange Online-ApplicationAccount")

#: .NET's ``[a-z]`` under RegexOptions.IgnoreCase | CultureInvariant: .NET lower-cases each input
#: character (invariant culture, one UTF-16 unit at a time) and tests the class, so the Kelvin sign
#: (U+212A -> k) and I with dot above (U+0130 -> i) match while the long s (U+017F, already lower
#: case) does not. RE2's and Python's ``(?i)`` fold by Unicode case orbits instead (s/S/ſ), so the
#: patterns below spell the class out and run without ``(?i)``.
AZ = "a-zA-Z\u212a\u0130"
_ATOM = f"[{AZ}0-9!#$%&'*+/=?^_`{{|}}~-]"
#: .NET's ``$`` (without Multiline) also matches before a final newline.
_END = r"\n?$"
LOCAL_PART_RE = rf"^{_ATOM}+(?:\.{_ATOM}+)*@"
DOMAIN_PART_RE = rf"@(?:[{AZ}0-9](?:[{AZ}0-9-]*[{AZ}0-9])?\.)+(?:[{AZ}]{{2,17}}){_END}"
RFC2822_RE = rf"^{_ATOM}+(?:\.{_ATOM}+)*@(?:[{AZ}0-9](?:[{AZ}0-9-]*[{AZ}0-9])?\.)+(?:[{AZ}]{{2,17}}){_END}"
#: What RFC2822Rule removes from the domain part and from the local part.
NOT_DOMAIN_CHAR = f"[^{AZ}0-9.-]"
NOT_LOCAL_CHAR = f"[^{AZ}0-9.!#$%&'*+/=?^_`{{|}}~-]"
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
    rfc2822, blank or periods; ``arg`` its parameter; ``when`` limits it to
    values of a proxy type (``smtp``, ``x400x500``, ``other``)."""

    kind: str
    arg: object = None
    when: str | None = None


def _proxy_steps(smtp_chars: str | None, other_chars: str | None) -> tuple[Step, ...]:
    steps = (Step("maxlen", 256), Step("colons"), Step("duplicate"))
    if smtp_chars is None:  # dedicated: no character rule, RFC 2822 for SMTP values
        return (*steps, Step("rfc2822", None, "smtp"))
    return (*steps, Step("regex", smtp_chars, "smtp"), Step("rfc2822", None, "smtp"),
            Step("regex", INVALID_PROXY_X400_X500, "x400x500"), Step("regex", other_chars, "other"))


#: Per rule set: attribute -> its chain, in IdFix's order (Rules/MultiTenantRuleCollection.cs,
#: Rules/DedicatedRuleCollection.cs and the composed rules they build).
RULES: dict[str, dict[str, tuple[Step, ...]]] = {
    "multi-tenant": {
        "displayName": (Step("maxlen", 255), Step("blank", "cn")),
        "givenName": (Step("maxlen", 63),),
        "mail": (Step("maxlen", 256), Step("duplicate")),
        "mailNickname": (Step("maxlen", 64), Step("regex", r"^[.]+"), Step("duplicate")),
        "proxyAddresses": _proxy_steps(INVALID_PROXY_SMTP, INVALID_PROXY_OTHER),
        "sAMAccountName": (Step("maxlen", "sam"), Step("regex", INVALID_SAM), Step("duplicate", "no-upn")),
        "targetAddress": (Step("maxlen", 255), Step("colons"), Step("duplicate"),
                          Step("regex", INVALID_TARGET_SMTP, "smtp"), Step("rfc2822", None, "smtp"),
                          Step("regex", INVALID_TARGET_OTHER, "x400x500"), Step("regex", INVALID_TARGET_OTHER, "other")),
        "userPrincipalName": (Step("maxlen", 113), Step("regex", INVALID_UPN), Step("rfc2822"), Step("duplicate")),
    },
    "dedicated": {
        "displayName": (Step("maxlen", 256), Step("regex", f"^[{WHITE_SPACE}]+|[{WHITE_SPACE}]+$"),
                        Step("blank", "group")),
        "mail": (Step("maxlen", 256), Step("regex", f"[{WHITE_SPACE}]"), Step("rfc2822"), Step("duplicate")),
        "mailNickname": (Step("maxlen", 64), Step("regex", INVALID_NICKNAME_DEDICATED), Step("duplicate"),
                         Step("blank", "contact"), Step("periods")),
        "proxyAddresses": _proxy_steps(None, None),
        "targetAddress": (Step("maxlen", 256), Step("blank", "no-homemdb"), Step("rfc2822", None, "smtp")),
    },
}
RULE_SETS = tuple(RULES)
#: The error types each kind of step can record.
STEP_ERRORS = {"maxlen": LENGTH, "regex": CHARACTER, "colons": CHARACTER, "periods": FORMAT,
               "duplicate": DUPLICATE, "blank": BLANK, "rfc2822": FORMAT | TOPLEVELDOMAIN | DOMAINPART | LOCALPART}
#: IdFix's ErrorType names, in the order .NET writes a combination of flags ("Format, TopLevelDomain").
DOTNET_NAMES = ((FORMAT, "Format"), (BLANK, "Blank"), (DUPLICATE, "Duplicate"), (CHARACTER, "Character"),
                (TOPLEVELDOMAIN, "TopLevelDomain"), (DOMAINPART, "DomainPart"), (LOCALPART, "LocalPart"),
                (LENGTH, "Length"))
#: IdFix's ActionType names (its PROPOSEDACTION column).
EDIT, COMPLETE, REMOVE = "Edit", "Complete", "Remove"


def rule_inputs(rule_set: str, attribute: str) -> tuple[str, ...]:
    """The attributes the chain of ``attribute`` reads: the attribute itself;
    userPrincipalName for sAMAccountName (its duplicate rule runs where the UPN
    is empty); homeMDB, givenName, sn and sAMAccountName where a rule or a
    proposal reads them; mail for every dedicated rule (IdFix's
    dedicated scan reads only objects with a mail value)."""
    steps = RULES[rule_set][attribute]
    extra: list[str] = []
    if attribute == "sAMAccountName":
        extra.append("userPrincipalName")
    if any(s.kind == "blank" and s.arg == "no-homemdb" for s in steps):
        extra.append("homeMDB")
    if any(s.kind == "blank" and s.arg == "contact" for s in steps):
        extra += ["givenName", "sn", "sAMAccountName"]
    if rule_set == "dedicated":
        extra.append("mail")
    return tuple(dict.fromkeys((attribute, *extra)))


def rule_errors(rule_set: str, attribute: str) -> int:
    """The error types (flags) the chain of ``attribute`` can record."""
    bits = 0
    for step in RULES[rule_set][attribute]:
        bits |= STEP_ERRORS[step.kind]
    return bits


def dotnet_flags(bits: int) -> str:
    """One rule's ErrorType flags as .NET's Enum.ToString writes them: ``"Format, TopLevelDomain"``."""
    return ", ".join(name for flag, name in DOTNET_NAMES if bits & flag)


@lru_cache(maxsize=1)
def routable_tlds() -> frozenset[str]:
    """Top-level labels of the Public Suffix List (tldextract's bundled snapshot;
    no network), as IdFix's ValidTLDList: ``.local``, ``.corp``, ``.lan`` are not
    in it. An internationalized label is held in both its spellings (``рф`` and
    ``xn--p1ai``), so an address is judged the same whichever it uses."""
    import tldextract

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)
    out: set[str] = set()
    for suffix in extract.tlds:
        label = suffix.rsplit(".", 1)[-1].lower()
        out.add(label)
        with contextlib.suppress(UnicodeError):  # a label the idna codec refuses: its one spelling
            out.add(label.encode("idna").decode("ascii") if not label.isascii() else
                    label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
    return frozenset(out)


def primary_class(objects: pd.DataFrame) -> pd.Series:
    """user, contact, group or the last objectClass value of each object."""
    def pick(classes: tuple[str, ...]) -> str:
        for c in ("contact", "group", "computer", "user", "inetorgperson"):
            if c in classes:
                return "user" if c == "inetorgperson" else c
        return classes[-1] if classes else ""

    return objects["objectClass"].map(pick)


def scan_scope(objects: pd.DataFrame, rule_set: str = "multi-tenant") -> pd.DataFrame:
    """The objects IdFix checks, as IdFix 2.6 selects them (``Skip`` of
    Rules/*RuleCollection.cs, the LDAP filter of Settings/SettingsManager.cs).

    Both rule sets: users, contacts and groups (its filter reads objectCategory
    Person or Group: not computers), less the well-known exclusions (common names
    starting Admini, CAS_{, krbtgt, SystemMailbox…, or ending in ``$``) and critical
    system objects. Multi-tenant also skips users whose sAMAccountName starts with
    ``CAS_``, ``SUPPORT_`` or ``MSOL_``, whose mailNickname starts with ``CAS_`` or
    ``SystemMailbox``, hidden users whose displayName starts with ``MSOL``; security
    groups (groupType < 0) without mail and distribution groups without
    proxyAddresses (without groupType, as in an export that left it out: groups
    with neither). Dedicated reads only objects with a mail value (``mail=*``).
    Replication-conflict objects (``\\0ACNF:`` in the DN) are checked: IdFix's test
    for them looks for a NUL character, which a DN never holds, so IdFix reports
    them, and their copies of the original's addresses are real duplicates.

    Adds ``object_class`` (user, contact or group) and ``idfix_class`` (the last
    objectClass value, what IdFix's class-dependent rules test).
    """
    import re

    import pandas as pd

    kind = primary_class(objects)
    last = objects["objectClass"].map(lambda classes: classes[-1].lower() if classes else "")

    def starts(column: str, prefixes) -> pd.Series:  # IdFix: ToUpperInvariant().StartsWith(…, IgnoreCase)
        return objects[column].str.upper().str.match("|".join(re.escape(p.upper()) for p in prefixes)).fillna(False)

    cn = objects["cn"]
    excluded = cn.str.endswith("$").fillna(False) | starts("cn", WELL_KNOWN_EXCLUSIONS)
    excluded |= objects["isCriticalSystemObject"].fillna(False).astype(bool)
    if rule_set == "dedicated":
        excluded |= objects["mail"] == ""
    else:
        user = last == "user"
        hidden = objects["msExchHideFromAddressLists"].fillna(False).astype(bool)
        excluded |= user & (starts("sAMAccountName", ("CAS_", "SUPPORT_", "MSOL_"))
                            | starts("mailNickname", ("CAS_", "SYSTEMMAILBOX"))
                            | (hidden & starts("displayName", ("MSOL",))))
        no_mail, no_proxies = objects["mail"] == "", objects["proxyAddresses"].map(len) == 0
        if "groupType" in objects:
            group_type = objects["groupType"]
            security = (group_type < 0).fillna(False).astype(bool)
            unknown_type = group_type.isna()
        else:
            security, unknown_type = pd.Series(False, index=objects.index), pd.Series(True, index=objects.index)
        excluded |= (kind == "group") & ((security & no_mail) | (~security & ~unknown_type & no_proxies)
                                         | (unknown_type & no_mail & no_proxies))
    keep = (kind.isin(["user", "contact", "group"]) & ~excluded.fillna(False).astype(bool)).to_numpy(dtype=bool)
    return objects[keep].assign(object_class=kind[keep], idfix_class=last[keep])


def run_rules(objects: pd.DataFrame, rule_set: str = "multi-tenant", skip: Iterable[str] = ()) -> pd.DataFrame:
    """Run every IdFix rule of ``rule_set`` over ``objects`` (a scan_scope frame),
    but those of the attributes in ``skip`` (values the source does not hold).

    Returns one row per failing value: ``oid`` (the object's index label),
    ``dn``, ``object_class``, ``attribute``, ``value`` (as stored), ``update``
    (IdFix's proposed value: its UPDATE column), ``errors`` (ErrorType flags),
    ``error`` (IdFix's ERROR column: the flags of each failing rule in chain
    order, ``"Character, TopLevelDomain"``), ``action`` (IdFix's proposed action:
    Edit, Complete or Remove) and ``duplicates`` (for duplicate values: the DNs
    of every object of the set).

    Raises:
        ValueError: unknown rule set.
    """
    import pandas as pd

    if rule_set not in RULES:
        raise ValueError(f"unknown IdFix rule set {rule_set!r}; choose {' or '.join(RULE_SETS)}")
    if rule_set == "dedicated":  # IdFix's dedicated filter: (mail=*)
        objects = objects[(objects["mail"] != "").to_numpy(dtype=bool)]
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


#: An SMTP address, as preflight tells it: ``smtp:`` (any case) ends the text before the first colon,
#: so " SMTP:" is one (IdFix trims the prefix) and "X500:/o=…/cn=smtp:…" is not. IdFix's SMTPRegex
#: finds ``smtp:`` anywhere in the value, and then checks what follows the *first* colon as an address.
SMTP_PREFIX_RE = r"^[^:]*[sS][mM][tT][pP]:"
#: IdFix's X.400 / X.500 tests (ProxyAddressComposedRule): the value starts x400, x.400, x500 or x.500.
X400_X500_RE = r"^[xX]\.?[45]00"


def _proxy_type(values: pa.Array) -> np.ndarray:
    """``smtp``, ``x400x500`` or ``other`` for each value (see :data:`SMTP_PREFIX_RE`)."""
    import numpy as np
    import pyarrow.compute as pc

    smtp = _np(pc.match_substring_regex(values, SMTP_PREFIX_RE))
    x400 = _np(pc.match_substring_regex(values, X400_X500_RE))
    return np.where(smtp, "smtp", np.where(x400, "x400x500", "other"))


def _longer(values: pa.Array, limit) -> np.ndarray:
    """Which values are longer than ``limit`` (an int, or one per value) in UTF-16 code units, as
    .NET's String.Length counts: a character outside the Basic Multilingual Plane (an emoji) counts
    two. A value has at least as many UTF-8 bytes as UTF-16 code units, so only the values with more
    bytes than the limit (read from the offsets, no scan) are measured."""
    import numpy as np
    import pyarrow.compute as pc

    limit = np.asarray(limit)
    over = pc.binary_length(values).to_numpy(zero_copy_only=False) > limit
    if over.any():
        some = _rows(values, over)
        units = pc.utf8_length(some).to_numpy(zero_copy_only=False) + pc.count_substring_regex(
            some, "[\U00010000-\U0010ffff]").to_numpy(zero_copy_only=False)
        over[over] = units > (limit[over] if limit.ndim else limit)
    return over


def utf16_prefix(value: str, units: int) -> str:
    """The first ``units`` UTF-16 code units of ``value`` (.NET's Substring(0, units)), less a
    high surrogate left alone at the end: the cut never splits a character (IdFix's would)."""
    data = value.encode("utf-16-le")[: 2 * units]
    if len(data) >= 2 and 0xD8 <= data[-1] <= 0xDB:
        data = data[:-2]
    return data.decode("utf-16-le")


def _truncate(values: pa.Array, limits) -> pa.Array:
    """Each value cut to its limit (an int, or one per value) in UTF-16 code units."""
    import numpy as np
    import pyarrow as pa

    limits = np.broadcast_to(np.asarray(limits), (len(values),))
    return pa.array([utf16_prefix(v, int(n)) for v, n in zip(values.to_pylist(), limits, strict=True)], type=pa.string())


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
    last_step = np.full(len(cur), -1)
    dup_action: dict[int, str] = {}
    hits: list[tuple[np.ndarray, object]] = []  # per step that failed somewhere: (rows, bits)
    context = _Context(objects, oid)
    ptype = _proxy_type(cur) if attribute in ("proxyAddresses", "targetAddress") else None
    duplicate_sets: dict[int, list[str]] = {}
    for i, step in enumerate(steps):
        applies = present.copy() if step.kind != "blank" else ~present
        if step.when is not None:
            applies &= ptype == step.when
        if step.kind == "duplicate" and step.arg == "no-upn":  # SamAccountNameDuplicateRule
            applies &= _np(pc.equal(context.text("userPrincipalName"), ""))
        if not applies.any():
            continue
        hit, propose, bit = _apply(step, cur, applies, context)
        hit &= applies
        if not hit.any():
            continue
        if step.kind == "duplicate":
            duplicate_sets.update(_duplicate_sets(cur, hit, oid, context))
            dup_action.update(zip(np.flatnonzero(hit).tolist(), _duplicate_action(attribute, cur, hit, context),
                                  strict=True))
        rows = np.flatnonzero(hit)
        hits.append((rows, bit[rows] if isinstance(bit, np.ndarray) else bit))
        flags[hit] |= bit[hit] if isinstance(bit, np.ndarray) else bit
        last_step[hit] = i
        if propose is not None:
            cur = _where(cur, hit, propose)
    failing = np.flatnonzero(flags)
    take = pa.array(failing)
    update = cur.take(take).to_pylist()
    value = original.take(take).to_pylist()
    out = pd.DataFrame({
        "oid": oid[failing],
        "value": value,
        # never an empty proposal for a value that was not empty (IdFix's fixers fall back to cn)
        "update": [u if u or not v else v for u, v in zip(update, value, strict=True)],
        "errors": flags[failing],
        "attribute": attribute,
        "dn": context.values("dn", failing),
        "object_class": context.values("object_class", failing),
    })
    out["error"] = _error_names(hits, failing)
    out["duplicates"] = [duplicate_sets.get(int(i), []) for i in failing]
    out["action"] = [dup_action[r] if steps[s].kind == "duplicate" else EDIT
                     for r, s in zip(failing.tolist(), last_step[failing].tolist(), strict=True)]
    return out


def _error_names(hits: list[tuple[np.ndarray, object]], failing: np.ndarray) -> list[str]:
    """IdFix's ERROR text per failing row: the flags of each failing rule, in chain order, joined by ", "."""
    import numpy as np

    names: list[list[str]] = [[] for _ in failing]
    where = {int(r): k for k, r in enumerate(failing)}
    for rows, bits in hits:
        per_row = np.broadcast_to(np.asarray(bits), (len(rows),))
        for r, b in zip(rows.tolist(), per_row.tolist(), strict=True):
            names[where[r]].append(dotnet_flags(int(b)))
    return [", ".join(n) for n in names]


class _Context:
    """Columns of each value's object, aligned with the attribute's values, made on first use."""

    def __init__(self, objects: pd.DataFrame, oid: np.ndarray) -> None:
        import pyarrow as pa

        self.objects = objects
        self.positions = objects.index.get_indexer(oid)
        self._take = pa.array(self.positions)
        self._texts: dict[str, pa.Array] = {}

    def values(self, name: str, rows: np.ndarray) -> np.ndarray:
        """The column ``name`` of the objects of the values ``rows``."""
        return self.objects[name].iloc[self.positions[rows]].to_numpy()

    def is_class(self, name: str) -> np.ndarray:
        """Whether each value's object has ``name`` as its last objectClass (IdFix's object type)."""
        import pyarrow.compute as pc

        column = "idfix_class" if "idfix_class" in self.objects else "object_class"
        return _np(pc.equal(self.text(column), name))

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

    if step.kind == "maxlen":  # StringMaxLengthRule: .NET's Length, in UTF-16 code units
        limit = np.where(ctx.is_class("user"), 20, 256) if step.arg == "sam" else step.arg
        hit = _longer(cur, limit)
        return hit, lambda m: _truncate(_rows(cur, m), limit[m] if isinstance(limit, np.ndarray) else limit), LENGTH
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
        return _duplicates(cur, applies), None, DUPLICATE
    if step.kind == "rfc2822":
        return _rfc2822(cur)
    if step.kind == "blank":
        n = len(cur)
        if step.arg == "cn":
            return np.ones(n, dtype=bool), lambda m: _rows(ctx.cn, m), BLANK
        if step.arg == "group":  # DisplayNameBlankRule: groups; the common name, cut to 255
            return ctx.is_class("group"), lambda m: _truncate(_rows(ctx.cn, m), 255), BLANK
        if step.arg == "contact":  # MailNicknameBlankRule: contacts; givenName.sn, sn, givenName, sAMAccountName, cn
            return ctx.is_class("contact"), lambda m: _nickname_proposal(ctx, m), BLANK
        # no-homemdb (TargetAddressBlankRule): contacts, and users without a mailbox; for a contact IdFix
        # proposes SMTP:<mail> cut to 256, for a user nothing
        home = _np(pc.not_equal(pc.utf8_trim_whitespace(ctx.text("homeMDB")), ""))
        contact = ctx.is_class("contact")
        hit = (contact | ctx.is_class("user")) & ~home

        def smtp_mail(m):
            mail = _rows(ctx.text("mail"), m)
            proposal = _truncate(pc.binary_join_element_wise("SMTP", mail, ":"), 256)
            return pc.if_else(pa_bool(contact[m]), proposal, "")
        return hit, smtp_mail, BLANK
    if step.kind == "periods":
        # MailNickNamePeriodsRule: may not begin or end with a period. IdFix 2.6 builds this error and
        # drops it (the rule always succeeds); preflight reports it, with the value IdFix's fixer makes.
        hit = _np(pc.or_(pc.starts_with(cur, "."), pc.ends_with(cur, ".")))

        def trimmed(m):
            cn = _rows(ctx.cn, m)
            head = pc.utf8_ltrim(_rows(cur, m), ".")
            head = pc.if_else(pc.equal(head, ""), cn, head)
            tail = pc.utf8_rtrim(head, ".")
            return pc.if_else(pc.equal(tail, ""), cn, tail)
        return hit, trimmed, FORMAT
    raise ValueError(step.kind)


def pa_bool(mask: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return pa.array(mask, type=pa.bool_())


def _nickname_proposal(ctx: _Context, m: np.ndarray) -> pa.Array:
    """MailNicknameBlankRule's value: givenName.sn, sn or givenName; else sAMAccountName; else cn."""
    import pyarrow.compute as pc

    given, sn = _rows(ctx.text("givenName"), m), _rows(ctx.text("sn"), m)
    both = pc.and_(pc.not_equal(given, ""), pc.not_equal(sn, ""))
    names = pc.if_else(both, pc.binary_join_element_wise(given, sn, "."), pc.binary_join_element_wise(given, sn, ""))
    sam = _rows(ctx.text("sAMAccountName"), m)
    return pc.if_else(pc.not_equal(names, ""), names, pc.if_else(pc.not_equal(sam, ""), sam, _rows(ctx.cn, m)))


def _duplicates(cur: pa.Array, applies: np.ndarray) -> np.ndarray:
    """Values (case-insensitive) that occur more than once among the rows where the step applies,
    on one object or on several: IdFix's DuplicateStore keys a value by attribute, not by object."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.flatnonzero(applies)
    keys = pc.utf8_lower(cur.take(pa.array(rows))).dictionary_encode().indices.to_numpy().astype(np.int64)
    hit = np.zeros(len(cur), dtype=bool)
    hit[rows] = np.bincount(keys)[keys] > 1
    return hit


def _duplicate_action(attribute: str, cur: pa.Array, hit: np.ndarray, ctx: _Context) -> list[str]:
    """NoDuplicatesRule's action for the rows of ``hit``: Edit, unless the value is, unchanged, the
    object's first value of the attribute; then, by attribute: proxyAddresses with ``smtp:`` in it —
    Complete where the object has a mailNickname and the value starts ``smtp:`` (any case), Remove
    where it has none; userPrincipalName, mail, sAMAccountName — Complete with a mailNickname;
    mailNickname — Complete with a homeMDB."""
    import numpy as np

    rows = np.flatnonzero(hit)
    value = _rows(cur, hit).to_pylist()
    column = ctx.values(attribute, rows)
    first = [(c[0] if len(c) else "") if attribute == "proxyAddresses" else (c or "") for c in column]
    nick = ctx.values("mailNickname", rows) != ""
    home = ctx.values("homeMDB", rows) != ""
    out = []
    for v, f, has_nick, has_home in zip(value, first, nick, home, strict=True):
        action = EDIT
        if v == f:
            if attribute == "proxyAddresses" and "smtp:" in v.lower():
                action = (COMPLETE if v.lower()[:5] == "smtp:" else EDIT) if has_nick else REMOVE
            elif ((attribute in ("userPrincipalName", "mail", "sAMAccountName") and has_nick)
                  or (attribute == "mailNickname" and has_home)):
                action = COMPLETE
        out.append(action)
    return out


def _rfc2822(cur: pa.Array):
    """IdFix's RFC2822Rule: top-level domain, domain part, local part, format;
    the proposal drops the characters the domain and local parts may not hold.
    An SMTP value (:data:`SMTP_PREFIX_RE`) is checked after its first colon; the
    proposal keeps its prefix, trimmed."""
    import numpy as np
    import pyarrow.compute as pc

    has_prefix = _np(pc.match_substring_regex(cur, SMTP_PREFIX_RE))
    addr = _where(cur, has_prefix, lambda m: pc.replace_substring_regex(_rows(cur, m), "^[^:]*:", "", max_replacements=1))
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
    fixed_domain = _where(domain, fix_domain, lambda m: pc.replace_substring_regex(_rows(domain, m), NOT_DOMAIN_CHAR, ""))
    addr = _where(addr, fix_domain, lambda m: pc.binary_join_element_wise(_rows(local, m), _rows(fixed_domain, m), "@"))
    bad_local = ~_np(pc.match_substring_regex(addr, LOCAL_PART_RE)) | (pc.count_substring(addr, "@").to_numpy() > 1)
    flags[bad_local] |= LOCALPART
    repair = bad_local & has_at
    addr = _where(addr, repair, lambda m: pc.replace_substring(pc.binary_join_element_wise(
        pc.replace_substring_regex(_rows(local, m), NOT_LOCAL_CHAR, ""), _rows(fixed_domain, m), "@"), ".@", "@"))
    flags[~_np(pc.match_substring_regex(addr, RFC2822_RE))] |= FORMAT

    def propose(m):  # the prefix as IdFix keeps it: up to the first colon, trimmed
        head = pc.utf8_trim_whitespace(pc.replace_substring_regex(_rows(cur, m), "(?s):.*", "", max_replacements=1))
        prefix = pc.if_else(pa_bool(has_prefix[m]), pc.binary_join_element_wise(head, "", ":"), "")
        return pc.binary_join_element_wise(prefix, _rows(addr, m), "")
    return flags != 0, propose, flags


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


def _duplicate_sets(cur: pa.Array, hit: np.ndarray, oid: np.ndarray, ctx: _Context) -> dict[int, list[str]]:
    """Row (in the attribute's value list) -> DNs of every object of its duplicate set."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.flatnonzero(hit)
    keys = pc.utf8_lower(cur.take(pa.array(rows))).to_pylist()
    frame = pd.DataFrame({"row": rows, "oid": oid[rows], "key": keys, "dn": ctx.values("dn", rows)})
    members = frame.drop_duplicates(["key", "oid"]).groupby("key", sort=False)["dn"].agg(list)
    return {int(r): members[k] for r, k in zip(frame["row"], frame["key"], strict=True)}
