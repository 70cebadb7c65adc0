"""Benchmark of the csvde export reader (prints figures; not a test).

A csvde export of ``--objects`` mail objects (default 1,000,000: every column of
the documented ``csvde -l`` list, three proxy addresses, four object classes, a
manager, a delegate on one object in ten, a master account SID on one in
fifty) is generated to a temporary file, then loaded ``--runs`` times by
``read_export`` (format detection, column-wise normalization, pandera
validation) and, interleaved in the same run, by ``pandas.read_csv(dtype=str,
keep_default_na=False, engine="pyarrow")`` alone — the parser read_export uses,
so the difference is what normalization costs.
Prints both medians and their ratio. ``--encoding utf-16`` measures ``csvde -u``
files.

Run: ``python benchmarks/bench_exports.py [--objects N] [--runs N] [--encoding utf-8|utf-16]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from preflight.sources.directory.exports import ATTRIBUTES, read_export

STAFF = "OU=Staff,DC=contoso,DC=com"
LEGACY = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
DATABASE = "CN=Mailbox Database 01,CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative " \
           "Groups,CN=Contoso,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=com"


def make_export(n: int, path: Path, encoding: str) -> None:
    i = pd.Series(np.arange(n)).astype(str)
    nick = "user" + i
    dn = "CN=User " + i + "," + STAFF
    empty = pd.Series([""] * n)
    every = lambda k, value: pd.Series(np.where(np.arange(n) % k == 0, value, ""))  # noqa: E731
    columns = {
        "DN": dn,
        "cn": "User " + i,
        "sAMAccountName": nick,
        "userPrincipalName": nick + "@contoso.com",
        "mail": nick + "@contoso.com",
        "mailNickname": nick,
        "targetAddress": empty,
        "displayName": "User " + i,
        "givenName": pd.Series(["User"] * n),
        "sn": i,
        "homeMDB": pd.Series([DATABASE] * n),
        "msExchHomeServerName": pd.Series([LEGACY + "/cn=Configuration/cn=Servers/cn=EX2007"] * n),
        "msExchUMRecipientDialPlanLink": empty,
        "msExchUMTemplateLink": empty,
        "manager": "CN=User " + pd.Series(np.arange(n) // 10 * 10).astype(str) + "," + STAFF,
        "legacyExchangeDN": LEGACY + "/cn=Recipients/cn=" + nick,
        "department": every(3, "Finance"),
        "groupType": empty,
        "objectClass": pd.Series(["top;person;organizationalPerson;user"] * n),
        "proxyAddresses": "SMTP:" + nick + "@contoso.com;smtp:" + nick + "@contoso.mail.onmicrosoft.com;X500:"
                          + LEGACY + "/cn=Recipients/cn=" + nick,
        "publicDelegates": pd.Series(np.where(np.arange(n) % 10 == 1, dn.shift(1, fill_value=""), "")),
        "msExchDelegateListLink": empty,
        "msExchRecipientTypeDetails": pd.Series(["1"] * n),
        "msExchUMEnabledFlags": empty,
        "userAccountControl": pd.Series(np.where(np.arange(n) % 7 == 0, "514", "512")),
        "msExchHideFromAddressLists": every(100, "TRUE"),
        "isCriticalSystemObject": empty,
        "msExchMasterAccountSid": every(50, "X'010500000000000515000000010000000200000003000000510400 00'".replace(" ", "")),
    }
    assert set(columns) - {"DN"} == set(ATTRIBUTES)
    pd.DataFrame(columns).to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--encoding", default="utf-8", choices=["utf-8", "utf-16"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contoso.csv"
        t = time.perf_counter()
        make_export(args.objects, path, args.encoding)
        print(f"{args.objects:,} objects written as a csvde export ({path.stat().st_size / 2**20:.0f} MiB, "
              f"{args.encoding}) in {time.perf_counter() - t:.1f} s")
        ours, baseline = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=args.encoding, engine="pyarrow")
            baseline.append(time.perf_counter() - t)
            del table
            t = time.perf_counter()
            source = read_export(path)
            ours.append(time.perf_counter() - t)
            assert source.describe()["objects"] == args.objects and source.describe()["format"] == "csvde"
            del source
        b, o = statistics.median(baseline), statistics.median(ours)
        print(f"pandas.read_csv(engine='pyarrow') alone (baseline): median {b:.2f} s over {args.runs} runs "
              f"({', '.join(f'{x:.2f}' for x in baseline)})")
        print(f"read_export (detect, normalize, validate): median {o:.2f} s "
              f"({', '.join(f'{x:.2f}' for x in ours)})")
        print(f"ratio read_export / read_csv: {o / b:.2f}x; normalization costs {o - b:.2f} s "
              f"({(o - b) / args.objects * 1e6:.2f} µs per object)")


if __name__ == "__main__":
    main()
