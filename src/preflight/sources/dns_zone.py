"""Zone files as a DNS source: RFC 1035 master files answered as the zones'
authoritative server would (the module :mod:`preflight.sources.dns` describes
both sources and builds the one the config asks for)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..registry import SourceError
from .dns import ERROR, NOANSWER, NXDOMAIN, OK, Answer, _Cached, _host, _records, normalize_domain, normalize_host

_ORIGIN_RE = re.compile(r"^\$ORIGIN\s+(\S+)", re.IGNORECASE)
_ZONE_SUFFIXES = (".zone", ".dns", ".db", ".txt", ".hosts")


def zone_origin(path: str | os.PathLike[str], text: str | None) -> str | None:
    """The zone a master file describes: a ``$ORIGIN`` before its first record,
    else its file name (a later ``$ORIGIN`` names a subdomain, e.g. ``_msdcs``)."""
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        m = _ORIGIN_RE.match(stripped)
        if m:
            return normalize_host(m[1])
        if not stripped.startswith("$"):
            break
    name = Path(path).name.lower()
    for suffix in _ZONE_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.removeprefix("db.")
    return normalize_domain(name)


@dataclass
class _Zone:
    origin: str
    path: str
    zone: Any = None
    error: str | None = None
    ents: frozenset[Any] = frozenset()


class ZoneSource(_Cached):
    """Answers from zone files, as the zones' authoritative server would.

    Raises:
        SourceError: a file whose zone cannot be told (no ``$ORIGIN`` and a file
            name that is not a domain), or two files for one zone.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]]):
        super().__init__()
        self.paths = [os.fspath(p) for p in paths]
        self.zones: dict[str, _Zone] = {}
        for path in self.paths:
            z = _load_zone(path)
            if z.origin in self.zones:
                raise SourceError(f"two zone files for {z.origin}: {self.zones[z.origin].path} and {path}")
            self.zones[z.origin] = z

    def _fetch(self, queries: list[tuple[str, str]]) -> dict[tuple[str, str], Answer]:
        return {q: self._answer(*q) for q in queries}

    def _zone_for(self, name: str) -> _Zone | None:
        labels = name.split(".")
        for i in range(len(labels)):
            z = self.zones.get(".".join(labels[i:]))
            if z is not None:
                return z
        return None

    def _answer(self, name: str, rdtype: str) -> Answer:
        import dns.name
        import dns.rdataclass
        import dns.rdatatype

        want = dns.rdatatype.from_text(rdtype)
        cname = dns.rdatatype.CNAME
        current = name
        for _ in range(9):  # CNAME chain, as resolvers bound it
            z = self._zone_for(current)
            if z is None:
                if current != name:  # a CNAME out of the files: the server answers the CNAME only
                    return Answer(name, rdtype, NOANSWER)
                return Answer(name, rdtype, ERROR, outside=True,
                              error=f"{name} is in none of the zone files given ({_some(sorted(self.zones))})")
            if z.error is not None:
                return Answer(name, rdtype, ERROR, error=z.error)
            qname = dns.name.from_text(current)
            node = z.zone.get_node(qname)
            if node is None:
                if qname in z.ents:
                    return Answer(name, rdtype, NOANSWER)
                node = _wildcard(z, qname)
                if node is None:
                    return Answer(name, rdtype, NXDOMAIN) if current == name else Answer(name, rdtype, NOANSWER)
            rds = node.get_rdataset(dns.rdataclass.IN, want)
            if rds is not None:
                return Answer(name, rdtype, OK, _records(rds), int(rds.ttl), True)
            alias = node.get_rdataset(dns.rdataclass.IN, cname)
            if alias is None or want == cname:
                return Answer(name, rdtype, NOANSWER)
            current = _host(alias[0].target)
        return Answer(name, rdtype, ERROR, error=f"CNAME loop at {name}")

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "dns", "mode": "zone-files", "paths": list(self.paths),
                               "zones": sorted(self.zones), "queries": self.queries}
        broken = {z.origin: z.error for z in self.zones.values() if z.error}
        if broken:
            out["errors"] = broken
        return out


def _some(names: list[str], n: int = 3) -> str:
    if not names:
        return "no zone"
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def _wildcard(z: _Zone, qname: Any) -> Any:
    """The wildcard node that matches ``qname`` (RFC 4592), or ``None``."""
    import dns.name

    origin = dns.name.from_text(z.origin)
    encloser = qname.parent()
    while True:
        if z.zone.get_node(encloser) is not None or encloser in z.ents:
            return z.zone.get_node(dns.name.Name((b"*",) + encloser.labels))
        if encloser == origin or encloser == dns.name.root:
            return None
        encloser = encloser.parent()


def _load_zone(path: str) -> _Zone:
    import dns.exception
    import dns.zone

    text: str | None = None
    read_error = None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text = _decode(data)
    except OSError as exc:
        read_error = f"cannot read zone file {path}: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        read_error = f"zone file {path} is not UTF-8 text (byte offset {exc.start})"
    origin = zone_origin(path, text)
    if origin is None:
        raise SourceError(f"cannot tell which zone {path} holds: add a $ORIGIN line, or name it <domain>.zone")
    if read_error:
        return _Zone(origin, path, error=read_error)
    assert text is not None
    try:
        zone = dns.zone.from_text(text, origin=origin + ".", relativize=False,
                                  filename=path, allow_include=False)
    except dns.exception.DNSException as exc:
        detail = str(exc) or type(exc).__name__
        if path not in detail:
            detail = f"{path}: {detail}"
        return _Zone(origin, path, error=f"zone file does not load: {detail}")
    apex = zone.origin
    assert apex is not None  # from_text sets it or raises
    origin = normalize_host(apex.to_text())
    ents = set()
    for name in zone.nodes:
        parent = name.parent() if name != apex else None
        while parent is not None and parent != apex and parent.is_subdomain(apex):
            ents.add(parent)
            parent = parent.parent()
    return _Zone(origin, path, zone, ents=frozenset(ents))


def _decode(data: bytes) -> str:
    import codecs

    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec)
    return data.decode("utf-8")
