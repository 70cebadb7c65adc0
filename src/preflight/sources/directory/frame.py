"""The shared builder of the export readers: raw text columns to the
validated :class:`~preflight.sources.schemas.DirectoryObjects` frame, typed
column-wise (each distinct text parsed once)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ...registry import SourceError
from ..schemas import DIRECTORY_BOOLS, DIRECTORY_INTS, DIRECTORY_LISTS, DIRECTORY_STRINGS, DirectoryObjects

_RDN_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*((?:\\.|[^,+\\])*)")
_ESCAPE_RE = re.compile(r"\\([0-9A-Fa-f]{2}(?:\\[0-9A-Fa-f]{2})*|.)")
_BOOLS = {"TRUE": True, "FALSE": False}
_VALIDATE_ROWS = 10_000


def build(cols: dict[str, pd.Series], name: str, where: Callable[[int], str]) -> pd.DataFrame:
    """The DirectoryObjects frame from raw text columns (strings, ints, bools as
    written; lists already tuples), validated. Absent columns are empty; an
    empty ``cn`` is the value of the DN's first RDN."""
    dn = cols["dn"]
    n = len(dn)
    if not n:
        raise SourceError(f"{name}: the export is empty: it holds no directory objects (check the search base "
                          "and filter of the export command, and that it ran to the end)")
    index = pd.RangeIndex(n)
    dn_values = dn.tolist()
    empty = list(_positions(dn_values, ""))
    if empty:
        raise SourceError(f"{name}: {where(empty[0])} has an empty DN")
    folded = pd.Series(list(map(str.casefold, dn_values)), dtype=object)
    dup = folded.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise SourceError(f"{name}: the DN {dn_values[i]} occurs twice ({where(i)})")

    out: dict[str, Any] = {}
    blank = pd.array([""] * n, dtype="string")
    for c in DIRECTORY_STRINGS:
        out[c] = cols[c].reset_index(drop=True).astype("string").array if c in cols else blank
    missing_cn = (out["cn"] == "").to_numpy()
    if missing_cn.any():  # not exported: the first RDN's value (cn is the RDN of users, contacts, groups)
        rows = np.flatnonzero(missing_cn)
        derived = _from_uniques([dn_values[i] for i in rows], _rdn_value, "string")
        cn = out["cn"].copy()
        cn[rows] = derived
        out["cn"] = cn
    for c in DIRECTORY_LISTS:
        out[c] = cols[c].reset_index(drop=True) if c in cols else pd.Series(tuples([()] * n), dtype=object)
    for c in DIRECTORY_INTS:
        out[c] = _parse(cols.get(c), n, _int, "Int64", name, c, where, "an integer")
    for c in DIRECTORY_BOOLS:
        parse = _presence if c == "hasMasterAccountSid" else _bool
        out[c] = _parse(cols.get(c), n, parse, "boolean", name, c, where, "TRUE or FALSE")
    frame = pd.DataFrame(out, index=index, copy=False)
    try:
        # The columns' dtypes are the frame's, so a head sample checks them all; the
        # schema's one per-row rule (unique dn) was checked above, case-insensitively,
        # and string columns hold no NA by construction. Validating 10^6 rows whole
        # would add ~1 s for nothing more.
        DirectoryObjects.validate(frame.head(_VALIDATE_ROWS))
        return frame
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:  # a bug here, not in the file; keep the reason
        raise SourceError(f"{name}: the export does not give valid directory data: {first_line(exc)}") from None


def _parse(column: pd.Series | None, n: int, parse: Callable[[str], Any], dtype: str, name: str, attribute: str,
           where: Callable[[int], str], expected: str):
    """Parse each distinct text of ``column`` once; an unparsable one is an error at its first row."""
    if column is None:
        return pd.array([None] * n, dtype=dtype)
    codes, uniques = pd.factorize(column, sort=False)
    parsed = []
    for k, text in enumerate(uniques.tolist()):
        try:
            parsed.append(parse(text))
        except ValueError:
            i = int(np.flatnonzero(codes == k)[0])
            raise SourceError(f"{name}: {attribute} is {text!r}, not {expected}, in {where(i)}") from None
    return pd.array(parsed + [None], dtype=dtype).take(codes)  # -1 -> the trailing None


def _from_uniques(values: list[str], fn: Callable[[str], str], dtype: str):
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return pd.array([fn(u) for u in uniques.tolist()] + [""], dtype=dtype).take(codes)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def _bool(text: str) -> bool | None:
    text = text.strip().upper()
    if not text:
        return None
    if text not in _BOOLS:
        raise ValueError(text)
    return _BOOLS[text]


def _presence(text: str) -> bool | None:
    """msExchMasterAccountSid: any value (X'hex', a SID, ``True``) is presence;
    empty or ``False`` (the ``[bool]`` of an absent SID) is absence."""
    return None if text.strip().upper() in ("", "FALSE") else True


def _rdn_value(dn: str) -> str:
    """The value of a DN's first RDN, unescaped (``CN=Doe\\, John,…`` -> ``Doe, John``)."""
    m = _RDN_RE.match(dn)
    if not m:
        return ""
    return _ESCAPE_RE.sub(_unescape, m.group(1)).strip()


def _unescape(m: re.Match[str]) -> str:
    s = m.group(1)
    if len(s) == 1:
        return s
    try:
        return bytes.fromhex(s.replace("\\", "")).decode("utf-8")
    except ValueError:
        return s


def _positions(values: list[str], wanted: str) -> Iterable[int]:
    start = 0
    while True:
        try:
            i = values.index(wanted, start)
        except ValueError:
            return
        yield i
        start = i + 1


def tuples(items: list[tuple]) -> np.ndarray:
    """A 1-D object array of tuples (``np.array`` would make a 2-D array of equal-length ones)."""
    return np.fromiter(items, dtype=object, count=len(items))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
