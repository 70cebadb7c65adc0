"""Providers of the directory data the PF2xx (and PF3xx, PF4xx) checks ask for.

``directory``
    the configured :class:`~preflight.sources.directory.DirectorySource`:
    ``[directory] source`` is an ``ldaps://``/``ldap://`` URL (live AD through
    ldap3), the path of an ldifde/csvde/Get-ADUser export, or (Python API) a
    DirectorySource object. Missing when none is given; SourceError when it
    cannot be opened.
``batch_directory``
    :class:`BatchDirectory`: every EmailAddress of the run's batch files and the
    directory objects that carry it, from one batched lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...registry import Missing, provider

if TYPE_CHECKING:
    import pandas as pd


@provider("directory")
def directory(config):
    source = config.directory.get("source")
    if not source:
        raise Missing("no directory given (--directory ldaps://… or an ldifde/csvde export)")
    if isinstance(source, (list, tuple)) or (isinstance(source, str) and "://" not in source):
        # --directory given more than once: the user directory and Exchange organization exports
        from ...sources.directory.configuration import split_sources

        source, _ = split_sources(source, config.path)
        if source is None:
            raise Missing("no user directory given (--directory: only Exchange organization exports)")
    if not isinstance(source, str):  # a DirectorySource object given through the Python API
        return source
    if "://" in source:
        from ...sources.directory.ldap import LdapSource

        options = dict(config.directory)
        if options.get("ca_file"):  # relative to the config file that names it
            options["ca_file"] = str(config.path(options["ca_file"]))
        return LdapSource.from_config(options)
    from ...sources.directory.exports import read_export

    return read_export(config.path(source))


@dataclass(frozen=True)
class BatchDirectory:
    """The batch rows and the directory objects their addresses resolve to.

    Attributes:
        rows: one row per batch record with a non-empty EmailAddress — columns
            ``path``, ``row``, ``line``, ``address`` (as written, stripped) and
            ``key`` (case-folded); index ``rid`` 0..n-1.
        objects: a DirectoryObjects frame of every object found; index ``oid``.
        matches: ``rid``, ``oid`` pairs: the object carries the row's address as
            ``mail`` or as an ``smtp:`` proxy address (case-insensitive).
        directory: the DirectorySource they come from (for :meth:`require`).
    """

    rows: pd.DataFrame
    objects: pd.DataFrame
    matches: pd.DataFrame
    directory: Any = None

    def require(self, *attributes: str) -> None:
        """Raise :class:`Missing` (the check is skipped, with the reason) when the
        directory does not hold one of ``attributes`` or of :data:`ADDRESS_ATTRIBUTES`,
        which every row's resolution reads: an attribute an export left out is
        unknown, not empty."""
        require(self.directory, *ADDRESS_ATTRIBUTES, *attributes)

    def resolved(self) -> pd.DataFrame:
        """Rows with exactly one object, joined with that object's attributes
        (columns of ``rows`` plus every DirectoryObjects column and ``oid``)."""
        counts = self.matches["rid"].value_counts()
        single = self.matches[self.matches["rid"].map(counts) == 1]
        out = self.rows.loc[single["rid"]].assign(oid=single["oid"].to_numpy())
        return out.join(self.objects, on="oid")

    def describe(self) -> dict[str, object]:
        """For ``Report.inputs``: the first row of each batch file that resolved to
        each object (merged by the runner into the batch inputs as
        ``"objects": {dn: {"row", "line"}}``), so a report can place an object's
        finding on the batch row that led to it."""
        first = self.matches.merge(self.rows[["path"]], left_on="rid", right_index=True).drop_duplicates(["path", "oid"])
        rows = self.rows.loc[first["rid"].to_numpy()]
        dns = self.objects["dn"].loc[first["oid"].to_numpy()].to_numpy()
        out: dict[str, dict[str, dict[str, int]]] = {}
        for dn, p, r, ln in zip(dns, rows["path"], rows["row"], rows["line"], strict=True):
            out.setdefault(str(p), {})[str(dn)] = {"row": int(r), "line": int(ln)}
        return {"kind": "batch-rows", "key": "objects", "rows": out}

    def file_of(self) -> dict[str, list[tuple[str, int]]]:
        """Object DN (case-folded) -> the (path, row) of the batch rows it answers."""
        out: dict[str, list[tuple[str, int]]] = {}
        dns = self.objects["dn"].str.casefold()
        for rid, oid in self.matches[["rid", "oid"]].itertuples(index=False):
            r = self.rows.loc[rid]
            out.setdefault(dns.loc[oid], []).append((r["path"], int(r["row"])))
        return out


#: What resolves a batch address to its object: ``mail`` and the ``smtp:`` proxy addresses.
ADDRESS_ATTRIBUTES = ("mail", "proxyAddresses")


def require(directory: Any, *attributes: str) -> None:
    """Raise :class:`Missing` with the source's reason when ``directory`` does not
    hold one of ``attributes`` (normalized column names): the checks that need
    them are skipped, never run on values the export left out."""
    from ...sources.directory import unknown

    reason = unknown(directory, attributes)
    if reason:
        raise Missing(reason)


def address_keys(objects: pd.DataFrame) -> pd.DataFrame:
    """``oid``, ``key`` pairs: each object's ``mail`` and ``smtp:`` proxy addresses, case-folded."""
    import pandas as pd

    proxies = objects["proxyAddresses"].explode().dropna().astype("string")
    smtp = proxies[proxies.str.slice(0, 5).str.casefold() == "smtp:"].str.slice(5)
    mail = objects["mail"][objects["mail"] != ""]
    keys = pd.concat([smtp, mail]).str.strip().str.casefold()
    return pd.DataFrame({"oid": keys.index, "key": keys.to_numpy()}).drop_duplicates()


def batch_address_rows(batches) -> pd.DataFrame:
    """The ``rows`` frame of :class:`BatchDirectory`: one row per batch record with a
    non-empty EmailAddress (``path``, ``row``, ``line``, ``address``, ``key``).

    Raises:
        Missing: no EmailAddress values in the batch files.
    """
    import pandas as pd

    parts = []
    for bf in batches or ():
        frame = bf.frame
        if frame is None or "EmailAddress" not in frame.columns:
            continue
        address = frame["EmailAddress"].str.strip()
        part = pd.DataFrame({"path": bf.path, "row": frame["row"], "line": frame["line"], "address": address})
        parts.append(part[address != ""])
    if not parts:
        raise Missing("no EmailAddress values in the batch files")
    rows = pd.concat(parts, ignore_index=True)
    rows["key"] = rows["address"].str.casefold()
    return rows


@provider("batch_directory")
def batch_directory(directory, batches):
    rows = batch_address_rows(batches)
    objects = directory.lookup(rows["address"].drop_duplicates().tolist()).reset_index(drop=True)
    matches = rows.reset_index(names="rid").merge(address_keys(objects), on="key")[["rid", "oid"]]
    matches = matches.drop_duplicates().sort_values(["rid", "oid"], ignore_index=True)
    return BatchDirectory(rows, objects, matches, directory)
