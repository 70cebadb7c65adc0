"""DNS sources: live look-ups (dnspython) and offline zone files, giving the same answers.

Both sources implement :class:`DnsSource`: ``lookup(queries)`` takes
``(name, type)`` pairs and returns one :class:`Answer` per pair. An answer is
either records (``status == "ok"``), or an absence the checks report as a
finding (``"nxdomain"``: the name does not exist; ``"noanswer"``: it exists
but has no record of that type), or a failure (``"error"``: timeout,
SERVFAIL, REFUSED, a zone file that does not load, a name no zone file
covers) that makes the checks that need it *errored*, never passed.

Each source asks each ``(name, type)`` once per run (answers are cached in the
source object, which the runner keeps for the run), and the live source asks
them concurrently (a thread pool; each query is one blocking dnspython
resolve, so threads overlap the network waits; an event loop would not work
when preflight is called from inside one, e.g. in Jupyter).

Live
    :class:`LiveSource`: the system resolver (``/etc/resolv.conf``, or the
    Windows registry), or the ``nameservers`` given (``HOST[:PORT]``, IPv6 as
    ``[ADDR]:PORT``; a host name is resolved once with the system resolver).
    ``timeout`` is the wait for one server's reply, ``lifetime`` the total
    wait for one query (dnspython's options of the same names). TTLs are as
    the server answers them: from a caching resolver they are the time left
    in its cache, not the TTL configured on the zone (see ``Answer.authoritative``).

Zone files
    :class:`preflight.sources.dns_zone.ZoneSource`: RFC 1035 master files
    (BIND, ``dnscmd /ZoneExport``, Windows DNS
    ``%SystemRoot%\\System32\\dns\\*.dns``), read with
    ``dns.zone``. The zone's origin is its ``$ORIGIN`` line or, without one,
    the file name (``contoso.com.zone``, ``contoso.com.dns``, ``db.contoso.com``).
    Look-ups follow what an authoritative server answers: NXDOMAIN, NODATA for
    empty non-terminals, wildcards, CNAMEs chased within the files. A file
    that does not load fails the names of its zone only (as BIND serves its
    other zones and answers SERVFAIL for a zone it could not load); a name
    outside every file is a failure too (the files cannot tell).

Chains
    A resolver follows CNAME records for you and hides the chain (a loop
    comes back as SERVFAIL). The checks that need a host to resolve read it
    through :func:`preflight.sources.dns_chain.follow`, which asks hop by hop
    on either source and says where each chain ended and why.

dnspython is imported only when a source is built or queried, never when
preflight or its checks are imported.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..registry import SourceError

if TYPE_CHECKING:
    from .batch_csv import BatchFile

OK, NXDOMAIN, NOANSWER, ERROR = "ok", "nxdomain", "noanswer", "error"

#: Record types the sources answer (the checks need no others).
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "SRV", "TXT")

DEFAULT_TIMEOUT = 2.0
DEFAULT_LIFETIME = 5.0
MAX_WORKERS = 32

#: Special-use top-level names (RFC 6761, 6762, 7686, 9476, and ``internal``):
#: never looked up; an address in them is PF131's finding.
SPECIAL_USE_TLDS = frozenset({"local", "localhost", "invalid", "test", "example", "onion", "alt", "internal", "arpa"})
_LDH_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?![0-9]+$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$")


class MX(NamedTuple):
    """One MX record: ``host`` is ``"."`` for a null MX (RFC 7505)."""

    preference: int
    host: str


class SRV(NamedTuple):
    """One SRV record."""

    priority: int
    weight: int
    port: int
    host: str


@dataclass(frozen=True)
class Answer:
    """The answer to one ``(name, type)`` query.

    ``records`` by type: MX -> :class:`MX`, SRV -> :class:`SRV`, TXT -> the
    record's strings joined (as RFC 7208 joins them), CNAME/NS -> the target
    host, A/AAAA -> the address; host names are lower-case A-labels without
    the final dot. Records are sorted, so answers compare equal whatever
    order a server sends them in. ``ttl`` is the TTL of the record set;
    ``authoritative`` is false when the answer came from a cache (the AA flag
    was not set), so ``ttl`` is what remains of the cached copy. ``error`` says
    why a failed query failed (``status == "error"``); ``outside`` marks a
    failure that only says the name is in none of the zone files given (the
    files cannot tell: offline, a chain that leaves them cannot be followed).
    """

    name: str
    rdtype: str
    status: str
    records: tuple[Any, ...] = ()
    ttl: int | None = None
    authoritative: bool = True
    error: str | None = None
    outside: bool = False

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def absent(self) -> bool:
        """The record does not exist (NXDOMAIN or no record of the type)."""
        return self.status in (NXDOMAIN, NOANSWER)

    @property
    def failed(self) -> bool:
        return self.status == ERROR

    def describe_absence(self) -> str:
        """``"the name does not exist"`` or ``"no MX record"``, for messages."""
        return "the name does not exist (NXDOMAIN)" if self.status == NXDOMAIN else f"no {self.rdtype} record"


class DnsSource(Protocol):
    """What the DNS providers ask of a source."""

    def lookup(self, queries: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Answer]:
        """One :class:`Answer` per ``(name, type)``; never raises for a failed query."""

    def describe(self) -> dict[str, Any]:
        """For ``Report.inputs``: ``{"kind": "dns", "mode": ...}``."""


# --------------------------------------------------------------------------- names


def normalize_domain(value: str) -> str | None:
    """The domain as DNS compares it: stripped, without the final dot,
    case-folded, internationalized labels as A-labels (IDNA 2008 with UTS #46
    mapping, as browsers and Exchange Online do). ``None`` when it is not a
    valid host name or is under a special-use name (``.local``...)."""
    d = value.strip().rstrip(".").casefold()
    if not d:
        return None
    if not d.isascii():
        import idna

        try:
            d = idna.encode(d, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    if not _LDH_RE.match(d):
        return None
    if d.rsplit(".", 1)[-1] in SPECIAL_USE_TLDS:
        return None
    return d


def normalize_host(value: str) -> str:
    """A host name from a record or the config: lower case, no final dot (``"."`` stays)."""
    v = value.strip()
    return "." if v == "." else v.rstrip(".").lower()


@dataclass
class DomainUse:
    """Where a domain occurs: per batch file, the number of addresses and the first row and line."""

    domain: str
    files: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(n for n, _, _ in self.files.values())

    def where(self) -> str:
        """``"3 addresses in wave1.csv, 1 in wave2.csv"``."""
        items = [(os.path.basename(path), n) for path, (n, _, _) in self.files.items()]
        (name, n), rest = items[0], items[1:]
        head = f"{n} {'address' if n == 1 else 'addresses'} in {name}"
        return ", ".join([head, *(f"{m} in {other}" for other, m in rest)])

    def related(self) -> tuple[dict[str, Any], ...]:
        """The first row using the domain in each file (for ``Finding.related``)."""
        return tuple({"path": p, "row": r, "line": ln} for p, (_, r, ln) in self.files.items())


class MailDomains(dict[str, DomainUse]):
    """``{domain: DomainUse}``. Described for ``Report.inputs`` as the first row of
    each batch file that uses each domain (merged by the runner into the batch
    inputs as ``"domains": {domain: {"row", "line"}}``), so a report can place a
    domain finding on the batch row that led to it."""

    def describe(self) -> dict[str, Any]:
        rows: dict[str, dict[str, dict[str, int]]] = {}
        for domain, use in self.items():
            for path, (_, row, line) in use.files.items():
                rows.setdefault(path, {})[domain] = {"row": row, "line": line}
        return {"kind": "batch-rows", "key": "domains", "rows": rows}


def batch_domains(batches: Iterable[BatchFile]) -> dict[str, DomainUse]:
    """The distinct EmailAddress domains of the batch files (see :func:`normalize_domain`;
    addresses without one are left out), in first-seen order. Each distinct domain
    spelling is normalized once."""
    out: dict[str, DomainUse] = {}
    normalized: dict[str, str | None] = {}
    for bf in batches:
        rows, addresses = bf.rows, bf.addresses  # None for a file that is unreadable or has no rows
        if rows is None or addresses is None:
            continue
        written = [a.rpartition("@")[2] if "@" in a else None for a in addresses]
        first = dict(zip(reversed(written), range(len(written) - 1, -1, -1), strict=True))  # spelling -> its first index
        found: dict[str, list[int]] = {}  # domain -> [count, first index]
        for spelling, n in Counter(written).items():  # in first-seen order
            if spelling is None:
                continue
            if spelling not in normalized:
                normalized[spelling] = normalize_domain(spelling)
            domain = normalized[spelling]
            if domain is None:
                continue
            use = found.setdefault(domain, [0, first[spelling]])
            use[0] += n
            use[1] = min(use[1], first[spelling])
        for domain, (n, i) in sorted(found.items(), key=lambda item: item[1][1]):
            out.setdefault(domain, DomainUse(domain)).files[bf.path] = (n, rows.row[i], rows.line[i])
    return out


# --------------------------------------------------------------------------- config


def parse_nameserver(spec: str) -> tuple[str, int]:
    """``"HOST"``, ``"HOST:PORT"``, ``"ADDR6"`` or ``"[ADDR6]:PORT"`` -> ``(host, port)``.

    Raises:
        ValueError: malformed.
    """
    s = str(spec).strip()
    port = 53
    if s.startswith("["):
        host, sep, rest = s[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad name server {spec!r}: use [ADDRESS]:PORT for IPv6")
        if rest:
            port = _port(rest[1:], spec)
    elif s.count(":") == 1:
        host, _, p = s.partition(":")
        port = _port(p, spec)
    else:
        host = s
    if not host:
        raise ValueError(f"bad name server {spec!r}")
    return host, port


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in name server {spec!r}")
    return int(text)


# --------------------------------------------------------------------------- records


def _host(name: Any) -> str:
    import dns.name

    if name == dns.name.root:
        return "."
    return name.to_text(omit_final_dot=True).lower()


def _records(rdataset: Any) -> tuple[Any, ...]:
    """Normalized, sorted values of a dnspython rdataset."""
    import dns.rdatatype as t

    kind = rdataset.rdtype
    out: list[Any] = []
    for rd in rdataset:
        if kind == t.MX:
            out.append(MX(int(rd.preference), _host(rd.exchange)))
        elif kind == t.SRV:
            out.append(SRV(int(rd.priority), int(rd.weight), int(rd.port), _host(rd.target)))
        elif kind == t.TXT:
            out.append(b"".join(rd.strings).decode("utf-8", "replace"))
        elif kind in (t.CNAME, t.NS):
            out.append(_host(rd.target))
        elif kind in (t.A, t.AAAA):
            out.append(str(rd.address))
        else:  # pragma: no cover - only RECORD_TYPES are asked
            out.append(rd.to_text())
    return tuple(sorted(out))


class _Cached:
    """Answers each ``(name, type)`` once; subclasses implement ``_fetch``."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Answer] = {}
        self.queries = 0

    def lookup(self, queries: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Answer]:
        wanted = [(normalize_host(n), t.upper()) for n, t in queries]
        todo = sorted({q for q in wanted if q not in self._cache})
        for q in todo:
            if q[1] not in RECORD_TYPES:
                raise ValueError(f"record type {q[1]} is not supported")
        if todo:
            self.queries += len(todo)
            self._cache.update(self._fetch(todo))
        return {q: self._cache[q] for q in wanted}

    def _fetch(self, queries: list[tuple[str, str]]) -> dict[tuple[str, str], Answer]:  # pragma: no cover
        raise NotImplementedError


# --------------------------------------------------------------------------- live


class LiveSource(_Cached):
    """Live look-ups with dnspython.

    Args:
        nameservers: ``(host, port)`` pairs, or ``None`` for the system resolver.
        timeout: seconds to wait for one server's reply.
        lifetime: seconds to wait in all for one query (all servers and retries).

    Raises:
        SourceError: no system resolver configuration, or a name server host
            name that does not resolve.
    """

    def __init__(self, nameservers: list[tuple[str, int]] | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                 lifetime: float = DEFAULT_LIFETIME, max_workers: int = MAX_WORKERS):
        super().__init__()
        import dns.nameserver
        import dns.resolver

        self.timeout = float(timeout)
        self.lifetime = float(lifetime)
        self.max_workers = max_workers
        if nameservers:
            res = dns.resolver.Resolver(configure=False)
            servers = []
            for host, port in nameservers:
                for addr in _addresses(host, port):
                    servers.append(dns.nameserver.Do53Nameserver(addr, port))
            res.nameservers = servers
            self.servers = [f"{h}:{p}" if ":" not in h else f"[{h}]:{p}" for h, p in nameservers]
        else:
            try:
                res = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise SourceError(f"no system DNS resolver is configured ({exc}); give --dns-server") from None
            self.servers = [str(ns) for ns in res.nameservers]
        res.timeout = min(self.timeout, self.lifetime)
        res.lifetime = self.lifetime
        res.cache = None
        res.search = []
        self._resolver = res

    def _fetch(self, queries: list[tuple[str, str]]) -> dict[tuple[str, str], Answer]:
        from concurrent.futures import ThreadPoolExecutor

        workers = max(1, min(self.max_workers, len(queries)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="preflight-dns") as pool:
            return dict(zip(queries, pool.map(lambda q: self._query(*q), queries), strict=True))

    def _query(self, name: str, rdtype: str) -> Answer:
        import dns.exception
        import dns.flags
        import dns.name
        import dns.resolver

        try:
            qname = dns.name.from_text(name)
            ans = self._resolver.resolve(qname, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return Answer(name, rdtype, NXDOMAIN)
        except dns.resolver.NoAnswer:
            return Answer(name, rdtype, NOANSWER)
        except dns.resolver.LifetimeTimeout:
            return Answer(name, rdtype, ERROR, error=f"no answer within {self.lifetime:g} s from {self._servers()}")
        except dns.resolver.NoNameservers as exc:
            return Answer(name, rdtype, ERROR, error=_server_errors(exc) or str(exc))
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, ERROR, error=f"{type(exc).__name__}: {exc}")
        rrset = ans.rrset
        assert rrset is not None  # raise_on_no_answer
        aa = bool(ans.response.flags & dns.flags.AA)
        return Answer(name, rdtype, OK, _records(rrset), int(rrset.ttl), aa)

    def _servers(self) -> str:
        return ", ".join(self.servers) or "the system resolver"

    def describe(self) -> dict[str, Any]:
        return {"kind": "dns", "mode": "live", "nameservers": list(self.servers), "timeout": self.timeout,
                "lifetime": self.lifetime, "queries": self.queries}


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise SourceError(f"DNS server {host} does not resolve: {exc.strerror or exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _server_errors(exc: Any) -> str:
    """``"SERVFAIL from 127.0.0.1:53"`` from dnspython's NoNameservers."""
    import dns.rcode

    parts = []
    for err in exc.kwargs.get("errors", ()):
        server, port, error, response = err[0], err[2], err[3], err[4] if len(err) > 4 else None
        where = str(server)
        m = re.match(r"^Do53:(.*)@(\d+)$", where)
        if m:
            where = f"{m[1]}:{m[2]}" if ":" not in m[1] else f"[{m[1]}]:{m[2]}"
        elif port and f":{port}" not in where:
            where = f"{where}:{port}"
        what = dns.rcode.to_text(response.rcode()) if response is not None else str(error)
        parts.append(f"{what} from {where}")
    return "; ".join(dict.fromkeys(parts))


# --------------------------------------------------------------------------- from config

STAGES = ("migrating", "cutover", "complete")
DNS_KEYS = frozenset({"stage", "nameservers", "zone_files", "lifetime", "timeout", "outlook_anywhere_host", "live"})


def dns_options(config: Any) -> dict[str, Any]:
    """The ``[dns]`` table, validated and normalized.

    Keys: ``stage`` (``"migrating"``, ``"cutover"``, ``"complete"``),
    ``nameservers`` (list of ``HOST[:PORT]``), ``zone_files`` (list of paths,
    relative to the config file), ``timeout`` and ``lifetime`` (seconds, > 0),
    ``outlook_anywhere_host`` (host name), ``live`` (bool: look up with the
    system resolver even when no other key asks for DNS).

    Raises:
        preflight.config.ConfigError: unknown key, wrong type or value (a typo
            must not silently turn a check off: the run stops, exit 2).
    """
    from ..config import ConfigError

    raw = dict(getattr(config, "dns", None) or {})
    where = f" in {config.source}" if getattr(config, "source", None) else ""
    unknown = sorted(set(raw) - DNS_KEYS)
    if unknown:
        raise ConfigError(f"unknown [dns] option(s){where}: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(DNS_KEYS))})")
    out: dict[str, Any] = {}
    if "stage" in raw:
        stage = raw["stage"]
        if not isinstance(stage, str) or stage.strip().lower() not in STAGES:
            raise ConfigError(f"[dns] stage{where} must be one of {', '.join(STAGES)}, not {stage!r}")
        out["stage"] = stage.strip().lower()
    for key in ("nameservers", "zone_files"):
        if key in raw:
            value = raw[key]
            if isinstance(value, (str, os.PathLike)):
                value = [value]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, os.PathLike)) for v in value):
                raise ConfigError(f"[dns] {key}{where} must be a list of strings")
            out[key] = list(value)
    if "nameservers" in out:
        try:
            out["nameservers"] = [parse_nameserver(os.fspath(v)) for v in out["nameservers"]]
        except ValueError as exc:
            raise ConfigError(f"[dns] nameservers{where}: {exc}") from None
    if "zone_files" in out:
        out["zone_files"] = [str(config.path(os.fspath(p))) for p in out["zone_files"]]
    for key in ("timeout", "lifetime"):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"[dns] {key}{where} must be a number of seconds > 0, not {value!r}")
            out[key] = float(value)
    if "outlook_anywhere_host" in raw:
        value = raw["outlook_anywhere_host"]
        host = normalize_domain(value) if isinstance(value, str) else None
        if host is None:
            raise ConfigError(f"[dns] outlook_anywhere_host{where} must be a host name, not {value!r}")
        out["outlook_anywhere_host"] = host
    if "live" in raw:
        if not isinstance(raw["live"], bool):
            raise ConfigError(f"[dns] live{where} must be true or false")
        out["live"] = raw["live"]
    if out.get("zone_files") and out.get("nameservers"):
        raise ConfigError(f"[dns]{where}: give zone_files or nameservers, not both")
    return out


def source_from_config(config: Any) -> DnsSource:
    """The DNS source the config asks for.

    Zone files when ``zone_files`` is given; else live look-ups when the
    ``[dns]`` table has any other key (the CLI's ``--stage``, ``--dns-server``,
    ``--dns-timeout`` set some) unless ``live = false``.

    Raises:
        preflight.registry.Missing: no DNS source configured.
        preflight.registry.SourceError: the source cannot be built.
        preflight.config.ConfigError: a bad ``[dns]`` table.
    """
    from ..registry import Missing
    from .dns_zone import ZoneSource

    opts = dns_options(config)
    if opts.get("zone_files"):
        return ZoneSource(opts["zone_files"])
    if not opts or opts.get("live") is False:
        raise Missing("no DNS source: give --zone-file FILE, --dns-server HOST or --stage STAGE "
                      "(or [tool.preflight.dns] live = true)")
    lifetime = opts.get("lifetime", DEFAULT_LIFETIME)
    return LiveSource(opts.get("nameservers"), timeout=opts.get("timeout", min(DEFAULT_TIMEOUT, lifetime)),
                      lifetime=lifetime)
