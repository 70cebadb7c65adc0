"""Helpers of the endpoint tests: run the PF5xx checks with given ``[endpoint]``
options, live against the nginx fixture or offline on a chain file."""

from __future__ import annotations

from pathlib import Path

from endpoint import certs


def batch(*domains: str):
    """A batch file with one mailbox per domain."""
    from preflight.sources.batch_csv import parse_batch

    rows = "".join(f"ann@{d},Pa55word!ann\n" for d in domains)
    return parse_batch(f"EmailAddress,Password\n{rows}".encode(), "batch.csv")


#: The Outlook Anywhere checks (PF540 on are the migration account's rights, tests/endpoint/test_rights.py).
OUTLOOK_ANYWHERE = ("PF50", "PF51", "PF52", "PF53")


def run(endpoint: dict, *domains: str, select=OUTLOOK_ANYWHERE):
    """Run the Outlook Anywhere checks with ``[endpoint]`` = ``endpoint`` (and a batch of ``domains``)."""
    import preflight

    return preflight.run_batches([batch(*domains)] if domains else [], {"endpoint": endpoint}, select=list(select))


def live(port: int, ca_file: Path | None = None, *, timeout: float = 3.0, **extra):
    """``[endpoint]`` options that probe mail.contoso.com at 127.0.0.1:``port``."""
    opts = {"outlook_anywhere_host": certs.HOST, "port": port, "connect_to": {certs.HOST: f"127.0.0.1:{port}"},
            "connect_timeout": timeout, "receive_timeout": timeout, **extra}
    if ca_file is not None:
        opts["ca_file"] = str(ca_file)
    return opts


def statuses(report) -> dict[str, str]:
    return {r.code: r.status.value for r in report.results}


def codes(report) -> set[str]:
    return {f.code for f in report.findings}
