"""Following names through their CNAME records to the end, on any DNS source.

A resolver answering ``autodiscover.contoso.com A`` follows the CNAME chain for
you and hides it: a loop comes back as SERVFAIL (BIND) or ``CNAME loop`` (zone
files), an alias whose target is outside the server's zones as "no A record".
:func:`follow` asks hop by hop instead — the CNAME of each name, and the wanted
types at the last one — so every check that needs a host to resolve (the
Autodiscover name, SRV targets, MX hosts, SPF include targets, the Outlook
Anywhere host) reads one :class:`Chain` that says where the chain ended and
why: a loop, a dangling alias or a failed look-up is never an answer.

Chains are followed together, one concurrent look-up pass per hop, through the
source's cache (each ``(name, type)`` is asked once per run), at most
:data:`MAX_ALIASES` aliases deep (RFC 1034 section 3.6.2 asks resolvers to
bound chains; BIND stops at 16, dnspython at 16, Windows at 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .dns import ERROR, NOANSWER, NXDOMAIN, OK, Answer, DnsSource, normalize_host

#: A chain ended in a loop, or had more than MAX_ALIASES aliases.
LOOP = "loop"
#: A chain reached a name that is in none of the zone files: offline it cannot be followed.
UNKNOWN = "unknown"

MAX_ALIASES = 8


@dataclass(frozen=True)
class Chain:
    """One name followed through its CNAME records to records of ``rdtypes``.

    ``names`` are the names on the way, from ``name`` to the last one reached
    (for a loop, the name that came back is the last); ``aliases`` the CNAME
    answers followed, one per alias; ``end`` the answers of ``rdtypes`` at the
    last name (empty when the chain stopped before them). ``status``:

    - ``"ok"``: the last name has records of one of ``rdtypes``, or is a name
      the caller knows (``known``: e.g. ``autodiscover.outlook.com``, not looked up);
    - ``"nxdomain"`` / ``"noanswer"``: the last name does not exist, or has
      none of them (with ``aliases``: a dangling alias);
    - ``"loop"``: a name came back, or there were more than ``MAX_ALIASES`` aliases;
    - ``"unknown"``: a name on the way is in none of the zone files given;
    - ``"error"``: a look-up on the way failed (``failed`` holds the answers).
    """

    name: str
    rdtypes: tuple[str, ...]
    names: tuple[str, ...]
    aliases: tuple[Answer, ...] = ()
    end: tuple[Answer, ...] = ()
    status: str = OK
    failed: tuple[Answer, ...] = ()
    known: bool = False

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def target(self) -> str:
        """The last name reached."""
        return self.names[-1]

    @property
    def records(self) -> tuple[Any, ...]:
        """The records of ``rdtypes`` at the end of the chain."""
        return tuple(r for a in self.end if a.ok for r in a.records)

    @property
    def absent(self) -> bool:
        """The name is no alias and has no records of ``rdtypes`` (NXDOMAIN or no answer)."""
        return not self.aliases and self.status in (NXDOMAIN, NOANSWER)

    @property
    def broken(self) -> bool:
        """A loop, or an alias whose target does not resolve: a finding, never a pass."""
        return self.status == LOOP or (bool(self.aliases) and self.status in (NXDOMAIN, NOANSWER))

    def path(self) -> str:
        """``"autodiscover.contoso.com -> ad2.contoso.com -> autodiscover.contoso.com"``."""
        return " -> ".join(self.names)

    def why(self) -> str:
        """Why the chain does not end in records, for messages (``""`` when it does)."""
        kinds = " or ".join(self.rdtypes)
        if self.status == OK:
            return ""
        if self.status == LOOP:
            if self.target in self.names[:-1]:
                return f"CNAME loop ({self.path()})"
            return f"more than {MAX_ALIASES} CNAME records in a row ({self.path()})"
        if self.status == UNKNOWN:
            head = f"{self.path()}: " if self.aliases else ""
            return f"{head}{self.target} is in none of the zone files given, so it cannot be followed offline"
        if self.status == ERROR:
            return "; ".join(dict.fromkeys(a.error or "look-up failed" for a in self.failed))
        if self.aliases:
            what = "does not exist (NXDOMAIN)" if self.status == NXDOMAIN else f"has no {kinds} record"
            return f"it is a CNAME to {self.target}, which {what} ({self.path()})"
        return "the name does not exist (NXDOMAIN)" if self.status == NXDOMAIN else f"no {kinds} record"


def follow(source: DnsSource, names: Iterable[str], rdtypes: Iterable[str] = ("A", "AAAA"), *,
           known: Callable[[str], bool] | None = None) -> dict[str, Chain]:
    """Follow each of ``names`` through its CNAME records to records of ``rdtypes``.

    Args:
        source: the DNS source (live or zone files).
        names: host names (normalized as the sources do).
        rdtypes: the record types that end a chain (``("A", "AAAA")`` for a host,
            ``("TXT",)`` for an SPF include).
        known: names that end a chain without a look-up (Microsoft's hosts, whose
            records are not the organization's to check).

    Returns:
        ``{name: Chain}`` for each distinct name given. Never raises for a
        failed look-up: it is the chain's status.
    """
    types = tuple(t.upper() for t in rdtypes)
    is_known = known or (lambda _name: False)
    paths = {normalize_host(n): [normalize_host(n)] for n in names}
    aliases: dict[str, list[Answer]] = {n: [] for n in paths}
    done: dict[str, Chain] = {}

    def finish(start: str, status: str, end: Iterable[Answer] = (), failed: Iterable[Answer] = (),
               stopped: bool = False) -> None:
        done[start] = Chain(start, types, tuple(paths[start]), tuple(aliases[start]), tuple(end), status,
                            tuple(failed), stopped)

    for start in paths:
        if is_known(start):
            finish(start, OK, stopped=True)
    while len(done) < len(paths):
        active = [s for s in paths if s not in done]
        got = source.lookup((paths[s][-1], t) for s in active for t in ("CNAME", *types))
        for start in active:
            path = paths[start]
            here = path[-1]
            cname = got[(here, "CNAME")]
            if cname.failed:
                finish(start, UNKNOWN if cname.outside else ERROR, failed=[cname])
            elif cname.ok and cname.records:
                aliases[start].append(cname)
                target = cname.records[0]
                looped = target in path
                path.append(target)
                if looped or len(aliases[start]) > MAX_ALIASES:
                    finish(start, LOOP)
                elif is_known(target):
                    finish(start, OK, stopped=True)
            else:
                end = [got[(here, t)] for t in types]
                bad = [a for a in end if a.failed]
                if bad:
                    finish(start, UNKNOWN if all(a.outside for a in bad) else ERROR, end, bad)
                elif any(a.ok and a.records for a in end):
                    finish(start, OK, end)
                else:
                    finish(start, NXDOMAIN if cname.status == NXDOMAIN else NOANSWER, end)
    return done
