"""Benchmark of the tenant recipients source and the cloud checks (prints figures; not a test).

1. Reading: Get-Recipient CSV exports (Export-Csv's shape, ``;``-joined
   EmailAddresses, three addresses each) and Graph ``/users`` exports (999-user
   pages appended to one file) of 25,000, 50,000 and 100,000 recipients, each read
   ``--runs`` times by ``read_recipients``; interleaved in the same run, the
   baseline: ``csv.DictReader`` over the CSV text / ``json.loads`` of the pages
   alone. Reading is linear when the time per recipient stays flat.
2. Joining: a 2,000-row batch (1,900 addresses carried by a cloud object, 100 not)
   with 100,000 cloud recipients (a Get-Recipient and a Graph users export, with
   /subscribedSkus) and, for PF630, a 100,000-object directory: the ``batch_cloud``
   join plus every PF6xx check, after the sources are read; against a plain Python
   join (a dict of every cloud address, then one look-up per row) in the same run.

Run: ``python benchmarks/bench_cloud.py [--runs N]``
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cloud import exports as ex

from preflight import registry
from preflight.checks.cloud.providers import batch_cloud
from preflight.checks.directory.providers import batch_directory
from preflight.config import Config
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory import FrameSource
from preflight.sources.recipients import read_recipients
from preflight.sources.schemas import directory_frame
from preflight.sources.tenant import from_list

X500 = "X500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="


def recipients(n: int) -> list[dict]:
    kinds = ("MailUser",) * 8 + ("UserMailbox", "MailContact")
    return [ex.recipient(f"User {i}", f"user{i}@contoso.com", kinds[i % 10], f"smtp:u{i}@contoso.mail.onmicrosoft.com",
                         X500 + f"user{i}", synced=i % 50 != 0) for i in range(n)]


def users(n: int) -> list[dict]:
    lic = [[ex.licence(ex.E3)], [ex.licence(ex.E3, ex.EXO_PLAN2)], [ex.licence(ex.ENTRA_P1)], []]
    return [ex.user(f"user{i}@contoso.com", licences=lic[i % 4], more=(f"smtp:u{i}@contoso.mail.onmicrosoft.com",),
                    synced=True if i % 50 else None) for i in range(n)]


def write(tmp: Path, n: int) -> tuple[Path, Path]:
    csv_path, json_path = tmp / f"recipients-{n}.csv", tmp / f"users-{n}.json"
    csv_path.write_bytes(ex.export_csv(recipients(n)))
    json_path.write_text("\n".join(json.dumps(p) for p in ex.graph_pages(users(n), 999)))
    return csv_path, json_path


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def reading(tmp: Path, runs: int) -> None:
    print(f"reading (median of {runs} runs; baseline: csv.DictReader / json.loads of the same file alone):")
    per = {}
    for n in (25_000, 50_000, 100_000):
        csv_path, json_path = write(tmp, n)
        for label, path, base in (
            ("Get-Recipient CSV ", csv_path, lambda p: list(csv.DictReader(io.StringIO(p.read_text("utf-8-sig"))))),
            ("Graph /users pages", json_path, lambda p: [json.loads(line) for line in p.read_text().splitlines()]),
        ):
            ours, baseline = [], []
            for _ in range(runs):
                baseline.append(_time(lambda b=base, p=path: b(p)))
                ours.append(_time(lambda p=path: read_recipients([p])))
            o, b = statistics.median(ours), statistics.median(baseline)
            per.setdefault(label, []).append(o / n)
            print(f"  {label} {n:>7,} recipients  {o * 1000:7.0f} ms  {o / n * 1e6:5.2f} µs each   "
                  f"baseline {b * 1000:6.0f} ms   ratio {o / b:4.1f}x")
    for label, values in per.items():
        print(f"  {label}: µs per recipient at 100,000 / at 25,000 = {values[-1] / values[0]:.2f} (linear: about 1)")


def joining(tmp: Path, runs: int) -> None:
    n, rows = 100_000, 2_000
    csv_path, json_path = write(tmp, n)
    (tmp / "skus.json").write_bytes(ex.subscribed_skus())
    tr = read_recipients([csv_path, json_path, tmp / "skus.json"])
    addresses = [f"user{i * 50 + 1}@contoso.com" for i in range(rows - 100)] + [f"gone{i}@contoso.com" for i in range(100)]
    batch = parse_batch(("EmailAddress\r\n" + "".join(a + "\r\n" for a in addresses)).encode(), "batch.csv")
    directory = FrameSource(directory_frame([
        {"dn": f"CN=User {i},OU=Staff,DC=contoso,DC=com", "objectClass": ["top", "user"], "mail": f"user{i}@contoso.com",
         "msExchRecipientTypeDetails": 1, "proxyAddresses": [f"SMTP:user{i}@contoso.com", f"smtp:user{i}@litware.com"]}
        for i in range(n)]), {"kind": "directory"})
    tenant = from_list(["contoso.com"])
    config = Config(dns={"stage": "migrating"})
    checks = [c for c in registry.all_checks() if c.code.startswith("PF6")]

    def run(chosen, data) -> int:
        found = 0
        for c in chosen:
            with contextlib.suppress(registry.Missing):  # PF621: not at this stage
                found += sum(1 for _ in c.func(**{k: data[k] for k in c.needs}))
        return found

    def ours() -> int:
        return run([c for c in checks if "batch_cloud" in c.needs], {"batch_cloud": batch_cloud(tr, [batch]), "config": config})

    def with_directory() -> int:
        bd = batch_directory(directory, [batch])
        return run([c for c in checks if "batch_directory" in c.needs], {"batch_directory": bd, "tenant_domains": tenant})

    def plain() -> int:
        index: dict[str, list[int]] = {}
        for oid, (mail, proxies) in enumerate(zip(tr.objects["mail"].tolist(), tr.objects["proxyAddresses"].tolist(),
                                                  strict=True)):
            keys = {mail.casefold()} | {p[5:].casefold() for p in proxies if p[:5].casefold() == "smtp:"}
            for k in keys:
                index.setdefault(k, []).append(oid)
        return sum(1 for a in addresses if not index.get(a.casefold()))

    found, found_dir = ours(), with_directory()
    t_ours = statistics.median(_time(ours) for _ in range(runs))
    t_dir = statistics.median(_time(with_directory) for _ in range(runs))
    t_plain = statistics.median(_time(plain) for _ in range(runs))
    print(f"a {rows:,}-row batch, {len(tr.objects):,} cloud objects ({n:,} recipients + {n:,} users), after reading "
          f"(median of {runs} runs):")
    print(f"  batch_cloud join + PF600-PF621              {t_ours * 1000:6.0f} ms  ({found:,} findings)   (goal: well under 1 s)")
    print(f"  plain Python join (baseline: a dict of every cloud address, one look-up per row)  {t_plain * 1000:6.0f} ms   "
          f"ours is {t_plain / t_ours:.1f}x faster")
    print(f"  with a {n:,}-object directory export: batch_directory lookup + PF630  {t_dir * 1000:6.0f} ms  "
          f"({found_dir:,} findings)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reading(Path(tmp), args.runs)
        joining(Path(tmp), args.runs)


if __name__ == "__main__":
    main()
