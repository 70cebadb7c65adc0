"""Benchmark of the live directory source (prints figures; not a test).

OpenLDAP (tests/servers/slapd.py: AD-like schema, LDAPS, AD's 1,000-entry page limit) bulk-loaded with
20,000 mailboxes; a 2,000-row batch (addresses spread over the whole population, 5 % of them unknown)
resolved with ``LdapSource.lookup`` — batched OR-filters of ``chunk_size`` addresses, paged — against a
baseline of one search per address (the same source with ``chunk_size=1``), interleaved in the same run,
over one already-bound connection each, for each backend (ldap3; python-ldap when installed). Goal: <= 25
searches and >= 10x faster for the batch. Loopback has no network latency, which favours the per-address
loop, so the lookups run twice: on loopback, and through a proxy that delays every chunk of bytes by half
of ``--rtt-ms`` (default 1 ms round trip, a LAN; a WAN link to a domain controller is 10-50 ms) in each
direction.

Then the whole-directory read used by scans: ``LdapSource.read_all()`` of every object under the base DN
(paged, 1,000 per page) per backend, against the C client ``ldapsearch -x -E pr=1000/noprompt`` doing the
same search (same filter, same attributes, LDAPS, certificate verified with LDAPTLS_CACERT, output to
/dev/null), interleaved in the same run; entries/s and ratios. Needs ``ldap-utils`` for ldapsearch.

Then the relations of PF220/PF221 (managers, direct reports, delegates) for a 2,000-row batch of whole teams
(OU=Teams: teams of a lead and 9 members, leads under directors, directors under one chief, each object with
its ``directReports`` back-link as AD keeps it): ``LdapSource`` reads the direct reports from the back-link of
the objects it already fetched and searches only for related objects it has not seen, against a baseline of
the former way (the same source searching ``(manager=…)`` OR-filters and every related DN again), interleaved;
goal <= 25 searches in all for the batch, and the same findings.

Run: ``python benchmarks/bench_ldap.py [--mailboxes N] [--batch N] [--runs N] [--rtt-ms MS]`` (needs Debian
``slapd``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "servers"))

import slapd

import preflight
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory.ldap import (
    ATTRIBUTES,
    LdapSource,
    _python_ldap_available,
    _unique,
)
from preflight.sources.schemas import directory_frame

PASSWORD_ENV = "PREFLIGHT_BENCH_LDAP_PASSWORD"


TEAMS_OU = "OU=Teams," + slapd.BASE_DN
TEAM = 10  # a lead and 9 members
LEADS_PER_DIRECTOR = 10


def team_dn(name: str) -> str:
    return f"CN={name},{TEAMS_OU}"


def team_address(name: str) -> str:
    return name.lower().replace(" ", ".") + "@contoso.com"


def team_entries(teams: int) -> list[str]:
    """OU=Teams: a chief, directors, ``teams`` teams (lead + 9 members), manager and directReports set."""
    managers: dict[str, str | None] = {"Chief": None}
    for d in range(math.ceil(teams / LEADS_PER_DIRECTOR)):
        managers[f"Director {d:03d}"] = "Chief"
    for t in range(teams):
        managers[f"Lead {t:05d}"] = f"Director {t // LEADS_PER_DIRECTOR:03d}"
        for m in range(1, TEAM):
            managers[f"Member {t:05d}-{m}"] = f"Lead {t:05d}"
    reports: dict[str, list[str]] = {}
    for name, boss in managers.items():
        if boss:
            reports.setdefault(boss, []).append(team_dn(name))
    out = [slapd.ldif_entry(TEAMS_OU, {"objectClass": ["top", "organizationalUnit"], "ou": "Teams"})]
    for name, boss in managers.items():
        nick = name.lower().replace(" ", ".")
        attrs: dict = {"objectClass": ["top", "person", "organizationalPerson", "user"], "cn": name,
                       "distinguishedName": team_dn(name), "sn": name, "displayName": name,
                       "sAMAccountName": nick[:20], "userAccountControl": 512, "mail": team_address(name),
                       "mailNickname": nick, "proxyAddresses": [f"SMTP:{team_address(name)}"],
                       "homeMDB": f"CN=Mailbox Database 01,CN=Databases,{slapd.BASE_DN}",
                       "msExchRecipientTypeDetails": 1}
        if boss:
            attrs["manager"] = team_dn(boss)
        if name in reports:
            attrs["directReports"] = reports[name]
        out.append(slapd.ldif_entry(team_dn(name), attrs))
    return out


def team_batch(size: int) -> list[str]:
    """Whole teams (leads and members), 5 % unknown addresses."""
    known = size - size // 20
    rows = [team_address(f"Lead {t:05d}") if m == 0 else team_address(f"Member {t:05d}-{m}")
            for t in range(known // TEAM + 1) for m in range(TEAM)][:known]
    return rows + [f"nobody{i:05d}@contoso.com" for i in range(size - len(rows))]


class ManagerSearchSource(LdapSource):
    """The baseline: direct reports found by ``(manager=…)`` OR-filters, related objects searched by DN
    whether already fetched or not (LdapSource before it read the directReports back-link)."""

    def lookup_dns(self, dns):  # type: ignore[no-untyped-def]
        return directory_frame(list(self._batched(_unique(dns),
                                                  lambda d: f"(distinguishedName={self._escape(d)})").values()))

    def lookup_reports(self, manager_dns):  # type: ignore[no-untyped-def]
        return directory_frame(list(self._batched(_unique(manager_dns),
                                                  lambda d: f"(manager={self._escape(d)})").values()))


def timed_relations(src: LdapSource, csv: bytes) -> tuple[float, int, list]:
    """The PF220/PF221 run on one batch: seconds, searches, findings."""
    before = src.searches
    t0 = time.perf_counter()
    report = preflight.run_batches([parse_batch(csv, "wave.csv")], {"directory": {"source": src}},
                                   select=["PF220", "PF221"])
    elapsed = time.perf_counter() - t0
    if any(r.status.value == "errored" for r in report.results):
        raise SystemExit(f"relations errored: {[r.reason for r in report.results]}")
    return elapsed, src.searches - before, sorted((f.code, f.row, f.message) for f in report.findings)


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


def timed_read_all(src: LdapSource) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = len(src.read_all())
    return time.perf_counter() - t0, n


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that forwards each chunk of bytes ``delay`` seconds after it arrives, in both
    directions (order kept): a link with a round trip of ``2 * delay`` in front of ``(host, port)``."""

    def __init__(self, host: str, port: int, delay: float) -> None:
        self.target, self.delay = (host, port), delay
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        with contextlib.suppress(asyncio.CancelledError):  # stop()
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                self.loop.call_later(self.delay, writer.write, chunk)
        finally:
            self.loop.call_later(self.delay, writer.close)

    def stop(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)


def compare_lookups(server: slapd.Slapd, backend: str, addresses: list[str], runs: int, url: str | None = None
                    ) -> tuple[list, list]:
    """Interleaved timings of the batched lookup and the per-address loop (``url``: connect there instead)."""
    more = {"source": url} if url else {}
    batched = LdapSource.from_config({**server.config(PASSWORD_ENV, backend=backend), **more})
    single = LdapSource.from_config({**server.config(PASSWORD_ENV, backend=backend, chunk_size=1), **more})
    assert batched.backend == single.backend == backend
    for src in (batched, single):  # connect, bind, warm caches
        src.lookup(addresses[:10])
    ours, base = [], []
    for _ in range(runs):
        ours.append(timed_lookup(batched, addresses))
        base.append(timed_lookup(single, addresses))
    batched.close()
    single.close()
    return ours, base


def print_lookups(title: str, lookups: dict[str, tuple[list, list]]) -> set[int]:
    print(title)
    founds = set()
    for backend, (ours, base) in lookups.items():
        (_, n_ours, found), (_, n_base, found_base) = ours[0], base[0]
        if found != found_base:
            raise SystemExit(f"{backend}: results differ: batched found {found}, one-per-address found {found_base}")
        founds.add(found)
        m_ours = statistics.median(t for t, _, _ in ours)
        m_base = statistics.median(t for t, _, _ in base)
        print(f"  [{backend:11s}] lookup (chunk_size=150)  {n_ours:5d} searches {m_ours * 1000:7.0f} ms   "
              f"per-address loop {n_base:5d} searches {m_base * 1000:7.0f} ms   "
              f"ratio {n_base / n_ours:4.0f}x fewer, {m_base / m_ours:5.1f}x faster   ({found:,} objects found)")
    return founds


def timed_ldapsearch(server: slapd.Slapd) -> tuple[float, int]:
    """The C client on the same search as read_all: every object under the base, LdapSource's attributes."""
    cmd = [shutil.which("ldapsearch") or "ldapsearch", "-LLL", "-H", server.url, "-x", "-D", server.reader_dn,
           "-y", str(server.workdir / "bench-password"), "-b", server.base_dn, "-E", "pr=1000/noprompt",
           "(objectClass=*)", *ATTRIBUTES]
    env = dict(os.environ, LDAPTLS_CACERT=str(server.ca_file), LDAPTLS_REQCERT="demand")
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.run(cmd, env=env, stdout=sink, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"ldapsearch failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    return elapsed, -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mailboxes", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rtt-ms", type=float, default=1.0, help="round trip of the simulated link (ms)")
    args = ap.parse_args()

    backends = ["ldap3"] + (["python-ldap"] if _python_ldap_available() else [])
    have_ldapsearch = shutil.which("ldapsearch") is not None
    t0 = time.perf_counter()
    teams = math.ceil(args.batch / TEAM) * 3  # the batch takes a third of the teams
    server = slapd.start_slapd([*slapd.mailbox_entries(args.mailboxes), *team_entries(teams)])
    lookups: dict[str, tuple[list, list]] = {}
    delayed: dict[str, tuple[list, list]] = {}
    reads: dict[str, list[tuple[float, int]]] = {b: [] for b in backends}
    c_reads: list[tuple[float, int]] = []
    relations: dict[str, tuple[list, list]] = {}
    try:
        print(f"slapd with {args.mailboxes:,} mailboxes ready in {time.perf_counter() - t0:.1f} s "
              f"(slapadd {server.timings['slapadd']:.1f} s); LDAPS, page limit {slapd.SIZE_LIMIT}")
        os.environ[PASSWORD_ENV] = server.reader_password
        (server.workdir / "bench-password").write_text(server.reader_password)  # ldapsearch -y (no newline)
        addresses = batch(args.mailboxes, args.batch)
        for backend in backends:
            lookups[backend] = compare_lookups(server, backend, addresses, args.runs)
        proxy = DelayProxy(server.host, server.port, args.rtt_ms / 2000)
        try:
            url = f"ldaps://{server.host}:{proxy.port}"
            for backend in backends:
                delayed[backend] = compare_lookups(server, backend, addresses, args.runs, url)
        finally:
            proxy.stop()
        readers = {b: LdapSource.from_config(server.config(PASSWORD_ENV, backend=b)) for b in backends}
        for src in readers.values():
            src.lookup(addresses[:10])  # connect and bind outside the timing
        for _ in range(args.runs):
            for b, src in readers.items():
                reads[b].append(timed_read_all(src))
            if have_ldapsearch:
                c_reads.append(timed_ldapsearch(server))
        for src in readers.values():
            src.close()
        csv = ("EmailAddress\n" + "".join(a + "\n" for a in team_batch(args.batch))).encode()
        for backend in backends:
            ours, base = [], []
            for _ in range(args.runs):  # a new source per run: nothing known before the batch
                for cls, out in ((LdapSource, ours), (ManagerSearchSource, base)):
                    src = cls.from_config(server.config(PASSWORD_ENV, backend=backend, base_dn=TEAMS_OU))
                    out.append(timed_relations(src, csv))
                    src.close()
            relations[backend] = (ours, base)
    finally:
        server.stop()

    head = f"{args.batch:,}-row batch, median of {args.runs} interleaved runs (goal <= 25 searches, >= 10x faster)"
    founds = print_lookups(f"{head}, loopback:", lookups)
    founds |= print_lookups(f"{head}, through a link with a {args.rtt_ms:g} ms round trip:", delayed)
    if len(founds) != 1:
        raise SystemExit(f"backends found different numbers of objects: {founds}")

    counts = {n for b in backends for _, n in reads[b]}
    if len(counts) != 1:
        raise SystemExit(f"read_all returned different numbers of objects: {counts}")
    entries = counts.pop()
    print(f"whole-directory read: {entries:,} objects under {slapd.BASE_DN} (paged, 1,000 per page), "
          f"median of {args.runs} interleaved runs:")
    c_rate = entries / statistics.median(t for t, _ in c_reads) if c_reads else None
    if c_rate:
        print(f"  ldapsearch (C, -E pr=1000, > /dev/null)  {statistics.median(t for t, _ in c_reads) * 1000:7.0f} ms "
              f"{c_rate:9,.0f} entries/s")
    for b in backends:
        m = statistics.median(t for t, _ in reads[b])
        rate = entries / m
        vs = f"   ldapsearch is {c_rate / rate:4.1f}x faster" if c_rate else ""
        print(f"  LdapSource.read_all [{b:11s}]         {m * 1000:7.0f} ms {rate:9,.0f} entries/s{vs}")
    print(f"PF220/PF221 on a {args.batch:,}-row batch of whole teams ({teams * TEAM:,} team mailboxes; a new "
          f"source per run, connect and bind included), median of {args.runs} interleaved runs (goal <= 25 searches):")
    for b, (ours, base) in relations.items():
        if len({tuple(f) for _, _, f in ours + base}) != 1:
            raise SystemExit(f"{b}: the back-link and the manager search gave different findings")
        m_ours = statistics.median(t for t, _, _ in ours)
        m_base = statistics.median(t for t, _, _ in base)
        (_, n_ours, found), (_, n_base, _) = ours[0], base[0]
        print(f"  [{b:11s}] directReports back-link {n_ours:4d} searches {m_ours * 1000:7.0f} ms   "
              f"manager search {n_base:4d} searches {m_base * 1000:7.0f} ms   "
              f"ratio {n_base / n_ours:4.1f}x fewer, {m_base / m_ours:5.1f}x faster   ({len(found)} findings)")
    if not have_ldapsearch:
        print("  (ldapsearch not found: install ldap-utils to compare with the C client)")
    if "python-ldap" not in backends:
        print("  (python-ldap not installed: pip install preflight[fast-ldap] to measure the fast backend)")


if __name__ == "__main__":
    main()
