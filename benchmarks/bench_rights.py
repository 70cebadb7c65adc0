"""Benchmark of the migration account rights (PF540-PF545) for a 2,000-row batch (prints figures; not a test).

The data: an ldifde-shaped LDIF of 2,000 batch mailboxes, each with its own
``nTSecurityDescriptor`` (40 ACEs: 20 object ACEs, 20 inherited ones, one naming the user
itself, so no two are alike and the decoder's cache of identical descriptors does not help)
and ``msExchMailboxSecurityDescriptor`` (6 ACEs), the migration account in nested groups, the
domain, schema and AdminSDHolder objects. Descriptors are built from SDDL by Samba's
``samba.security`` (Debian's python3-samba).

1. Decoding: the 4,000 descriptors by :func:`preflight.sources.rights.decode_dacl` (winacl,
   cache cleared each run); the goal is under one second. Baseline in the same run: Samba's
   C NDR decoder (``ndr_unpack``) of the same bytes.
2. Reading: :class:`ExportRights.read` (LDIF parse + decoding + group closure), against the LDIF
   parse alone (:func:`~preflight.sources.directory.configuration.read_entries`) in the same run.
3. The checks: ``run_batches`` selecting PF54 on the export (directory read, batch lookup,
   rights read, every rights check).

Times are CPU seconds of this process (median of ``--runs``).

A live DC reads the same data in a fixed number of searches plus one per ``chunk_size`` (150)
users and per 150 SIDs found in mailbox ACEs (about 35 for 2,000 rows; counted on Samba by
tests/endpoint/test_rights.py), never one per row.

Run: ``python benchmarks/bench_rights.py [--runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ad.exporters import write_ldifde
from endpoint.test_rights import USER_CLASS, samba_security, sd

import preflight
from preflight.sources.batch_csv import parse_batch
from preflight.sources.directory.configuration import read_entries
from preflight.sources.rights import decode_dacl
from preflight.sources.rights.export import ExportRights

DOMAIN = "S-1-5-21-1004336348-1177238915-682003330"
BASE = "DC=contoso,DC=com"
OU = "OU=Staff," + BASE
TARGET = "bf967a0a-0de6-11d0-a285-00aa003049e2"
ROWS = 2000


def build(tmp: Path) -> tuple[Path, list[bytes], str]:
    account = f"{DOMAIN}-5000"
    groups = [f"{DOMAIN}-{5001 + i}" for i in range(3)]
    inherited = "".join(f"(A;CIID;0x20094;;;{DOMAIN}-{2000 + i})" for i in range(20))
    entries = [(BASE, {"objectClass": ["top", "domain", "domainDNS"], "objectSid": sid(DOMAIN),
                       "maxPwdAge": str(-42 * 86400 * 10**7), "lockoutDuration": str(-30 * 60 * 10**7)}),
               (f"CN=targetAddress,CN=Schema,CN=Configuration,{BASE}",
                {"objectClass": "attributeSchema", "lDAPDisplayName": "targetAddress",
                 "schemaIDGUID": __import__("uuid").UUID(TARGET).bytes_le}),
               (f"CN=AdminSDHolder,CN=System,{BASE}", {"objectClass": "container",
                                                        "nTSecurityDescriptor": sd("O:DAG:DAD:P(A;;GA;;;DA)", DOMAIN)})]
    for i, g in enumerate(groups):
        parent = [f"CN=Group {i + 1},{OU}"] if i + 1 < len(groups) else []
        entries.append((f"CN=Group {i},{OU}", {"objectClass": "group", "objectSid": sid(g), "memberOf": parent}))
    entries.append((f"CN=svc-migrate,{OU}", {"objectClass": "user", "sAMAccountName": "svc-migrate",
                                             "userPrincipalName": "svc-migrate@contoso.com", "objectSid": sid(account),
                                             "memberOf": [f"CN=Group 0,{OU}"], "primaryGroupID": "513",
                                             "userAccountControl": "512", "pwdLastSet": str(134_000_000_000_000_000)}))
    blobs = []
    lines = ["EmailAddress"]
    for i in range(ROWS):
        own = f"{DOMAIN}-{10000 + i}"
        user_sd = sd("O:DAG:DAD:AI" + "".join(f"(OA;CI;WP;{TARGET};{USER_CLASS};{DOMAIN}-{3000 + j})" for j in range(19))
                     + f"(OA;;WP;{TARGET};;{own})" + inherited, DOMAIN)
        mailbox_sd = sd(f"O:SYG:SYD:(A;CI;0x1;;;{groups[i % 3]})(A;CI;0x20001;;;PS)(A;CI;0x1;;;{own})"
                        f"(D;CI;0x2;;;{account})(A;CI;0x20000;;;{DOMAIN}-{90000 + i % 7})(A;CI;0x1;;;SY)", DOMAIN)
        blobs += [user_sd, mailbox_sd]
        address = f"user{i}@contoso.com"
        lines.append(address)
        entries.append((f"CN=User {i},{OU}", {
            "objectClass": "user", "sAMAccountName": f"user{i}", "mail": address, "proxyAddresses": f"SMTP:{address}",
            "homeMDB": f"CN=DB01,CN=Databases,CN=Configuration,{BASE}", "msExchRecipientTypeDetails": "1",
            "objectSid": sid(own), "nTSecurityDescriptor": user_sd, "msExchMailboxSecurityDescriptor": mailbox_sd}))
    path = tmp / "rights.ldf"
    write_ldifde(entries, path)
    return path, blobs, "\n".join(lines) + "\n"


def sid(text: str) -> bytes:
    security, ndr_pack = samba_security()
    return ndr_pack(security.dom_sid(text))


def best(fn, runs: int) -> float:
    """Median CPU seconds of ``runs`` calls (process time: on a machine whose cores other work
    shares, wall time measures the neighbours too)."""
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    security, _ = samba_security()
    from samba.ndr import ndr_unpack

    with tempfile.TemporaryDirectory() as folder:
        path, blobs, csv = build(Path(folder))

        def decode() -> None:
            decode_dacl.cache_clear()
            for b in blobs:
                decode_dacl(b)

        def baseline() -> None:
            for b in blobs:
                ndr_unpack(security.descriptor, b)

        t_decode, t_c = best(decode, runs), best(baseline, runs)
        print(f"decoding {len(blobs):,} descriptors ({ROWS:,} rows): {t_decode:.3f} s "
              f"({'under' if t_decode < 1 else 'OVER'} the 1 s goal); Samba's C NDR decoder: {t_c:.3f} s "
              f"(ratio {t_decode / t_c:.1f}x)")

        def read() -> None:
            decode_dacl.cache_clear()
            ExportRights(path).read("svc-migrate@contoso.com", [f"CN=User {i},{OU}" for i in range(ROWS)])

        t_read, t_parse = best(read, runs), best(lambda: read_entries(path), runs)
        print(f"rights read from the LDIF: {t_read:.3f} s; LDIF parse alone: {t_parse:.3f} s "
              f"(ratio {t_read / t_parse:.2f}x)")

        batch = parse_batch(csv.encode(), "batch.csv")

        def checks() -> None:
            decode_dacl.cache_clear()
            report = preflight.run_batches([batch], {"directory": {"source": str(path)},
                                                     "endpoint": {"migration_account": "svc-migrate@contoso.com"}},
                                           select=["PF54"])
            assert any(f.code == "PF545" for f in report.findings), "the orphaned SIDs were not found"

        print(f"PF540-PF545 end to end on the export (directory read included): {best(checks, runs):.3f} s")


if __name__ == "__main__":
    main()
