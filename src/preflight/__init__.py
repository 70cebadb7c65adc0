"""preflight: checks an Exchange staged migration before you press Start.

    >>> import preflight
    >>> report = preflight.check_batch(["batch1.csv"])        # doctest: +SKIP
    >>> report.exit_code(), report.to_dict()["summary"]       # doctest: +SKIP

The API returns a :class:`Report`; see :func:`check_batch`, :func:`check_bytes`
and :func:`list_checks`.
"""

from ._version import __version__
from .api import check_batch, check_bytes, run_batches
from .config import Config, ConfigError, load_config
from .model import CheckResult, Finding, Report, Severity, Status
from .registry import all_checks as list_checks
from .registry import get as get_check

__all__ = [
    "__version__",
    "check_batch",
    "check_bytes",
    "run_batches",
    "Config",
    "ConfigError",
    "load_config",
    "CheckResult",
    "Finding",
    "Report",
    "Severity",
    "Status",
    "list_checks",
    "get_check",
]
