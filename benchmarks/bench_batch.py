"""Benchmark of the batch-CSV path (prints figures; not a test).

1. Cold start: ``python -m preflight BATCH`` on a 2,000-row batch against
   ``python -c "import pandas, pandera.pandas"``, interleaved in the same run so
   both see the same machine state. Goal: ratio <= 1.2.
2. Throughput: every batch-CSV check in-process on 2,000- and 100,000-row
   files (best of N). Goal: >= 200,000 rows/s.

Run: ``python benchmarks/bench_batch.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "EmailAddress,Password,ForceChangePassword\r\n"


def batch_text(n: int) -> str:
    return HEADER + "".join(f"user{i:06d}@contoso.com,Spring#Bulk-{i:06d},False\r\n" for i in range(n))


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def cold_start(runs: int, path: Path) -> None:
    tool = [sys.executable, "-m", "preflight", str(path)]
    base = [sys.executable, "-c", "import pandas, pandera.pandas"]
    probe = subprocess.run(tool, capture_output=True, text=True, check=False)
    if probe.returncode not in (0, 1):  # a crash would make the figure meaningless
        raise SystemExit(f"preflight exited {probe.returncode}: {probe.stderr[-500:]}")
    wall(tool), wall(base)  # warm the OS file cache for both
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(wall(tool))
        theirs.append(wall(base))
    m_ours, m_base = statistics.median(ours), statistics.median(theirs)
    print(f"cold start, 2,000-row batch, median of {runs} interleaved runs:")
    print(f"  python -m preflight batch.csv           {m_ours * 1000:8.0f} ms")
    print(f"  python -c 'import pandas, pandera.pandas' {m_base * 1000:6.0f} ms")
    print(f"  ratio                                   {m_ours / m_base:8.2f}   (goal <= 1.2)")


def throughput(runs: int) -> None:
    import preflight

    print(f"throughput, every batch-CSV check in-process, best of {runs}:")
    for n in (2_000, 100_000):
        data = batch_text(n).encode()
        preflight.check_bytes(data, "bench.csv", select=["PF1"])  # imports and caches warm
        best = min(_timed(lambda: preflight.check_bytes(data, "bench.csv", select=["PF1"])) for _ in range(runs))
        print(f"  {n:>7,} rows  {best * 1000:8.1f} ms  {n / best:>10,.0f} rows/s   (goal >= 200,000)")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        path.write_text(batch_text(2000), newline="")
        cold_start(args.runs, path)
    throughput(max(3, args.runs // 3))


if __name__ == "__main__":
    main()
