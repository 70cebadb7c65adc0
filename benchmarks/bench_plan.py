"""Benchmark of ``preflight plan`` (prints figures; not a test).

An organization of ``--mailboxes`` mailboxes (default 100,000) is written as a csvde export:
a manager hierarchy (each mailbox's manager is mailbox ``(i - 1) // 4``: about 8 levels deep)
and two delegates per mailbox among its neighbours (``publicDelegates``), so about three
affinity links per mailbox (300,000 for 100,000) — then mailbox statistics for every mailbox.
Measured in the same run, interleaved over ``--runs`` runs: the baseline, ``read_export``
alone (reading and normalizing the directory export), and ``plan()`` end to end (the same
read, the readiness checks, mailbox statistics, components, METIS, packing). Prints the medians,
their difference (what planning costs beyond reading) and the peak RSS.

Goal (issue 11): 100,000 mailboxes with 300,000 links planned in <= 10 s and <= 2 GiB.

Run: ``python benchmarks/bench_plan.py [--mailboxes N] [--runs N]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from preflight.plan import plan
from preflight.sources.directory.exports import ATTRIBUTES, read_export

STAFF = "OU=Staff,DC=contoso,DC=com"
LEGACY = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"


def make_org(n: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(11)
    idx = np.arange(n)
    i = pd.Series(idx).astype(str)
    nick = "user" + i
    dn = "CN=User " + i + "," + STAFF
    empty = pd.Series([""] * n)
    manager = pd.Series(np.where(idx > 0, "CN=User " + pd.Series((idx - 1) // 4).astype(str) + "," + STAFF, ""))
    d1 = np.clip(idx + rng.integers(1, 20, n), 0, n - 1)
    d2 = np.clip(idx - rng.integers(1, 20, n), 0, n - 1)
    delegates = ("CN=User " + pd.Series(d1).astype(str) + "," + STAFF + ";CN=User " + pd.Series(d2).astype(str) + ","
                 + STAFF)
    columns = {
        "DN": dn, "cn": "User " + i, "sAMAccountName": nick, "userPrincipalName": nick + "@contoso.com",
        "mail": nick + "@contoso.com", "mailNickname": nick, "targetAddress": empty, "displayName": "User " + i,
        "givenName": pd.Series(["User"] * n), "sn": i,
        "homeMDB": pd.Series(["CN=DB1,CN=Databases,CN=Configuration,DC=contoso,DC=com"] * n),
        "msExchHomeServerName": pd.Series([LEGACY + "/cn=Configuration/cn=Servers/cn=EX2007"] * n),
        "msExchUMRecipientDialPlanLink": empty, "msExchUMTemplateLink": empty, "manager": manager,
        "legacyExchangeDN": LEGACY + "/cn=Recipients/cn=" + nick, "department": empty, "groupType": empty,
        "objectClass": pd.Series(["top;person;organizationalPerson;user"] * n),
        "proxyAddresses": "SMTP:" + nick + "@contoso.com", "publicDelegates": delegates,
        "msExchDelegateListLink": empty, "msExchRecipientTypeDetails": pd.Series(["1"] * n),
        "msExchUMEnabledFlags": empty, "userAccountControl": pd.Series(["512"] * n),
        "msExchHideFromAddressLists": empty, "isCriticalSystemObject": empty, "msExchMasterAccountSid": empty,
    }
    assert set(columns) - {"DN"} == set(ATTRIBUTES)
    export = folder / "org.csv"
    pd.DataFrame(columns).to_csv(export, index=False, lineterminator="\r\n")
    stats = folder / "stats.csv"
    pd.DataFrame({"DisplayName": "User " + i, "LegacyExchangeDN": LEGACY + "/cn=Recipients/cn=" + nick,
                  "TotalItemSize": pd.Series(rng.integers(10**8, 5 * 10**9, n)).astype(str) + "B",
                  "ItemCount": "100", "Database": "DB1"}).to_csv(stats, index=False, lineterminator="\r\n")
    return export, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mailboxes", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export, stats = make_org(args.mailboxes, Path(tmp))
        config = {"directory": {"source": str(export)}, "capacity": {"mailbox_stats": str(stats)}}
        reads, plans = [], []
        result = None
        for _ in range(args.runs):
            t = time.perf_counter()
            read_export(export)
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            result = plan(config)
            plans.append(time.perf_counter() - t)
        assert result is not None
        links = 2 * args.mailboxes + args.mailboxes - 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        read, total = statistics.median(reads), statistics.median(plans)
        print(f"{args.mailboxes:,} mailboxes, about {links:,} affinity links, median of {args.runs} interleaved runs:")
        print(f"  read_export alone (baseline)   {read:6.2f} s")
        print(f"  plan() end to end              {total:6.2f} s   ({total / read:.1f}x the read; "
              f"planning beyond the read {total - read:.2f} s)   (goal <= 10 s)")
        print(f"  {len(result.waves)} waves, {len(result.cut_links):,} cut links, peak RSS {peak:.2f} GiB (goal <= 2 GiB)")


if __name__ == "__main__":
    main()
