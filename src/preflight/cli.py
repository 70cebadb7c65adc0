"""Command line: ``preflight [PATH…]`` / ``python -m preflight [PATH…]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from ._version import __version__

EPILOG = """\
exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on, or a check errored (its source failed:
     unreachable server, bad credentials, untrusted certificate, DNS failure)
  2  usage error, bad configuration, unknown check code, a selection of no check,
     a PATH (or an option's file) that does not exist or cannot be read, or
     nothing checked (every selected check was skipped: its data was not given)
A file that cannot be decoded or parsed is a finding (exit 1), not a usage error.
"""


class _Usage(Exception):
    """A usage error: each line of its message printed after "preflight: ", exit code 2."""


#: Positional PATHs that are another option's input (a zone file after --zone-file's one value, say).
_NOT_A_BATCH = {".zone": "--zone-file (one file each, or comma-separated)", ".ldif": "--directory",
                ".json": "--tenant-domains", ".toml": "--config"}
#: A --tenant-domains value with one of these endings is a file name, not a domain.
_DOMAIN_FILE_SUFFIXES = (".json", ".csv", ".txt", ".xml")


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0 (0: no limit), not {value!r}")
    return n


def _files(values: list[str] | None) -> list[str] | None:
    """The file names of a repeatable option, each value possibly comma-separated."""
    if values is None:
        return None
    return [f.strip() for v in values for f in v.split(",") if f.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="preflight",
        description="Check an Exchange staged migration (batch CSVs, directory, tenant, DNS) before you start it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="migration batch CSV files")
    from .formatters import FORMATS

    p.add_argument("--format", choices=FORMATS, default="text",
                   help="report format (html: one self-contained page, needs the html extra)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--sarif-root", metavar="DIR",
                   help="sarif format: make file URIs relative to DIR (default: the git top level of the current folder)")
    p.add_argument("--max-per-check", type=_non_negative, default=10, metavar="N",
                   help="text format: list at most N findings of a check per file, count the rest (0: all; default 10)")
    p.add_argument("--select", action="append", metavar="CODES",
                   help="comma-separated codes, prefixes or names to run (repeatable)")
    p.add_argument("--ignore", action="append", metavar="CODES",
                   help="comma-separated codes, prefixes or names to skip (repeatable)")
    p.add_argument("--fail-on", choices=("error", "warning", "info"), help="lowest severity that fails (default: error)")
    p.add_argument("--config", metavar="FILE",
                   help="config file (default: nearest preflight.toml or pyproject.toml [tool.preflight])")
    p.add_argument("--sso", action="store_true", default=None, help="single sign-on (AD FS) is deployed")
    p.add_argument("--list-checks", action="store_true", help="list every check and exit")
    p.add_argument("--explain", metavar="CODE", help="print what a check does, why, and how to fix it")
    p.add_argument("--version", action="version", version=f"preflight {__version__}")

    d = p.add_argument_group("on-premises directory")
    d.add_argument("--directory", action="append", metavar="SRC",
                   help="ldaps://dc.example.com, ldap://… (StartTLS), or an .ldif/.csv export; repeat it for the "
                        "Exchange organization exports (Configuration partition, domain policy)")
    d.add_argument("--base-dn", action="append", metavar="DN", help="search base (repeatable)")
    d.add_argument("--bind-user", metavar="UPN", help="user to bind as, e.g. svc-preflight@contoso.com")
    d.add_argument("--password-env", metavar="NAME", help="environment variable holding the bind password")
    d.add_argument("--ca-file", metavar="FILE", help="CA certificate(s) to verify the domain controller")
    d.add_argument("--tls-server-name", metavar="NAME",
                   help="name the DC's certificate is issued to, when you connect by another name or address")
    d.add_argument("--starttls", action="store_true", default=None, help="use StartTLS on port 389")
    d.add_argument("--insecure-no-tls-verify", action="store_true", default=None,
                   help="DANGEROUS: do not verify the server certificate")
    d.add_argument("--connect-timeout", type=float, metavar="S")
    d.add_argument("--receive-timeout", type=float, metavar="S")

    t = p.add_argument_group("tenant and DNS")
    t.add_argument("--tenant-domains", metavar="FILE|LIST", help="tenant domain export, or comma-separated verified domains")
    t.add_argument("--stage", choices=("migrating", "cutover", "complete"))
    t.add_argument("--dns-server", action="append", metavar="HOST[:PORT]", help="DNS server to ask (repeatable)")
    t.add_argument("--zone-file", action="append", metavar="FILE",
                   help="offline zone file (repeat the option for each file, or comma-separate: a.zone,b.zone)")
    t.add_argument("--dns-timeout", type=float, metavar="S")
    t.add_argument("--outlook-anywhere-host", metavar="HOST",
                   help="the Outlook Anywhere (RPC over HTTP) host name: its DNS record, and the endpoint checks")
    t.add_argument("--tenant-recipients", action="append", metavar="FILE",
                   help="Get-Recipient or Graph /users export, /subscribedSkus export, or a folder of Graph pages (repeatable)")

    e = p.add_argument_group("migration endpoint (Outlook Anywhere over HTTPS; live only with a host given)")
    e.add_argument("--endpoint-port", type=int, metavar="N", help="HTTPS port of the Outlook Anywhere host (default 443)")
    e.add_argument("--endpoint-certificate", metavar="FILE",
                   help="offline: a saved certificate chain (PEM, DER, .p7b, openssl s_client -showcerts output)")
    e.add_argument("--endpoint-ca-file", metavar="FILE", help="CA certificate(s) to trust besides the system's (tests)")
    e.add_argument("--migration-account", metavar="UPN|DOMAIN\\NAME",
                   help="the account that runs the batches: can it open every batch mailbox (needs --directory)")
    e.add_argument("--migration-window-days", type=_non_negative, metavar="N",
                   help="days the migration account must stay usable (default 30)")

    c = p.add_argument_group("capacity")
    c.add_argument("--mailbox-stats", metavar="FILE",
                   help="mailbox sizes: a Get-MailboxStatistics (Exchange 2007) or WMI Exchange_Mailbox (2003) CSV export")
    c.add_argument("--window-hours", type=float, metavar="H", help="the time one batch may take (PF701)")
    c.add_argument("--target-quota-gb", type=float, metavar="GB",
                   help="the Exchange Online mailbox quota of your licence (default 50; 100 with Plan 2 or E3/E5)")
    c.add_argument("--max-concurrent-migrations", type=_concurrency, metavar="N",
                   help="the migration endpoint's MaxConcurrentMigrations, a number or Unlimited (PF704)")

    i = p.add_argument_group("IdFix")
    i.add_argument("--idfix-scope", choices=("batch", "directory"))
    i.add_argument("--idfix-base", metavar="DN", help="with --idfix-scope directory: scan this subtree only")
    i.add_argument("--rule-set", choices=("multi-tenant", "dedicated"))
    i.add_argument("--fix-ldif", metavar="FILE", help="write LDIF of the proposed values (and an undo LDIF beside it)")
    i.add_argument("--idfix-csv", metavar="FILE", help="write IdFix's grid layout as CSV")
    return p


def _concurrency(value: str) -> int | str:
    """--max-concurrent-migrations: a whole number of at least 1, or Unlimited."""
    if value.strip().casefold() == "unlimited":
        return "Unlimited"
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1 or Unlimited")
    return int(value)


def _abspath(value: str) -> str:
    return str(Path(value).resolve())


def _directory_sources(values: list[str] | None) -> str | list[str] | None:
    """--directory's values (files made absolute): one as a string, several as a list."""
    sources = [v if "://" in v else _abspath(v) for v in values or ()]
    return (sources[0] if len(sources) == 1 else sources) or None


def _apply(cfg: Any, args: argparse.Namespace) -> None:
    """Command-line options over the config file's values."""
    if args.sso:
        cfg.sso = True
    if args.fail_on:
        cfg.fail_on = args.fail_on
    directory: dict[str, Any] = {
        "source": _directory_sources(args.directory),
        "base_dn": args.base_dn,
        "bind_user": args.bind_user,
        "password_env": args.password_env,
        "ca_file": args.ca_file and _abspath(args.ca_file),
        "tls_server_name": args.tls_server_name,
        "starttls": args.starttls,
        "insecure_no_tls_verify": args.insecure_no_tls_verify,
        "connect_timeout": args.connect_timeout,
        "receive_timeout": args.receive_timeout,
    }
    dns: dict[str, Any] = {
        "stage": args.stage,
        "nameservers": args.dns_server,
        "zone_files": args.zone_file and [_abspath(z) for z in _files(args.zone_file) or ()],
        "lifetime": args.dns_timeout,
        "outlook_anywhere_host": args.outlook_anywhere_host,
    }
    endpoint: dict[str, Any] = {
        "outlook_anywhere_host": args.outlook_anywhere_host,
        "port": args.endpoint_port,
        "certificate": args.endpoint_certificate and _abspath(args.endpoint_certificate),
        "ca_file": args.endpoint_ca_file and _abspath(args.endpoint_ca_file),
        "migration_account": args.migration_account,
        "migration_window_days": args.migration_window_days,
    }
    idfix: dict[str, Any] = {"scope": args.idfix_scope, "base": args.idfix_base, "rule_set": args.rule_set}
    capacity: dict[str, Any] = {"mailbox_stats": args.mailbox_stats and _abspath(args.mailbox_stats),
                                "window_hours": args.window_hours, "target_quota_gb": args.target_quota_gb,
                                "max_concurrent_migrations": args.max_concurrent_migrations}
    tenant: dict[str, Any] = {}
    if args.tenant_domains:
        if _is_file_name(args.tenant_domains):
            tenant["domains_file"] = _abspath(args.tenant_domains)
        else:
            tenant["domains"] = [d.strip() for d in args.tenant_domains.split(",") if d.strip()]
    if args.tenant_recipients:
        missing = [r for r in args.tenant_recipients if not os.path.exists(r)]
        if missing:
            raise _Usage(f"--tenant-recipients: no such file or folder: {', '.join(missing)}")
        cfg.cloud["recipients"] = [_abspath(r) for r in args.tenant_recipients]
    for section, values in (("directory", directory), ("dns", dns), ("idfix", idfix), ("tenant", tenant),
                            ("endpoint", endpoint), ("capacity", capacity)):
        getattr(cfg, section).update({k: v for k, v in values.items() if v is not None})


def _is_file_name(value: str) -> bool:
    """True when a --tenant-domains value names a file: an existing file, or a value with a path
    separator or a file ending (a domain list has neither)."""
    return (os.path.isfile(value) or "/" in value or os.sep in value
            or value.lower().endswith(_DOMAIN_FILE_SUFFIXES))


def _check_paths(args: argparse.Namespace) -> None:
    """Usage errors for the files named on the command line, before anything runs: a PATH that is
    another option's input, then every input that does not exist (or is not a file)."""
    for path in args.paths:
        option = _NOT_A_BATCH.get(Path(path).suffix.lower())
        if option:
            raise _Usage(f"{path} is not a batch CSV file: give it with {option}")
    named = [(p, "") for p in args.paths]
    named += [(s, "--directory ") for s in args.directory or () if "://" not in s]
    if args.ca_file:
        named.append((args.ca_file, "--ca-file "))
    named += [(z, "--zone-file ") for z in _files(args.zone_file) or ()]
    if args.tenant_domains and _is_file_name(args.tenant_domains):
        named.append((args.tenant_domains, "--tenant-domains "))
    problems = []
    for path, option in named:
        if not os.path.exists(path):
            problems.append(f"{option}{path}: no such file")
        elif os.path.isdir(path):
            hint = "" if option else " (give its files, e.g. folder/*.csv)"
            problems.append(f"{option}{path}: is a folder, not a file{hint}")
    if problems:
        raise _Usage("\n".join(problems))


def configuration(args: argparse.Namespace) -> Any:
    """The run's :class:`~preflight.config.Config`: the config file, then the options over it.

    Raises:
        _Usage: the config file is unreadable or invalid.
    """
    from .config import ConfigError, load_config

    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise _Usage(str(exc)) from None
    _apply(cfg, args)
    return cfg


def _list_checks() -> str:
    from . import registry

    rows = [(c.code, c.name, c.severity.value, c.area, c.title) for c in registry.all_checks()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "".join(
        f"{code:<{widths[0]}}  {name:<{widths[1]}}  {sev:<{widths[2]}}  {area:<{widths[3]}}  {title}\n"
        for code, name, sev, area, title in rows
    )


def _use_color(stream: Any) -> bool:
    # https://no-color.org: NO_COLOR set to a non-empty value disables colour
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_intermixed_args(argv)  # PATHs may come before, between and after options
    from . import registry
    from .config import ConfigError

    if (args.list_checks or args.explain) and args.paths:
        raise _Usage(f"{'--list-checks' if args.list_checks else '--explain'} checks no file: "
                     f"run it without the PATH(s) {', '.join(args.paths)}")
    if args.list_checks:
        sys.stdout.write(_list_checks())
        return 0
    if args.explain:
        try:
            sys.stdout.write(registry.get(args.explain).explain())
        except KeyError:
            raise _Usage(f"no check has the code or name {args.explain!r} (see --list-checks)") from None
        return 0
    _check_paths(args)
    if args.sarif_root and not os.path.isdir(args.sarif_root):
        raise _Usage(f"--sarif-root {args.sarif_root}: no such folder")
    cfg = configuration(args)
    if args.idfix_base and cfg.idfix.get("scope") != "directory":
        raise _Usage("--idfix-base scans a subtree of the directory: give --idfix-scope directory with it")
    endpoint_asked = cfg.endpoint.get("outlook_anywhere_host") or cfg.endpoint.get("certificate")
    if not args.paths and not (cfg.directory.get("source") or cfg.tenant or cfg.dns.get("zone_files")
                              or cfg.dns.get("nameservers") or endpoint_asked):
        raise _Usage("nothing to check: give batch CSV files, --directory, --tenant-domains or DNS options (see --help)")

    from .api import run_batches
    from .formatters import render
    from .sources.batch_csv import read_batch

    batches = [read_batch(p) for p in args.paths]
    unreadable = [bf.errors["raw"] for bf in batches if "raw" in bf.errors]
    if unreadable:  # one line per path, not one errored check per path and check
        raise _Usage("\n".join(unreadable))
    try:
        report = run_batches(batches, cfg, select=args.select, ignore=args.ignore)
    except KeyError as exc:
        raise _Usage(str(exc.args[0])) from None
    except ConfigError as exc:
        raise _Usage(str(exc)) from None

    opts = {"max_per_check": args.max_per_check, "fail_on": cfg.fail_on, "root": args.sarif_root,
            "config_file": cfg.source}
    _step_summary(report, cfg.fail_on)
    if args.output:
        try:
            Path(args.output).write_text(render(report, args.format, **opts), encoding="utf-8")
        except OSError as exc:
            raise _Usage(f"cannot write --output {args.output}: {exc.strerror or exc}") from None
    else:
        color = args.format == "text" and _use_color(sys.stdout)
        sys.stdout.write(render(report, args.format, color=color, **opts))
    if args.fix_ldif or args.idfix_csv:
        from .exports.idfix import write_fix_ldif, write_idfix_csv

        try:
            if args.fix_ldif:
                fix, undo = write_fix_ldif(report, Path(args.fix_ldif))
                sys.stderr.write(f"preflight: wrote {fix} (proposed IdFix values) and {undo} (undo); "
                                 "review, then apply them yourself\n")
            if args.idfix_csv:
                sys.stderr.write(f"preflight: wrote {write_idfix_csv(report, Path(args.idfix_csv))} (IdFix grid)\n")
        except OSError as exc:
            raise _Usage(f"cannot write an export: {exc.strerror or exc}") from None

    errored = [r for r in report.results if r.status.value == "errored"]
    if errored:
        sys.stderr.write(f"preflight: {len(errored)} check(s) errored: their data source failed (see the report)\n")
    if report.checked_nothing():
        reasons = sorted({r.reason or "" for r in report.results} - {""})
        sys.stderr.write(f"preflight: nothing was checked: every selected check was skipped ({'; '.join(reasons)})\n")
    elif not args.paths and cfg.idfix.get("scope") != "directory":
        skipped = sum(r.reason == "no batch file given" for r in report.results)
        if skipped:
            sys.stderr.write(f"preflight: no batch CSV file given: {skipped} check(s) of batch files and their rows "
                             "did not run (give the batch files as PATH arguments)\n")
    return report.exit_code()


def _step_summary(report: Any, fail_on: str) -> None:
    """In GitHub Actions (``GITHUB_STEP_SUMMARY`` set), append the Markdown job summary to that file."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from .formatters.github import summary

    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(summary(report, fail_on=fail_on))
    except OSError as exc:
        sys.stderr.write(f"preflight: cannot write the job summary to $GITHUB_STEP_SUMMARY: {exc.strerror or exc}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``preflight`` command; returns the exit code (see EPILOG)."""
    if argv is None:  # the process's own command line, so a short-lived process: reading a batch makes
        # a few small objects per row, and CPython's cycle collector would run every 700 of them and
        # scan the imported modules each time (about 13% of a 100,000-row run; benchmarks/bench_batch.py)
        import gc

        gc.freeze()
        gc.set_threshold(10_000)
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        if argv[:1] == ["plan"]:
            from .plan_cli import run as run_plan

            return run_plan(argv[1:])
        return run(argv)
    except _Usage as exc:
        sys.stderr.write("".join(f"preflight: {line}\n" for line in str(exc).splitlines()))
        return 2
    except SystemExit as exc:  # argparse: --help, --version (0) and usage errors (2)
        return int(exc.code or 0)
