"""Report formatters: each module has ``render(report, **opts) -> str``.

Modules are imported only when their format is asked for, so the cold start
pays for one formatter at most.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..model import Report

FORMATS = ("text", "json", "sarif", "junit", "github", "html")


def render(report: Report, fmt: str, **opts: Any) -> str:
    """Render ``report`` in format ``fmt`` (one of :data:`FORMATS`).

    Raises:
        ValueError: unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{fmt}").render(report, **opts)
