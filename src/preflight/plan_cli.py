"""``preflight plan``: build migration batches from the directory (see :mod:`preflight.plan`).

It takes the same source options as a check run (``--directory`` and its connection
options, ``--mailbox-stats``, ``--config``), applied the same way, plus the planner's own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Sequence

from .plan import GROUP_BY

PLAN_EPILOG = """\
exit codes:
  0  the plan was written (cut links and left-out mailboxes are listed, not failures)
  1  the plan could not be built: the directory or the statistics could not be read
  2  usage error or bad configuration
"""


def _pilot(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def build_parser() -> argparse.ArgumentParser:
    from .cli import build_parser as check_parser

    p = check_parser()
    p.prog = "preflight plan"
    p.description = ("Build migration batches (waves) from the directory: at most 2,000 mailboxes each, managers, "
                     "direct reports and delegates kept together, sized by mailbox statistics.")
    p.epilog = PLAN_EPILOG
    g = p.add_argument_group("plan")
    g.add_argument("--out", metavar="DIR", required=True, help="folder for wave-NN.csv, plan.txt and plan.json")
    g.add_argument("--mailboxes", metavar="FILE", help="plan only these mailboxes (one address per line, or a CSV)")
    g.add_argument("--max-rows", type=int, default=2000, metavar="N", help="mailboxes per batch (1 to 2,000; default 2,000)")
    g.add_argument("--max-gb", type=float, metavar="GB", help="GB per batch (with --mailbox-stats)")
    g.add_argument("--pilot", type=_pilot, metavar="N|FILE", help="a first wave: N mailboxes, or the addresses in FILE")
    g.add_argument("--group-by", choices=GROUP_BY, default="none",
                   help="keep each organizational unit (ou) or department in its own waves, as far as affinity allows")
    g.add_argument("--password-columns", action="store_true",
                   help="add empty Password and ForceChangePassword columns to the wave files")
    return p


def run(argv: Sequence[str]) -> int:
    from .cli import _Usage, configuration
    from .plan import PlanError, plan

    args = build_parser().parse_args(list(argv))
    if args.paths:
        raise _Usage(f"preflight plan takes no batch files (got {args.paths[0]}); it writes them into --out")
    cfg = configuration(args)
    try:
        result = plan(cfg, mailboxes=args.mailboxes, max_rows=args.max_rows, max_gb=args.max_gb,
                      window_hours=args.window_hours, pilot=args.pilot, group_by=args.group_by)
    except PlanError as exc:
        sys.stderr.write(f"preflight plan: {exc}\n")
        return 1
    try:
        written = result.write(Path(args.out), password_columns=args.password_columns)
    except OSError as exc:
        raise _Usage(f"cannot write into --out {args.out}: {exc.strerror or exc}") from None
    if args.format == "html":
        # the page of a check run over the waves just written: each wave's verdict, size and hours
        # (PF700), and the cut links as PF220/PF221 report them
        from .api import check_batch
        from .formatters import render

        waves = [p for p in written if p.suffix == ".csv"]
        page = Path(args.output) if args.output else Path(args.out) / "plan.html"
        report = check_batch(waves, cfg, select=["PF1", "PF2", "PF4", "PF7"])
        page.write_text(render(report, "html", max_per_check=args.max_per_check), encoding="utf-8")
        written.append(page)
    if args.format == "json":
        sys.stdout.write(Path(args.out, "plan.json").read_text(encoding="utf-8"))
    else:
        sys.stdout.write(result.render_text())
    names = ", ".join(p.name for p in written if p.suffix != ".csv")
    sys.stderr.write(f"preflight plan: wrote {len(result.waves)} wave file(s) and {names} into {args.out}\n")
    return 0
