"""Directory sources: live AD over LDAP, and offline exports (ldifde LDIF,
csvde CSV, Get-ADUser CSV). Every source gives the same normalized data, a
:class:`preflight.sources.schemas.DirectoryObjects` frame, through the
:class:`DirectorySource` interface, so every check runs on either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from collections.abc import Iterable

if TYPE_CHECKING:
    import pandas as pd


class DirectorySource(Protocol):
    """What checks' providers may ask of a directory source (read-only)."""

    def lookup(self, addresses: Iterable[str]) -> pd.DataFrame:
        """Objects whose ``mail`` or an ``smtp:`` proxyAddress equals one of
        ``addresses`` (case-insensitive), as a DirectoryObjects frame."""

    def lookup_dns(self, dns: Iterable[str]) -> pd.DataFrame:
        """Objects with these distinguished names (case-insensitive)."""

    def lookup_reports(self, manager_dns: Iterable[str]) -> pd.DataFrame:
        """Objects whose ``manager`` is one of ``manager_dns`` (direct reports)."""

    def read_all(self, base: str | None = None) -> pd.DataFrame:
        """Every object (under ``base`` when given) as a DirectoryObjects frame."""

    def describe(self) -> dict[str, Any]:
        """For ``Report.inputs``: ``{"kind": "directory", ...}``, never a secret."""

    # Optional: a source that may lack attributes (an export) also has
    #   unknown(attributes: Iterable[str]) -> str | None
    # None when it holds every one of ``attributes`` (normalized column names),
    # else the reason the checks that need them are skipped. A source without
    # it (an LDAP search returns every attribute asked for) holds them all;
    # read it through :func:`unknown`.


def unknown(source: Any, attributes: Iterable[str]) -> str | None:
    """Why ``source`` cannot give ``attributes`` (normalized column names), or
    None when it holds them all (a value it lacks for an object is then a known
    empty value)."""
    ask = getattr(source, "unknown", None)
    return ask(attributes) if ask is not None else None


class FrameSource:
    """A directory held in memory as a DirectoryObjects frame (what the export
    readers produce); lookups are vectorized pandas filters.

    Args:
        frame: a validated DirectoryObjects frame.
        description: the ``describe()`` mapping (e.g. ``{"kind": "directory",
            "format": "ldif", "path": ...}``).
    """

    def __init__(self, frame: pd.DataFrame, description: dict[str, Any]):
        self.frame = frame
        self.description = description
        self._dn_key = frame["dn"].str.casefold()

    def lookup(self, addresses: Iterable[str]) -> pd.DataFrame:
        wanted = {a.strip().casefold() for a in addresses if a and a.strip()}
        f = self.frame
        exploded = f["proxyAddresses"].explode().dropna().astype("string")
        smtp = exploded[exploded.str.slice(0, 5).str.casefold() == "smtp:"].str.slice(5).str.casefold()
        hit_index = set(smtp[smtp.isin(wanted)].index) | set(f.index[f["mail"].str.casefold().isin(wanted)])
        return f.loc[sorted(hit_index)]

    def lookup_dns(self, dns: Iterable[str]) -> pd.DataFrame:
        wanted = {d.casefold() for d in dns if d}
        return self.frame[self._dn_key.isin(wanted)]

    def lookup_reports(self, manager_dns: Iterable[str]) -> pd.DataFrame:
        wanted = {d.casefold() for d in manager_dns if d}
        return self.frame[self.frame["manager"].str.casefold().isin(wanted)]

    def read_all(self, base: str | None = None) -> pd.DataFrame:
        if base is None:
            return self.frame
        suffix = "," + base.casefold()
        return self.frame[self._dn_key.str.endswith(suffix) | (self._dn_key == base.casefold())]

    def describe(self) -> dict[str, Any]:
        return dict(self.description)
