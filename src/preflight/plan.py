"""Wave planning: ``preflight plan`` builds migration batches from the directory.

A sibling of the runner, not a check: it reads the same sources (the directory, the
mailbox statistics) and asks the same checks which mailboxes are ready, then

1. takes every migratable mailbox of the directory (or those listed in ``mailboxes``),
   under the configured base DNs, by its primary SMTP address;
2. leaves out, with the finding, each mailbox a directory or IdFix check (PF2xx but
   PF220/PF221, PF4xx) reports an error for: a batch row for it would fail;
3. links mailboxes that should move together (affinity): a manager and each direct
   report (``manager``), a mailbox and its delegates (``publicDelegates``,
   ``msExchDelegateListLink``), a mailbox and the mailboxes granted FullAccess to it
   (``msExchMailboxSecurityDescriptor``, where the directory gives the descriptors);
   connected mailboxes form one group;
4. splits a group larger than a batch along the fewest links, with METIS (pymetis)
   weighted by rows or size, and reports every link it cuts with both mailboxes;
5. packs the groups into batches of at most ``max_rows`` mailboxes (≤ 2,000, the
   staged-migration limit), ``max_gb`` and ``window_hours`` (at the slow rate), first
   fit decreasing, deterministically: the same input gives byte-identical files.

The waves pass preflight's batch checks, and against the same directory PF220/PF221
report exactly the cut links. Needs the ``plan`` extra (``pip install "preflight[plan]"``:
scipy for the connected components, pymetis for the partitioning).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Mapping

from .config import Config
from .registry import Missing, SourceError

if TYPE_CHECKING:
    import pandas as pd

#: Ways to order the waves: none, by organizational unit, by the department attribute.
GROUP_BY = ("none", "ou", "department")
#: The staged-migration limit of rows per batch.
MAX_ROWS = 2000
#: Links that keep mailboxes together, and the attribute each comes from.
LINK_ATTRIBUTES = {"manager": "manager", "publicDelegates": "delegate", "msExchDelegateListLink": "delegate",
                   "msExchMailboxSecurityDescriptor": "fullaccess"}
GIB = 2**30


class PlanError(Exception):
    """The plan cannot be built: no directory, a source failed, or bad options."""


@dataclass(frozen=True)
class Mailbox:
    """A planned mailbox: its primary SMTP address, distinguished name and size (``None``: unknown)."""

    address: str
    dn: str
    bytes: int | None = None


@dataclass
class Wave:
    """One migration batch of the plan."""

    name: str
    mailboxes: list[Mailbox] = field(default_factory=list)
    pilot: bool = False

    @property
    def bytes(self) -> int:
        return sum(m.bytes or 0 for m in self.mailboxes)

    def hours(self, gb_per_hour: tuple[float, float]) -> tuple[float, float]:
        """Estimated hours (at the fast rate, at the slow rate)."""
        slow, fast = gb_per_hour
        return self.bytes / GIB / fast, self.bytes / GIB / slow


@dataclass(frozen=True)
class CutLink:
    """A link the plan could not keep within one wave (PF220 or PF221 will report it)."""

    kind: str  # "manager" or "delegate"
    attribute: str
    source: Mailbox  # the object that holds the attribute
    target: Mailbox  # the manager or the delegate it names
    source_wave: str
    target_wave: str


@dataclass
class Plan:
    """The waves, the links cut between them, and the mailboxes left out (with the reason).

    Attributes:
        waves: in order; the pilot wave (if any) first.
        cut_links: links whose two mailboxes are in different waves.
        excluded: ``{"address", "dn", "code", "reason"}`` per mailbox left out.
        unmatched_statistics: mailbox statistics rows whose legacyExchangeDN is no planned
            or excluded mailbox's (``{"legacy_dn", "name", "line"}``).
        options: the options the plan was built with.
        warnings: ``{"code", "message", "fix"}`` of what the waves will run into, as the check of
            that code reports it (PF704: more concurrent migrations than MAPI sessions).
        notes: what the plan could not take into account, and why (FullAccess grants the directory
            did not give).
    """

    waves: list[Wave] = field(default_factory=list)
    cut_links: list[CutLink] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    unmatched_statistics: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def gb_per_hour(self) -> tuple[float, float]:
        rates = self.options.get("gb_per_hour", (10.0, 14.0))
        return float(rates[0]), float(rates[1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per wave its file, rows, GB and hours; the cut links; the exclusions."""
        waves = []
        for w in self.waves:
            fast, slow = w.hours(self.gb_per_hour)
            waves.append({"name": w.name, "file": f"{w.name}.csv", "pilot": w.pilot, "rows": len(w.mailboxes),
                          "bytes": w.bytes, "gb": round(w.bytes / GIB, 3),
                          "without_size": sum(m.bytes is None for m in w.mailboxes),
                          "hours": [round(fast, 3), round(slow, 3)],
                          "cut_links": sum(w.name in (c.source_wave, c.target_wave) for c in self.cut_links)})
        return {
            "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.items()},
            "summary": {"waves": len(self.waves), "mailboxes": sum(len(w.mailboxes) for w in self.waves),
                        "cut_links": len(self.cut_links), "excluded": len(self.excluded)},
            "waves": waves,
            "cut_links": [{"kind": c.kind, "attribute": c.attribute,
                           "source": {"address": c.source.address, "dn": c.source.dn, "wave": c.source_wave},
                           "target": {"address": c.target.address, "dn": c.target.dn, "wave": c.target_wave}}
                          for c in self.cut_links],
            "excluded": self.excluded,
            "unmatched_statistics": self.unmatched_statistics,
            "warnings": self.warnings,
            "notes": self.notes,
        }

    def render_text(self) -> str:
        """The plan as lines of text: one line per wave, then the cut links and exclusions."""
        rate_slow, rate_fast = self.gb_per_hour
        out = [f"{len(self.waves)} wave(s), {sum(len(w.mailboxes) for w in self.waves)} mailbox(es); "
               f"hours at {rate_fast:g}–{rate_slow:g} GB/h"]
        for w in self.waves:
            fast, slow = w.hours(self.gb_per_hour)
            unknown = sum(m.bytes is None for m in w.mailboxes)
            note = f" ({unknown} without size)" if unknown else ""
            out.append(f"  {w.name}.csv{' (pilot)' if w.pilot else ''}: {len(w.mailboxes)} mailbox(es), "
                       f"{w.bytes / GIB:,.1f} GB{note}, about {fast:.1f}–{slow:.1f} h")
        if self.cut_links:
            out.append(f"{len(self.cut_links)} link(s) cut (PF220/PF221 report the manager and delegate ones):")
            for c in self.cut_links:
                out.append(f"  {c.kind}: {c.source.address} ({c.source_wave}) -> {c.target.address} ({c.target_wave})"
                           f" [{c.attribute}]")
        if self.excluded:
            out.append(f"{len(self.excluded)} mailbox(es) left out (fix them, then plan again):")
            for e in self.excluded:
                out.append(f"  {e['address'] or e['dn']}: {e['code']} {e['reason']}")
        for warning in self.warnings:
            out.append(f"warning {warning['code']}: {warning['message']}")
            out.append(f"  fix: {warning['fix']}")
        out += [f"note: {note}" for note in self.notes]
        if self.unmatched_statistics:
            out.append(f"{len(self.unmatched_statistics)} mailbox statistics row(s) match no directory mailbox:")
            for u in self.unmatched_statistics:
                out.append(f"  line {u['line']}: {u['name'] or u['legacy_dn']}")
        return "\n".join(out) + "\n"

    def write(self, out_dir: str | os.PathLike[str], *, password_columns: bool = False) -> list[Path]:
        """Write ``wave-NN.csv`` (EmailAddress, and empty Password and ForceChangePassword
        columns when asked), ``plan.txt`` and ``plan.json`` into ``out_dir`` (created).

        Returns:
            The paths written.

        Raises:
            OSError: the folder or a file cannot be written.
        """
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for w in self.waves:
            header = "EmailAddress,Password,ForceChangePassword" if password_columns else "EmailAddress"
            suffix = ",," if password_columns else ""
            lines = [header] + [m.address + suffix for m in w.mailboxes]
            path = folder / f"{w.name}.csv"
            path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
            written.append(path)
        (folder / "plan.txt").write_text(self.render_text(), encoding="utf-8")
        (folder / "plan.json").write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        return [*written, folder / "plan.txt", folder / "plan.json"]


def _row_address(mail: Any, proxies: Any) -> str:
    """The address a batch row must carry: ``mail`` (the WindowsEmailAddress, PF202), else the
    primary SMTP address."""
    from .checks.directory.address import primary_smtp

    if isinstance(mail, str) and mail.strip():
        return mail.strip()
    return primary_smtp(tuple(proxies) if isinstance(proxies, (list, tuple)) else ()).strip()


def _read_list(path: str | os.PathLike[str]) -> list[str]:
    """Addresses from a file: one per line, or a CSV with an EmailAddress column."""
    from .sources.batch_csv import read_batch

    addresses = read_batch(path).addresses
    if addresses is not None:
        return [a for a in addresses if a]
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read the address list {path}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _directory(cfg: Config):
    from .checks.directory.providers import directory

    try:
        return directory(cfg)
    except Missing as exc:
        raise PlanError(str(exc)) from None
    except SourceError as exc:
        raise PlanError(f"the directory could not be read: {exc}") from None


def _candidates(source: Any, bases: list[str | None]) -> pd.DataFrame:
    """Every migratable mailbox under the bases, with its primary SMTP ``address``."""
    import pandas as pd

    from .checks.directory.recipient import is_mailbox

    try:
        frames = [source.read_all(b) for b in bases]
    except SourceError as exc:
        raise PlanError(f"the directory could not be read: {exc}") from None
    objects = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    objects = objects.drop_duplicates(subset="dn").reset_index(drop=True)
    boxes = objects[is_mailbox(objects).to_numpy()].copy()
    boxes["address"] = [_row_address(m, p) for m, p in zip(boxes["mail"], boxes["proxyAddresses"], strict=True)]
    return boxes.reset_index(drop=True)


def _not_ready(boxes: pd.DataFrame, source: Any, cfg: Config) -> dict[int, tuple[str, str]]:
    """Row index -> (code, message) of the first error a directory or IdFix check reports."""
    from .api import run_batches
    from .sources.batch_csv import parse_batch

    if boxes.empty:
        return {}
    data = ("EmailAddress\n" + "\n".join(boxes["address"]) + "\n").encode("utf-8")
    run_cfg = Config(directory={**cfg.directory, "source": source}, idfix=dict(cfg.idfix), sso=cfg.sso)
    report = run_batches([parse_batch(data, "<plan>")], run_cfg, select=["PF2", "PF4"], ignore=["PF220", "PF221"])
    errored = [r for r in report.results if r.status.value == "errored"]
    if errored:
        raise PlanError(f"{errored[0].code} could not run: {errored[0].reason}")
    by_dn = {dn.casefold(): i for i, dn in enumerate(boxes["dn"])}
    out: dict[int, tuple[str, str]] = {}
    for f in report.findings:
        if f.severity.value != "error":
            continue
        if f.row is not None:
            i = f.row - 2  # the header is row 1
        elif f.dn is not None and f.dn.casefold() in by_dn:
            i = by_dn[f.dn.casefold()]
        else:
            continue
        out.setdefault(i, (f.code, f.message))
    return out


def _links(boxes: pd.DataFrame) -> list[tuple[int, int, str]]:
    """(holder, named, attribute) for each affinity link between two planned mailboxes."""
    index = {dn.casefold(): i for i, dn in enumerate(boxes["dn"].tolist())}
    out = []
    for attribute in LINK_ATTRIBUTES:
        if attribute not in boxes.columns:
            continue
        for i, value in enumerate(boxes[attribute].tolist()):
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, str) and v:
                    j = index.get(v.casefold())
                    if j is not None and j != i:
                        out.append((i, j, attribute))
    return out


def _full_access_links(cfg: Config, source: Any, boxes: pd.DataFrame, result: Plan) -> list[tuple[int, int, str]]:
    """(mailbox, holder, ``msExchMailboxSecurityDescriptor``) for each explicit FullAccess grant on a
    mailbox to another planned mailbox: live, or from a user export that holds the descriptors
    (the organization inventory's reader, PF807). None when the directory gives no descriptors
    (``result.options["full_access"]`` says so)."""
    from .sources.directory import permissions
    from .sources.directory.configuration import split_sources

    dns = boxes["dn"].tolist()
    perms: permissions.MailboxPermissions | None
    try:
        if hasattr(source, "search_entries"):
            perms = permissions.read_live(source, dns)
        else:
            user_export, _ = split_sources(cfg.directory.get("source"), cfg.path)
            perms = permissions.read_export(user_export, dns) if isinstance(user_export, str) else None
    except SourceError as exc:
        raise PlanError(f"the mailboxes' permissions could not be read: {exc}") from None
    if perms is None or permissions.MAILBOX_SD not in perms.read:
        result.notes.append("FullAccess grants were not read (the directory gives no msExchMailboxSecurityDescriptor): "
                            "mailboxes that open each other's are not kept together")
        return []
    index = {dn.casefold(): i for i, dn in enumerate(dns)}
    index.update({a.casefold(): i for i, a in enumerate(boxes["address"].tolist()) if a})
    out = []
    for dn, grants in perms.grants.items():
        i = index.get(dn)
        for g in grants:
            j = index.get(perms.names.get(g.sid, "").casefold()) if g.right == "FullAccess" else None
            if i is not None and j is not None and j != i:
                out.append((i, j, permissions.MAILBOX_SD))
    return out


def _components(n: int, links: list[tuple[int, int, str]]):
    """Connected components (scipy) of the link graph, and its symmetric CSR adjacency."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = np.array([i for i, _, _ in links], dtype=np.int64)
    b = np.array([j for _, j, _ in links], dtype=np.int64)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    graph = (graph + graph.T).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    _, labels = connected_components(graph, directed=False)
    return labels, graph


@dataclass(frozen=True)
class _Limits:
    rows: int
    bytes: float  # math.inf when neither max_gb nor window_hours is set

    def fits(self, rows: int, size: int) -> bool:
        return rows <= self.rows and size <= self.bytes


def _split(members: list[int], graph: Any, sizes: list[int], limits: _Limits) -> list[list[int]]:
    """Split a group that does not fit into parts that do, cutting few links (METIS)."""
    size = sum(sizes[i] for i in members)
    if limits.fits(len(members), size) or len(members) == 1:
        return [members]
    import numpy as np
    import pymetis

    by_rows = len(members) / limits.rows
    by_size = size / limits.bytes if math.isfinite(limits.bytes) else 0.0
    parts = max(2, math.ceil(max(by_rows, by_size) * 1.05))
    sub = graph[members][:, members].tocsr()
    weights = None
    if by_size > by_rows:  # size binds: balance the parts by bytes (at least 1 per mailbox)
        weights = [max(1, sizes[i] // 2**20) for i in members]
    adjacency = pymetis.CSRAdjacency(sub.indptr.astype(np.int64), sub.indices.astype(np.int64))
    _, assignment = pymetis.part_graph(parts, adjacency=adjacency, vweights=weights)
    groups: dict[int, list[int]] = {}
    for member, part in zip(members, assignment, strict=True):
        groups.setdefault(int(part), []).append(member)
    if len(groups) == 1:  # METIS kept it whole (no edges to balance on): halve it in order
        half = len(members) // 2
        groups = {0: members[:half], 1: members[half:]}
    out = []
    for part in sorted(groups):
        out.extend(_split(groups[part], graph, sizes, limits))
    return out


def _pack(units: list[list[int]], sizes: list[int], limits: _Limits) -> list[list[int]]:
    """First-fit decreasing by rows then size; units arrive in a deterministic order."""
    bins: list[list[int]] = []
    loads: list[tuple[int, int]] = []
    for unit in sorted(units, key=lambda u: (-len(u), -sum(sizes[i] for i in u), u[0])):
        rows, size = len(unit), sum(sizes[i] for i in unit)
        for k, (r, s) in enumerate(loads):
            if limits.fits(r + rows, s + size):
                bins[k].extend(unit)
                loads[k] = (r + rows, s + size)
                break
        else:
            bins.append(list(unit))
            loads.append((rows, size))
    return bins


def plan(
    config: Config | Mapping[str, Any] | None = None,
    *,
    mailboxes: str | os.PathLike[str] | Iterable[str] | None = None,
    max_rows: int = MAX_ROWS,
    max_gb: float | None = None,
    window_hours: float | None = None,
    pilot: int | str | os.PathLike[str] | Iterable[str] | None = None,
    group_by: str = "none",
) -> Plan:
    """Build migration batches (see the module docstring).

    Args:
        config: as for :func:`preflight.check_batch`; its ``[directory]`` is required, its
            ``[capacity]`` (mailbox statistics, ``gb_per_hour``) is used when given.
        mailboxes: plan only these mailboxes (addresses, or a file of them: one per line or a
            CSV with an EmailAddress column); default every migratable mailbox.
        max_rows: mailboxes per batch, 1 to 2,000.
        max_gb: GB per batch (needs mailbox statistics to mean anything).
        window_hours: hours one batch may take at the slow rate (needs mailbox statistics).
        pilot: a first wave: a number of mailboxes (whole groups, smallest first), or the
            pilot's addresses (a file or a list); links from it to later waves are cut.
        group_by: ``"none"``, ``"ou"`` or ``"department"``: the waves hold one organizational unit
            (the parent of the DN) or one ``department`` each, as far as affinity groups allow (a
            group stays whole, under the key of its first mailbox).

    Returns:
        The :class:`Plan`; write it with :meth:`Plan.write`.

    Raises:
        PlanError: no directory, a source failed, the plan extra is missing, or a bad option.
    """
    from .api import _config

    _check_options(max_rows, max_gb, window_hours, group_by)
    cfg = _config(config)
    source = _directory(cfg)
    if group_by == "department":
        from .sources.directory import unknown

        reason = unknown(source, ["department"])
        if reason:
            raise PlanError(f"--group-by department: {reason}")
    bases = cfg.directory.get("base_dn") or [None]
    boxes = _candidates(source, [bases] if isinstance(bases, str) else list(bases))
    every_legacy_dn = {v.casefold() for v in boxes["legacyExchangeDN"] if isinstance(v, str) and v}

    result = Plan()
    boxes = _listed(boxes, mailboxes, result)
    for i, (code, message) in sorted(_not_ready(boxes, source, cfg).items()):
        result.excluded.append({"address": boxes.at[i, "address"], "dn": boxes.at[i, "dn"], "code": code, "reason": message})
    not_ready = {e["dn"] for e in result.excluded if e["dn"]}
    # before leaving mailboxes out: a link to one of them is cut too
    every_link = _links(boxes) + _full_access_links(cfg, source, boxes, result)
    left_out = [Mailbox(a, dn) for a, dn in zip(boxes["address"].tolist(), boxes["dn"].tolist(), strict=True)]
    keep = ~boxes["dn"].isin(not_ready).to_numpy()
    new_index = {old: new for new, old in enumerate(i for i, k in enumerate(keep) if k)}
    boxes = boxes[keep].reset_index(drop=True)

    sizes, options = _sizes(cfg, boxes, every_legacy_dn, result)
    rates = options.gb_per_hour if options is not None else (10.0, 14.0)
    weights = [s or 0 for s in sizes]
    planned = [Mailbox(a, dn, size) for a, dn, size in zip(boxes["address"].tolist(), boxes["dn"].tolist(), sizes,
                                                           strict=True)]
    max_bytes = math.inf
    if max_gb is not None:
        max_bytes = max_gb * GIB
    if window_hours is not None:
        max_bytes = min(max_bytes, window_hours * rates[0] * GIB)
    limits = _Limits(int(max_rows), max_bytes)
    result.options = {"max_rows": int(max_rows), "max_gb": max_gb, "window_hours": window_hours,
                      "gb_per_hour": rates, "group_by": group_by}

    links = [(new_index[i], new_index[j], a) for i, j, a in every_link if i in new_index and j in new_index]
    labels, graph = _components(len(boxes), links)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(label), []).append(i)
    groups = sorted(members.values(), key=lambda g: g[0])

    waves_idx: list[tuple[list[int], bool]] = []
    if pilot is not None:
        chosen = _pilot(pilot, groups, boxes["address"].tolist(), limits)
        groups = [g for g in ([i for i in g if i not in chosen] for g in groups) if g]
        if chosen:
            waves_idx.append((sorted(chosen), True))
    units = [part for g in groups for part in _split(g, graph, weights, limits)]
    waves_idx += [(sorted(b), False) for b in _bins(units, weights, limits, group_by, boxes)]

    wave_of: dict[int, str] = {}
    for k, (idx, is_pilot) in enumerate(waves_idx, start=1):
        wave = Wave(name=f"wave-{k:02d}", pilot=is_pilot)
        for i in idx:
            wave.mailboxes.append(planned[i])
            wave_of[i] = wave.name
        result.waves.append(wave)
    if options is not None:  # one wave runs at a time: its rows bound the mailboxes that move at once
        from .checks.capacity.checks import mapi_session_overrun

        found = mapi_session_overrun(options, max((len(w.mailboxes) for w in result.waves), default=0))
        if found:
            result.warnings.append({"code": "PF704", "message": found[0], "fix": found[1]})
    result.cut_links = _cut_links(every_link, new_index, wave_of, planned, left_out)
    return result


def _check_options(max_rows: int, max_gb: float | None, window_hours: float | None, group_by: str) -> None:
    try:
        import pymetis  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        raise PlanError('preflight plan needs the plan extra: pip install "preflight[plan]"') from None
    if not 1 <= int(max_rows) <= MAX_ROWS:
        raise PlanError(f"max_rows must be 1 to {MAX_ROWS} (a staged migration batch holds at most {MAX_ROWS})")
    if group_by not in GROUP_BY:
        raise PlanError(f"group_by must be {', '.join(GROUP_BY)}, not {group_by!r}")
    for name, value in (("max_gb", max_gb), ("window_hours", window_hours)):
        if value is not None and value <= 0:
            raise PlanError(f"{name} must be a positive number")


def _listed(boxes: pd.DataFrame, mailboxes: Any, result: Plan) -> pd.DataFrame:
    """The candidates, only those listed (when a list is given) and with an address, in address
    order; the listed addresses no mailbox has, and the mailboxes without one, go to ``excluded``."""
    if mailboxes is not None:
        wanted = _read_list(mailboxes) if isinstance(mailboxes, (str, os.PathLike)) else list(mailboxes)
        present = set(boxes["address"].str.casefold())
        for a in wanted:
            if a.casefold() not in present:
                result.excluded.append({"address": a, "dn": None, "code": "PF200",
                                        "reason": "no migratable mailbox in the directory has this primary SMTP address"})
        boxes = boxes[boxes["address"].str.casefold().isin({a.casefold() for a in wanted})].reset_index(drop=True)
    no_address = boxes["address"] == ""
    for dn in boxes.loc[no_address, "dn"]:
        result.excluded.append({"address": "", "dn": dn, "code": "PF203", "reason": "the mailbox has no primary SMTP address"})
    return boxes[~no_address].sort_values("address", key=lambda s: s.str.casefold(), kind="stable").reset_index(drop=True)


def _sizes(cfg: Config, boxes: pd.DataFrame, every_legacy_dn: set[str], result: Plan) -> tuple[list[int | None], Any]:
    """Each planned mailbox's bytes from the mailbox statistics (``None``: no row), by
    legacyExchangeDN, and the ``[capacity]`` options (``None`` without that table); the statistics
    rows that match no directory mailbox go to ``unmatched_statistics``."""
    if not cfg.capacity:
        return [None] * len(boxes), None
    from .checks.capacity.providers import capacity_options, mailbox_stats

    try:
        options = capacity_options(cfg)
        stats = mailbox_stats(cfg) if cfg.capacity.get("mailbox_stats") else None
    except SourceError as exc:
        raise PlanError(str(exc)) from None
    if stats is None:
        return [None] * len(boxes), options
    by_dn = stats.by_legacy_dn()
    legacy = [("" if not isinstance(v, str) else v).casefold() for v in boxes["legacyExchangeDN"].tolist()]
    result.unmatched_statistics = [{"legacy_dn": r["legacy_dn"], "name": r["name"], "line": r["line"]}
                                   for r in stats.rows if r["legacy_dn"].casefold() not in every_legacy_dn]
    return [by_dn[k]["bytes"] if k in by_dn else None for k in legacy], options


def _pilot(pilot: Any, groups: list[list[int]], addresses: list[str], limits: _Limits) -> set[int]:
    """The pilot wave's mailboxes: whole groups, smallest first, up to ``pilot`` mailboxes; or the
    listed addresses (a file or a list)."""
    if isinstance(pilot, int):
        chosen: list[int] = []
        for g in sorted(groups, key=lambda g: (len(g), g[0])):
            if len(chosen) + len(g) <= pilot:
                chosen.extend(g)
    else:
        wanted = _read_list(pilot) if isinstance(pilot, (str, os.PathLike)) else list(pilot)
        keys = {a.casefold() for a in wanted}
        chosen = [i for i, a in enumerate(addresses) if a.casefold() in keys]
    if len(chosen) > limits.rows:
        raise PlanError(f"the pilot holds {len(chosen)} mailboxes, more than max_rows ({limits.rows})")
    return set(chosen)


def _bins(units: list[list[int]], weights: list[int], limits: _Limits, group_by: str, boxes: pd.DataFrame
          ) -> list[list[int]]:
    """The units packed into waves; with ``group_by``, each organizational unit or department apart."""
    if group_by == "none":
        return _pack(units, weights, limits)
    if group_by == "ou":
        group_keys = [dn.split(",", 1)[1].casefold() if "," in dn else "" for dn in boxes["dn"].tolist()]
    else:
        group_keys = [v.casefold() if isinstance(v, str) else "" for v in boxes["department"].tolist()]
    by_key: dict[str, list[list[int]]] = {}
    for u in units:
        by_key.setdefault(group_keys[u[0]], []).append(u)
    return [b for key in sorted(by_key) for b in _pack(by_key[key], weights, limits)]


def _cut_links(every_link: list[tuple[int, int, str]], new_index: dict[int, int], wave_of: dict[int, str],
               planned: list[Mailbox], left_out: list[Mailbox]) -> list[CutLink]:
    """Each link (one per kind and pair, naming its attributes) whose mailboxes are in different
    waves, or one of them left out."""
    attributes: dict[tuple[str, int, int], list[str]] = {}
    for i, j, attribute in every_link:
        names = attributes.setdefault((LINK_ATTRIBUTES[attribute], i, j), [])
        if attribute not in names:
            names.append(attribute)
    out = []
    for (kind, i, j), names in sorted(attributes.items()):
        pi, pj = new_index.get(i), new_index.get(j)
        if pi is None and pj is None:
            continue  # between two mailboxes left out: no batch row reports it
        if pi is not None and pj is not None and wave_of[pi] == wave_of[pj]:
            continue
        source_box, source_wave = (planned[pi], wave_of[pi]) if pi is not None else (left_out[i], "left out")
        target_box, target_wave = (planned[pj], wave_of[pj]) if pj is not None else (left_out[j], "left out")
        out.append(CutLink(kind, ", ".join(names), source_box, target_box, source_wave, target_wave))
    return out
