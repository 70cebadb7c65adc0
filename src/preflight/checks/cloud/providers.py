"""Providers of the cloud data the PF6xx checks ask for.

``cloud_recipients``
    :class:`preflight.sources.recipients.TenantRecipients` from ``[cloud]
    recipients`` (``--tenant-recipients``). Missing when none is given;
    SourceError when an export is unreadable, broken or truncated.
``batch_cloud``
    :class:`BatchCloud`: every EmailAddress of the run's batch files and the
    cloud objects that carry it, joined in one vectorized merge.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...registry import Missing, provider
from ..directory.providers import batch_address_rows

if TYPE_CHECKING:
    import pandas as pd

    from ...sources.recipients import Sku


@provider("cloud_recipients")
def cloud_recipients(config):
    if not getattr(config, "cloud", None):  # before importing the source: a batch-only run stays lean
        raise Missing("no tenant recipients given (--tenant-recipients FILE or FOLDER, or [tool.preflight.cloud] recipients)")
    from ...sources.recipients import recipients_from_config

    return recipients_from_config(config)


@dataclass(frozen=True)
class BatchCloud:
    """The batch rows and the cloud objects their addresses resolve to.

    Attributes:
        rows: as :attr:`preflight.checks.directory.providers.BatchDirectory.rows`
            (``path``, ``row``, ``line``, ``address``, ``key``; index ``rid``); ``key``
            is lower case, as the keys of the recipients' address index.
        objects: the cloud objects that carry a batch address (the columns of
            :data:`preflight.sources.recipients.RECIPIENT_COLUMNS`; index ``oid``).
        matches: ``rid``, ``oid``, ``view`` of each (row, object) pair.
        views: the views the exports give (``"exchange"``: Get-Recipient;
            ``"entra"``: Graph users).
        skus: the subscribed SKUs, or None when not given.
    """

    rows: pd.DataFrame
    objects: pd.DataFrame
    matches: pd.DataFrame
    views: frozenset[str]
    skus: dict[str, Sku] | None

    def counts(self, view: str) -> pd.Series:
        """The number of objects of ``view`` that carry each row's address (index ``rid``, 0 included)."""
        got = self.matches.loc[self.matches["view"] == view, "rid"].value_counts()
        return got.reindex(self.rows.index, fill_value=0)

    def single(self, view: str) -> pd.DataFrame:
        """Rows whose address exactly one object of ``view`` carries, joined with
        that object (the columns of ``rows``, ``oid`` and the object's columns)."""
        m = self.matches[self.matches["view"] == view]
        m = m[m["rid"].map(m["rid"].value_counts()) == 1]
        out = self.rows.loc[m["rid"]].assign(oid=m["oid"].to_numpy())
        return out.join(self.objects, on="oid")

    def objects_of(self, rid: int, view: str | None = None) -> pd.DataFrame:
        m = self.matches[self.matches["rid"] == rid]
        if view is not None:
            m = m[m["view"] == view]
        return self.objects.loc[m["oid"]]


def describe_object(o) -> str:
    """``'Ann Lee' (MailUser; recipients.csv item 3)`` or ``'ann@contoso.com' (users-1.json item 3)``:
    how a finding names a cloud object (the export's file name and the object's position in it)."""
    where = f"{os.path.basename(o['source'])} item {int(o['item'])}"
    return f"{o['name']!r} ({o['recipientTypeDetails']}; {where})" if o["view"] == "exchange" else f"{o['name']!r} ({where})"


@provider("batch_cloud")
def batch_cloud(cloud_recipients, batches):
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = batch_address_rows(batches)
    rows["key"] = rows["address"].str.lower()  # as the cloud index's keys (address_index)
    index = cloud_recipients.index
    wanted = pa.array(rows["key"].drop_duplicates().tolist(), type=pa.string())
    hits = index.filter(pc.is_in(index["key"], value_set=wanted)).to_pandas()
    matches = rows.reset_index(names="rid").merge(hits, on="key")[["rid", "oid"]].drop_duplicates()
    matches = matches.sort_values(["rid", "oid"], ignore_index=True)
    objects = cloud_recipients.objects
    found = objects.loc[sorted(set(matches["oid"].tolist()))]
    matches["view"] = found.loc[matches["oid"], "view"].to_numpy()
    return BatchCloud(rows, found, matches, frozenset(cloud_recipients.views()), cloud_recipients.skus)
