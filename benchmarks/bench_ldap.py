"""Benchmark of the live directory source (prints figures; not a test).

OpenLDAP (tests/servers/slapd.py: AD-like schema, LDAPS, AD's 1,000-entry page limit) bulk-loaded with
20,000 mailboxes; a 2,000-row batch (addresses spread over the whole population, 5 % of them unknown)
resolved with ``LdapSource.lookup`` — batched OR-filters of ``chunk_size`` addresses, paged — against a
baseline of one search per address (the same source with ``chunk_size=1``), interleaved in the same run,
over one already-bound connection each. Goal: <= 25 searches for the batch.

Run: ``python benchmarks/bench_ldap.py [--mailboxes N] [--batch N] [--runs N]`` (needs Debian ``slapd``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "servers"))

import slapd

from preflight.sources.directory.ldap import LdapSource

PASSWORD_ENV = "PREFLIGHT_BENCH_LDAP_PASSWORD"


def batch(mailboxes: int, size: int) -> list[str]:
    unknown = size // 20
    step = max(1, mailboxes // (size - unknown))
    known = [slapd.mailbox_address(i) for i in range(0, mailboxes, step)][: size - unknown]
    return known + [f"nobody{i:05d}@contoso.com" for i in range(size - len(known))]


def timed_lookup(src: LdapSource, addresses: list[str]) -> tuple[float, int, int]:
    before = src.searches
    t0 = time.perf_counter()
    found = src.lookup(addresses)
    return time.perf_counter() - t0, src.searches - before, len(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mailboxes", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    server = slapd.start_slapd(slapd.mailbox_entries(args.mailboxes))
    try:
        print(f"slapd with {args.mailboxes:,} mailboxes ready in {time.perf_counter() - t0:.1f} s "
              f"(slapadd {server.timings['slapadd']:.1f} s); LDAPS, page limit {slapd.SIZE_LIMIT}")
        os.environ[PASSWORD_ENV] = server.reader_password
        addresses = batch(args.mailboxes, args.batch)
        batched = LdapSource.from_config(server.config(PASSWORD_ENV))
        single = LdapSource.from_config(server.config(PASSWORD_ENV, chunk_size=1))
        for src in (batched, single):  # connect, bind, warm caches
            src.lookup(addresses[:10])
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(timed_lookup(batched, addresses))
            base.append(timed_lookup(single, addresses))
        batched.close()
        single.close()
    finally:
        server.stop()

    (_, n_ours, found), (_, n_base, found_base) = ours[0], base[0]
    if found != found_base:
        raise SystemExit(f"results differ: batched found {found}, one-per-address found {found_base}")
    m_ours = statistics.median(t for t, _, _ in ours)
    m_base = statistics.median(t for t, _, _ in base)
    print(f"{args.batch:,}-row batch ({found:,} objects found), median of {args.runs} interleaved runs:")
    print(f"  LdapSource.lookup (chunk_size=150)   {n_ours:6d} searches  {m_ours * 1000:8.0f} ms   (goal <= 25 searches)")
    print(f"  one search per address (chunk_size=1) {n_base:5d} searches  {m_base * 1000:8.0f} ms")
    print(f"  ratio                                 {n_base / n_ours:5.0f}x fewer   {m_base / m_ours:8.1f}x faster")


if __name__ == "__main__":
    main()
