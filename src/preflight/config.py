"""Run configuration: ``[tool.preflight]`` in pyproject.toml, or preflight.toml.

Keys (top level of preflight.toml, or under ``[tool.preflight]``):

``sso`` (bool, default false)
    single sign-on (AD FS) is deployed: ForceChangePassword must be False.
``batch_folder`` (path)
    folder of batch files already committed; a checked file is compared with
    them for addresses used twice. Relative to the config file.
``select``, ``ignore`` (list of codes or prefixes), ``fail_on`` ("error" | "warning")
    as the CLI options of the same names (the CLI wins).
``[directory]``, ``[dns]``, ``[tenant]``, ``[idfix]``, ``[endpoint]``, ``[capacity]``, ``[cloud]`` (tables)
    options of those areas' sources, validated by them.

Secrets (bind passwords) are never read from a config file: a config names the
environment variable that holds them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECTIONS = ("directory", "dns", "tenant", "idfix", "endpoint", "capacity", "cloud")


class ConfigError(ValueError):
    """The configuration is unreadable or has an unknown or mistyped key."""


@dataclass
class Config:
    """Options of one run. ``source`` is the file it was read from, if any;
    relative paths in it are resolved against that file's folder."""

    sso: bool = False
    batch_folder: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "error"
    directory: dict[str, Any] = field(default_factory=dict)
    dns: dict[str, Any] = field(default_factory=dict)
    tenant: dict[str, Any] = field(default_factory=dict)
    idfix: dict[str, Any] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)
    endpoint: dict[str, Any] = field(default_factory=dict)
    cloud: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: Path | None = None) -> Config:
        """Build from a parsed TOML table.

        Raises:
            ConfigError: unknown key or wrong type.
        """
        known = {f.name for f in fields(cls)} - {"source"}
        where = f" in {source}" if source else ""
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown preflight option(s){where}: {', '.join(unknown)}")
        cfg = cls(source=source)
        base = source.parent if source else Path.cwd()
        for key, value in data.items():
            if key == "sso":
                if not isinstance(value, bool):
                    raise ConfigError(f"sso{where} must be true or false")
                cfg.sso = value
            elif key == "batch_folder":
                cfg.batch_folder = (base / str(value)).resolve()
            elif key in ("select", "ignore"):
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise ConfigError(f"{key}{where} must be a list of codes")
                setattr(cfg, key, value)
            elif key == "fail_on":
                if value not in ("error", "warning", "info"):
                    raise ConfigError(f"fail_on{where} must be error, warning or info")
                cfg.fail_on = value
            elif key in SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(f"[{key}]{where} must be a table")
                setattr(cfg, key, dict(value))
        return cfg

    def path(self, value: str | os.PathLike[str]) -> Path:
        """A path from the config, resolved against the config file's folder."""
        p = Path(value)
        return p if p.is_absolute() or self.source is None else self.source.parent / p


def load_config(path: str | os.PathLike[str] | None = None, start: Path | None = None) -> Config:
    """Read the configuration.

    With ``path``: that file (its ``[tool.preflight]`` table if it is a
    pyproject.toml or has one, else its top level). Without: the nearest preflight.toml, or pyproject.toml
    with a ``[tool.preflight]`` table, from ``start`` (default: the current
    folder) upwards; none found gives the defaults.

    Raises:
        ConfigError: unreadable file, bad TOML, unknown key.
    """
    if path is not None:
        return _read(Path(path))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "preflight.toml"
        if candidate.is_file():
            return _read(candidate)
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "preflight" in _toml(candidate).get("tool", {}):
            return _read(candidate)
    return Config()


def _toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _read(path: Path) -> Config:
    """A pyproject.toml, or any file with a ``[tool.preflight]`` table (a copy of
    one), is read from that table (other tables are not preflight's); another
    file from its top level."""
    data = _toml(path)
    tool = data.get("tool")
    if path.name == "pyproject.toml" or (isinstance(tool, dict) and "preflight" in tool):
        options = {f.name for f in fields(Config)} - {"source"}
        extra = sorted(k for k in data if k in options)  # other tables (a copied [project]) are not ours
        if path.name != "pyproject.toml" and extra:
            raise ConfigError(f"{path} has both a [tool.preflight] table and top-level option(s) "
                              f"({', '.join(extra)}): keep one of them")
        data = (tool or {}).get("preflight", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise ConfigError(f"[tool.preflight] in {path} must be a table")
    elif isinstance(tool, dict):
        raise ConfigError(f"{path} has a [tool] table but no [tool.preflight]: put preflight's options under "
                          "[tool.preflight], or at the top level of a preflight.toml")
    return Config.from_mapping(data, source=path.resolve())
