"""The Python API: run checks and get a :class:`preflight.model.Report`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import registry
from .config import Config
from .model import Report
from .runner import run
from .sources.batch_csv import BatchFile, parse_batch, read_batch

BATCH_SUFFIXES = (".csv", ".txt")


def _config(config: Config | Mapping[str, Any] | None) -> Config:
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    return Config.from_mapping(dict(config))


def _reference(cfg: Config, checked: Iterable[BatchFile]) -> list[BatchFile]:
    if cfg.batch_folder is None or not cfg.batch_folder.is_dir():
        return []
    seen = {os.path.realpath(b.path) for b in checked}
    files = sorted(p for p in cfg.batch_folder.iterdir() if p.suffix.lower() in BATCH_SUFFIXES and p.is_file())
    return [read_batch(p) for p in files if os.path.realpath(p) not in seen]


def run_batches(
    batches: Iterable[BatchFile],
    config: Config | Mapping[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> Report:
    """Run the selected checks on already-read batch files (see :func:`check_batch`)."""
    cfg = _config(config)
    batches = list(batches)
    chosen = registry.select(
        list(select) if select is not None else cfg.select,
        [*cfg.ignore, *(ignore or ())],
    )
    return run(chosen, batches, config=cfg, reference=_reference(cfg, batches))


def check_batch(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    config: Config | Mapping[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> Report:
    """Check migration batch CSV files (and the directory, tenant and DNS when
    ``config`` names their sources).

    Args:
        paths: one path or several; each is one migration batch.
        config: a :class:`Config`, a mapping of the same keys as
            ``[tool.preflight]``, or ``None`` for defaults.
        select, ignore: codes, code prefixes (``"PF1"``) or names of checks;
            ``select=None`` runs every check (or the config's ``select``).

    Returns:
        The :class:`Report`. Problems in the files are findings, never exceptions;
        an unreadable path errors the checks of that file.

    Raises:
        KeyError: a selector matches no check.
        preflight.config.ConfigError: a bad config mapping.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return run_batches([read_batch(Path(p)) for p in paths], config, select=select, ignore=ignore)


def check_bytes(
    data: bytes,
    name: str = "<memory>",
    config: Config | Mapping[str, Any] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> Report:
    """Check one batch given as bytes (``name`` is used as its path in findings)."""
    return run_batches([parse_batch(bytes(data), name)], config, select=select, ignore=ignore)
