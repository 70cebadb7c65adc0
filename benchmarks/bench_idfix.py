"""Benchmark of the IdFix scan (prints figures; not a test).

1. End to end on 1,000,000 synthetic directory objects (about 3 % bad values and
   duplicates) from a csvde export file: ``python -m preflight --directory FILE
   --idfix-scope directory --select PF4 --format json``, in a child process, for
   its wall time and peak memory (goal: <= 20 s and <= 4 GiB on 2 cores).
2. The vectorized engine against a straightforward per-object Python loop with
   the same rules, on the same 100,000 objects in the same run.

Run: ``python benchmarks/bench_idfix.py [--objects N] [--loop-objects N]``.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_export(n: int, path: Path, seed: int = 7) -> None:
    """A csvde CSV of ``n`` users; ~3 % of them carry an IdFix error or a duplicate."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    nick = pd.Series(i).map("user{:07d}".format)
    upn = nick + "@contoso.com"
    proxies = "SMTP:" + upn + ";smtp:" + nick + "@contoso.mail.onmicrosoft.com;X500:/o=Contoso/cn=" + nick
    bad = rng.random(n)
    upn = upn.where(~(bad < 0.005), nick + " x@contoso.com")                      # character
    upn = upn.where(~((bad >= 0.005) & (bad < 0.01)), nick + "@contoso.local")   # top-level domain
    proxies = proxies.where(~((bad >= 0.01) & (bad < 0.015)), proxies + ";smtp:" + nick + "(old)@contoso.com")
    dup_of = pd.Series(rng.integers(0, n, n)).map("user{:07d}".format)
    proxies = proxies.where(~((bad >= 0.015) & (bad < 0.025)), proxies + ";smtp:" + dup_of + "@contoso.com")
    nickname = nick.where(~((bad >= 0.025) & (bad < 0.03)), "." + nick)           # leading period
    frame = pd.DataFrame({
        "DN": "CN=" + nick + ",OU=Staff,DC=contoso,DC=com", "objectClass": "user", "cn": nick,
        "sAMAccountName": nick, "userPrincipalName": upn, "displayName": "User " + nick, "mail": nick + "@contoso.com",
        "mailNickname": nickname, "proxyAddresses": proxies, "msExchRecipientTypeDetails": "1",
        "homeMDB": "CN=DB01,CN=Databases,CN=Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com",
    })
    frame.to_csv(path, index=False)


def loop_rules(objects: pd.DataFrame, rule_set: str = "multi-tenant") -> int:
    """The same IdFix rules, one object and one value at a time (the baseline)."""
    from preflight.checks.idfix.rules import (
        DOMAIN_PART_RE,
        LOCAL_PART_RE,
        RFC2822_RE,
        RULES,
        routable_tlds,
    )

    tlds = routable_tlds()
    domain_re, local_re, rfc_re = (re.compile(p) for p in (DOMAIN_PART_RE, LOCAL_PART_RE, RFC2822_RE))
    compiled: dict[str, re.Pattern] = {}
    seen: dict[str, dict[str, str]] = {}
    failing = 0
    for obj in objects.to_dict("records"):
        for attribute, steps in RULES[rule_set].items():
            values = list(obj[attribute]) if attribute == "proxyAddresses" else [obj[attribute]]
            for value in values:
                cur, flags = value, 0
                ptype = ""
                if attribute in ("proxyAddresses", "targetAddress"):
                    prefix = cur.split(":", 1)[0].casefold() if ":" in cur else ""
                    ptype = "smtp" if prefix == "smtp" else "x400x500" if re.match(r"^x\.?(400|500)$", prefix) else "other"
                for step in steps:
                    if (step.kind == "blank") == bool(cur) or (step.when and step.when != ptype):
                        continue
                    if step.kind == "maxlen":
                        limit = (20 if obj["object_class"] == "user" else 256) if step.arg == "sam" else step.arg
                        if len(cur) > limit:
                            cur, flags = cur[:limit], flags | 128
                    elif step.kind == "regex":
                        rx = compiled.setdefault(step.arg, re.compile(step.arg))
                        if rx.search(cur):
                            cur, flags = rx.sub("", cur) or obj["cn"], flags | 8
                    elif step.kind == "colons":
                        head, _, tail = cur.partition(":")
                        if head and ":" in tail:
                            cur, flags = head + ":" + tail.replace(":", ""), flags | 8
                    elif step.kind == "duplicate":
                        if step.arg == "no-upn" and obj["userPrincipalName"]:
                            continue
                        owner = seen.setdefault(attribute, {}).setdefault(cur.casefold(), obj["dn"])
                        if owner != obj["dn"]:
                            flags |= 4
                    elif step.kind == "rfc2822":
                        addr = cur[5:] if cur[:5].casefold() == "smtp:" else cur
                        tld = addr.rsplit(".", 1)[-1].lower() if "." in addr else ""
                        if tld and tld not in tlds:
                            flags |= 16
                        if not domain_re.search(addr):
                            flags |= 32
                        if not local_re.search(addr) or addr.count("@") > 1:
                            flags |= 64
                        if not rfc_re.search(addr):
                            flags |= 1
                    elif step.kind == "blank":
                        flags |= 2
                failing += flags != 0
    return failing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--loop-objects", type=int, default=100_000)
    args = ap.parse_args()
    from preflight.checks.idfix.rules import run_rules, scan_scope
    from preflight.sources.directory.exports import read_export

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        t = time.perf_counter()
        make_export(args.objects, big)
        print(f"{args.objects:,} objects written as a csvde export ({big.stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "preflight", "--directory", str(big), "--idfix-scope", "directory",
                               "--select", "PF4", "--format", "json", "--output", str(Path(tmp) / "report.json")],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB
        import json

        report = json.loads((Path(tmp) / "report.json").read_text())
        print(f"end to end, python -m preflight --idfix-scope directory: {wall:.1f} s, peak RSS {peak:.2f} GiB, "
              f"{len(report['findings']):,} findings, exit {proc.returncode}   (goal <= 20 s, <= 4 GiB)")

        small = Path(tmp) / "small.csv"
        make_export(args.loop_objects, small)
        objects = scan_scope(read_export(small).frame)
        t = time.perf_counter()
        vec = run_rules(objects)
        t_vec = time.perf_counter() - t
        t = time.perf_counter()
        n_loop = loop_rules(objects)
        t_loop = time.perf_counter() - t
        print(f"{args.loop_objects:,} objects, rules only, same run:")
        print(f"  column engine (pyarrow)      {t_vec * 1000:8.0f} ms   {len(vec):,} failing values")
        print(f"  per-object Python loop       {t_loop * 1000:8.0f} ms   {n_loop:,} failing values "
              "(it flags the later objects of a duplicate set only)")
        print(f"  ratio                        {t_loop / t_vec:8.1f}x faster")


if __name__ == "__main__":
    main()
