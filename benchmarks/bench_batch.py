"""Benchmark of the batch-only run, the pre-commit hook's (prints figures; not a test).

Issue 14's goals, each against a baseline measured in the same run:

1. Cold start: ``python -m preflight batch.csv`` on a 2,000-row batch against
   ``frictionless validate batch.csv`` (the generic CSV validator; ``pip install
   .[bench]``), interleaved so both see the same machine state. Goals: wall time
   ratio <= 0.5, peak memory (maximum resident set) <= 60 MiB.
2. Throughput (printed last): every batch-CSV check (PF1) in-process, reading included, on one
   2,000-row file and on 50 files of 2,000 rows (100,000 rows across files).
   Goal: >= 200,000 rows/s.
3. Pre-commit: the hook's command (``preflight`` and every file, as
   ``pre-commit run --all-files`` runs it) in a git repository of 50 committed
   batch files named by ``batch_folder`` (of 2,000 rows, then of 200 rows),
   against the single-file cold start of 1., interleaved. Goal: ratio <= 1.5.
   With ``pre-commit`` installed, the real ``pre-commit run --all-files`` is
   timed too, beside a hook that does nothing (pre-commit's own cost).

The machine may be shared: commands show median wall and CPU time (user and
system), in-process runs their best wall and CPU time.

Run: ``python benchmarks/bench_batch.py [--runs N] [--rows-per-file N,N]`` (from a source
tree, with ``PYTHONPATH`` an absolute path: the commands run in temporary folders).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "EmailAddress,Password,ForceChangePassword\r\n"
MIB = 1024 * 1024
# The commands run as an installed package runs: with its modules' bytecode cached (pip writes it
# on install; a source tree gets it on the warm-up run), whatever PYTHONDONTWRITEBYTECODE says here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def batch_text(n: int, first: int = 0) -> str:
    """A clean batch of ``n`` rows (addresses from ``first`` on: files do not share one)."""
    return HEADER + "".join(f"user{i:06d}@contoso.com,Spring#Bulk-{i:06d},False\r\n" for i in range(first, first + n))


def measure(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user and system, children included) and peak resident
    memory (bytes) of one run of ``cmd``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # Linux: KiB


def probe(cmd: list[str], cwd: Path | None = None) -> None:
    """Run ``cmd`` once and stop when it did not do its work (a crash, or a file it refused,
    would make the figure meaningless): every command here checks valid files, so exits 0."""
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} exited {proc.returncode}: {(proc.stdout + proc.stderr)[-1500:]}")


def interleaved(runs: int, commands: dict[str, tuple[list[str], Path | None]]) -> dict[str, tuple[float, float, int]]:
    """Median wall and CPU time and largest peak memory of each command, run in turn ``runs``
    times (after one run each that warms the OS file cache and writes the bytecode caches)."""
    for cmd, cwd in commands.values():
        probe(cmd, cwd)
        measure(cmd, cwd)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, cwd) in commands.items():
            samples[name].append(measure(cmd, cwd))
    return {name: (statistics.median(t for t, _, _ in s), statistics.median(c for _, c, _ in s), max(m for _, _, m in s))
            for name, s in samples.items()}


def single_file(path: Path) -> tuple[list[str], Path]:
    """The single-file cold start: ``python -m preflight batch.csv`` in the file's folder."""
    return [sys.executable, "-m", "preflight", path.name], path.parent


def show(got: dict[str, tuple[float, float, int]]) -> None:
    for name, (wall, cpu, mem) in got.items():
        print(f"   {name:34s} {wall * 1000:7.0f} ms wall {cpu * 1000:7.0f} ms CPU   peak {mem / MIB:6.1f} MiB")


def cold_start(runs: int, path: Path) -> None:
    """Goal 1."""
    # in the file's folder, given its relative name (frictionless refuses an absolute path as unsafe)
    commands: dict[str, tuple[list[str], Path | None]] = {
        "python -m preflight batch.csv": single_file(path),
        "python -c pass": ([sys.executable, "-c", "pass"], None),
    }
    frictionless = shutil.which("frictionless")
    if frictionless:
        commands["frictionless validate batch.csv"] = ([frictionless, "validate", path.name], path.parent)
    got = interleaved(runs, commands)
    print(f"cold start, 2,000-row batch, medians of {runs} interleaved runs (peak = maximum resident set):")
    show(got)
    ours = got["python -m preflight batch.csv"]
    if frictionless:
        theirs = got["frictionless validate batch.csv"]
        print(f"   ratio to frictionless              {ours[0] / theirs[0]:7.2f} wall {ours[1] / theirs[1]:6.2f} CPU"
              "   (goal <= 0.5)")
    else:
        print("   frictionless is not installed (pip install .[bench]): no ratio")
    print(f"   peak memory                        {ours[2] / MIB:7.1f} MiB   (goal <= 60 MiB)")


def throughput(runs: int, rows_per_file: int) -> None:
    """Goal 2: the PF1 checks in-process, reading the bytes included."""
    import preflight
    from preflight.sources.batch_csv import parse_batch

    files = 100_000 // rows_per_file
    print(f"throughput, every batch-CSV check in-process, best of {runs}:")
    cases = {
        f"{rows_per_file:,} rows, 1 file": [batch_text(rows_per_file).encode()],
        f"{files * rows_per_file:,} rows, {files} files": [
            batch_text(rows_per_file, k * rows_per_file).encode() for k in range(files)],
    }
    for label, datas in cases.items():
        def once(datas: list[bytes] = datas) -> None:
            report = preflight.run_batches([parse_batch(d, f"wave{k:02d}.csv") for k, d in enumerate(datas)], select="PF1")
            assert not report.findings, report.findings[:3]  # clean batches: every check ran to its end

        once()  # imports and caches warm
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.process_time()
            once()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        n = sum(d.count(b"\n") - 1 for d in datas)
        print(f"   {label:24s} {min(wall) * 1000:7.1f} ms {n / min(wall):>10,.0f} rows/s wall, "
              f"{n / min(cpu):>10,.0f} rows/s CPU   (goal >= 200,000)")


def precommit(runs: int, path: Path, rows_per_file: int, repo: Path) -> None:
    """Goal 3: the hook over 50 committed batch files, against the single-file cold start
    (``path``, interleaved with it)."""
    (repo / "batches").mkdir(parents=True)
    names = []
    for k in range(50):
        name = f"batches/wave{k:02d}.csv"
        (repo / name).write_text(batch_text(rows_per_file, k * rows_per_file), newline="")
        names.append(name)
    (repo / "preflight.toml").write_text('batch_folder = "batches"\n')
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n"
        f"  - {{id: preflight, name: preflight, entry: {sys.executable} -m preflight, language: system, "
        "files: '\\.csv$', require_serial: true}\n"
        "  - {id: nothing, name: nothing, entry: 'true', language: system, files: '\\.csv$', require_serial: true}\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], [*git, "commit", "-q", "-m", "batches"]):
        subprocess.run(cmd, cwd=repo, check=True)
    commands: dict[str, tuple[list[str], Path | None]] = {
        "single file (as above)": single_file(path),
        "hook's command, 50 files": ([sys.executable, "-m", "preflight", *names], repo),
    }
    tool = shutil.which("pre-commit")
    if tool:
        ENV["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")  # its cache, inside the temporary folder
        commands["pre-commit run --all-files"] = ([tool, "run", "--all-files", "preflight"], repo)
        commands["pre-commit, a hook doing nothing"] = ([tool, "run", "--all-files", "nothing"], repo)
    got = interleaved(runs, commands)
    print(f"pre-commit, 50 committed batch files of {rows_per_file:,} rows ({50 * rows_per_file:,} rows; "
          f"batch_folder), medians of {runs} interleaved runs:")
    show(got)
    hook, single = got["hook's command, 50 files"], got["single file (as above)"]
    print(f"   ratio to the single-file cold start {hook[0] / single[0]:6.2f} wall {hook[1] / single[1]:6.2f} CPU"
          "   (goal <= 1.5)")
    if tool:
        run, own = got["pre-commit run --all-files"], got["pre-commit, a hook doing nothing"]
        print(f"   pre-commit run less pre-commit's own cost {(run[0] - own[0]) * 1000:5.0f} ms wall")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--rows-per-file", default="2000,200",
                    help="rows of each of the 50 files of 3., comma-separated sizes (default: 2,000, the most a "
                         "batch takes, and 200, a wave of a 10,000-mailbox organization)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        path.write_text(batch_text(2000), newline="")
        cold_start(args.runs, path)
        for rows in (int(n) for n in args.rows_per_file.split(",")):
            precommit(args.runs, path, rows, Path(tmp) / f"repo{rows}")
        # last: a child's peak memory counts from this process's at the fork, which these rows raise
        throughput(max(3, args.runs // 3), 2000)


if __name__ == "__main__":
    main()
