"""The Python API: run checks and get a :class:`preflight.model.Report`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping

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
    if isinstance(config, Mapping):
        return Config.from_mapping(dict(config))
    raise TypeError(f"config must be a preflight.Config, a mapping of [tool.preflight]'s keys or None, not "
                    f"{type(config).__name__} (to read a file: preflight.load_config(path))")


def selectors(value: str | Iterable[str] | None, label: str = "select") -> list[str] | None:
    """Check selectors as a list: ``None`` stays ``None`` (no selection given);
    a string is a comma-separated list (``"PF1,PF2"``, as on the command line);
    an iterable gives strings that may each hold commas too. Blanks are dropped,
    so ``""`` and ``","`` are an empty selection.

    Raises:
        TypeError: neither a string nor an iterable of strings.
    """
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else None
    if items is None or any(not isinstance(v, str) for v in items):
        raise TypeError(f"{label} must be a string or an iterable of strings (check codes, code prefixes or names), "
                        f"not {type(value).__name__}")
    return [code.strip() for v in items for code in v.split(",") if code.strip()]


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
    select: str | Iterable[str] | None = None,
    ignore: str | Iterable[str] | None = None,
) -> Report:
    """Run the selected checks on already-read batch files (see :func:`check_batch`).

    Args:
        batches: :class:`BatchFile` objects, from
            :func:`preflight.sources.batch_csv.read_batch` or ``parse_batch``
            (one, or an iterable of them).

    Raises:
        TypeError: an item of ``batches`` is not a ``BatchFile`` (give paths to
            :func:`check_batch`), or ``select``/``ignore``/``config`` has the wrong type.
        KeyError, preflight.config.ConfigError: as :func:`check_batch`.
    """
    cfg = _config(config)
    batches = [batches] if isinstance(batches, BatchFile) else list(batches)
    for b in batches:
        if not isinstance(b, BatchFile):
            raise TypeError(f"run_batches takes BatchFile objects (read_batch/parse_batch), not {type(b).__name__}; "
                            "to check files by path use check_batch")
    chosen = registry.select(
        selectors(select) if select is not None else selectors(cfg.select),
        [*(selectors(cfg.ignore, "ignore") or ()), *(selectors(ignore, "ignore") or ())],
    )
    return run(chosen, batches, config=cfg, reference=_reference(cfg, batches))


def check_batch(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    config: Config | Mapping[str, Any] | None = None,
    *,
    select: str | Iterable[str] | None = None,
    ignore: str | Iterable[str] | None = None,
) -> Report:
    """Check migration batch CSV files (and the directory, tenant and DNS when
    ``config`` names their sources).

    Args:
        paths: one path or several; each is one migration batch.
        config: a :class:`Config`, a mapping of the same keys as
            ``[tool.preflight]``, or ``None`` for defaults.
        select, ignore: codes, code prefixes (``"PF1"``) or names of checks, as
            a list or one comma-separated string (``"PF1,PF300"``);
            ``select=None`` runs every check (or the config's ``select``).

    Returns:
        The :class:`Report`. Problems in the files are findings, never exceptions;
        an unreadable path errors the checks of that file.

    Raises:
        KeyError: a selector matches no check, or the selection leaves no check
            to run (``select=[]``, or ``ignore`` removing every selected check).
        TypeError: a path, ``select``/``ignore`` or ``config`` of the wrong type.
        preflight.config.ConfigError: a bad config mapping.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"paths must be a path (str or os.PathLike) or an iterable of paths, not {type(p).__name__}")
    return run_batches([read_batch(Path(p)) for p in paths], config, select=select, ignore=ignore)


def check_bytes(
    data: bytes,
    name: str = "<memory>",
    config: Config | Mapping[str, Any] | None = None,
    *,
    select: str | Iterable[str] | None = None,
    ignore: str | Iterable[str] | None = None,
) -> Report:
    """Check one batch given as its raw bytes, as read from the file (``name``
    is used as its path in findings); the encoding is detected as for a file.

    Raises:
        TypeError: ``data`` is not bytes-like (a ``str`` is already decoded:
            give the file's bytes, e.g. ``Path(p).read_bytes()``).
        KeyError, preflight.config.ConfigError: as :func:`check_batch`.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"check_bytes takes the file's bytes (e.g. Path(p).read_bytes()), not {type(data).__name__}"
                        " (preflight detects the encoding itself; to check text, encode it first)")
    return run_batches([parse_batch(bytes(data), name)], config, select=select, ignore=ignore)
