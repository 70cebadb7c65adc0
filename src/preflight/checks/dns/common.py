"""What the DNS checks share: the per-domain records, how targets are classified,
SPF parsing, and how failed look-ups end a check (errored, naming the domains)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...registry import Missing, Problem, SourceError

if TYPE_CHECKING:
    from ...sources.dns import Answer, DomainUse
    from ...sources.dns_chain import Chain

EXCHANGE_ONLINE = "Exchange Online"
ON_PREMISES = "on-premises"
OTHER = "other"

#: MX host suffixes of Exchange Online (worldwide, the newer DNSSEC-signed
#: ``mx.microsoft``, GCC High/DoD, operated by 21Vianet).
EXO_MX_SUFFIXES = (".mail.protection.outlook.com", ".mx.microsoft", ".mail.protection.office365.us",
                   ".mail.protection.partner.outlook.cn")
#: Autodiscover CNAME targets of Exchange Online.
EXO_AUTODISCOVER = frozenset({"autodiscover.outlook.com", "autodiscover.office365.us",
                              "autodiscover.partner.outlook.cn"})
#: The SPF include of Exchange Online's outbound servers.
EXO_SPF_INCLUDES = frozenset({"spf.protection.outlook.com", "spf.protection.office365.us",
                              "spf.protection.partner.outlook.cn"})
_VERIFY_MX_RE = re.compile(r"^ms\d+\.msv1\.invalid$")
_VERIFY_TXT_RE = re.compile(r"^\s*MS=ms\d+\s*$", re.IGNORECASE)
TTL_LIMIT = 300


def exo_mx_host(domain: str) -> str:
    """The MX host Microsoft 365 gives a domain: dots as dashes under mail.protection.outlook.com."""
    return f"{domain.replace('.', '-')}.mail.protection.outlook.com"


def is_verification_mx(host: str) -> bool:
    """An ``msNNNNNNNN.msv1.invalid`` MX: Microsoft's domain verification record, not a mail route."""
    return bool(_VERIFY_MX_RE.match(host))


def is_verification_txt(text: str) -> bool:
    return bool(_VERIFY_TXT_RE.match(text))


def is_microsoft_host(host: str) -> bool:
    """An Exchange Online MX or Autodiscover host: a chain that reaches it ends
    there (its records are Microsoft's, not the organization's to check)."""
    return host in EXO_AUTODISCOVER or any(host.endswith(s) for s in EXO_MX_SUFFIXES)


def within(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def classify_mx(host: str, org_domains: Iterable[str]) -> str:
    """Exchange Online, on-premises (a host in one of the organization's
    domains: the checked domains and the Outlook Anywhere host's), or other
    (a third-party filter or host)."""
    if any(host.endswith(s) for s in EXO_MX_SUFFIXES):
        return EXCHANGE_ONLINE
    if any(within(host, d) for d in org_domains):
        return ON_PREMISES
    return OTHER


@dataclass
class DomainDns:
    """The answers about one domain: MX and TXT of the domain,
    ``autodiscover.<domain>`` CNAME and A, ``_autodiscover._tcp.<domain>`` SRV."""

    domain: str
    use: DomainUse
    mx: Answer
    txt: Answer
    cname: Answer
    a: Answer
    srv: Answer

    @property
    def autodiscover(self) -> str:
        return f"autodiscover.{self.domain}"

    @property
    def srv_name(self) -> str:
        return f"_autodiscover._tcp.{self.domain}"

    def srv_targets(self) -> list[str]:
        """The hosts of the ``_autodiscover._tcp`` SRV records (not ``.``: "no service")."""
        return [s.host for s in self.srv.records if s.host != "."] if self.srv.ok else []

    def mail_mx(self) -> list[tuple[int, str]]:
        """MX records that route mail (not the verification MX, not a null MX)."""
        return [(m.preference, m.host) for m in self.mx.records if m.host != "." and not is_verification_mx(m.host)]

    def spf(self) -> list[str]:
        """The domain's SPF records (TXT starting ``v=spf1``, RFC 7208 section 4.5)."""
        return [t for t in self.txt.records if is_spf(t)] if self.txt.ok else []


@dataclass
class DnsRecords:
    """Everything the DNS checks read, looked up once per run."""

    domains: dict[str, DomainDns]
    stage: str | None = None
    org_domains: frozenset[str] = frozenset()

    def __iter__(self) -> Iterator[DomainDns]:
        return iter(self.domains.values())

    def classify(self, host: str) -> str:
        return classify_mx(host, self.org_domains)

    def mail_via_exo(self, d: DomainDns) -> bool | None:
        """Whether mail of ``d`` flows through Exchange Online: a stage is given (a
        staged migration is under way: migrated mailboxes send from it) or an MX
        record points to it. ``None`` when the MX look-up failed and no stage is given."""
        if self.stage is not None:
            return True
        if d.mx.failed:
            return None
        return any(self.classify(h) == EXCHANGE_ONLINE for _, h in (d.mail_mx() if d.mx.ok else ()))

    def require_stage(self, stage: str) -> None:
        """Raise Missing unless the configured stage is ``stage``."""
        if self.stage is None:
            raise Missing(f"no migration stage given (--stage migrating|cutover|complete); this check applies at {stage}")
        if self.stage != stage:
            raise Missing(f"applies at stage {stage}; the stage is {self.stage}")


class Failures:
    """Look-ups that failed, by domain. A check records them and goes on with
    the other domains; :meth:`raise_if_any` at its end makes it errored with a
    reason naming the domains (the runner keeps the findings yielded before)."""

    def __init__(self) -> None:
        self._items: dict[str, dict[tuple[str, str], Answer]] = {}

    def add(self, domain: str, *answers: Answer) -> bool:
        """Record the failed ones of ``answers``; True when there was one."""
        bad = [a for a in answers if a.failed]
        for a in bad:
            self.note(domain, a)
        return bool(bad)

    def note(self, domain: str, answer: Answer) -> None:
        self._items.setdefault(domain, {}).setdefault((answer.name, answer.rdtype), answer)

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        if not self._items:
            return
        by_error: dict[str, list[str]] = {}
        for answers in self._items.values():
            for a in answers.values():
                by_error.setdefault(a.error or "failed", []).append(f"{a.rdtype} {a.name}")
        parts = []
        for error, asked in by_error.items():
            queries = list(dict.fromkeys(asked))
            shown = ", ".join(queries[:4])
            more = f" and {len(queries) - 4} more" if len(queries) > 4 else ""
            parts.append(f"{error} ({shown}{more})")
        raise SourceError(f"DNS look-up failed for {', '.join(self._items)}: {'; '.join(parts)}")


class Offline:
    """Names that chains reached in none of the zone files given. Each is said
    once, as one finding naming the domains whose records lead there: neither a
    pass (nothing was checked) nor an error of the whole check."""

    def __init__(self, question: str, record: str) -> None:
        self.question = question
        self.record = record
        self._names: dict[str, list[str]] = {}

    def add(self, domain: str, chain: Chain) -> None:
        domains = self._names.setdefault(chain.target, [])
        if domain not in domains:
            domains.append(domain)

    def problems(self) -> Iterator[Problem]:
        for name, domains in self._names.items():
            yield Problem(f"{name} is in none of the zone files given, so preflight cannot tell offline "
                          f"{self.question} ({', '.join(domains)})", domain=domains[0], record=self.record,
                          value=name, related=tuple({"domain": d} for d in domains[1:]),
                          fix=f"Give the zone file that holds {name} too, or check live (--dns-server, or "
                              "[tool.preflight.dns] live = true).")


def settled_elsewhere(domain: str, chain: Chain, failures: Failures, offline: Offline | None = None) -> bool:
    """True when ``chain`` failed (recorded in ``failures``: the check errors)
    or left the zone files (recorded in ``offline``, or ignored when the check
    leaves that to another): the caller then judges only the other chains."""
    from ...sources.dns import ERROR
    from ...sources.dns_chain import UNKNOWN

    if chain.status == ERROR:
        for a in chain.failed:
            failures.note(domain, a)
        return True
    if chain.status == UNKNOWN:
        if offline is not None:
            offline.add(domain, chain)
        return True
    return False


# --------------------------------------------------------------------------- SPF


def is_spf(text: str) -> bool:
    """RFC 7208 section 4.5: ``v=spf1`` (any case) followed by a space or the end."""
    t = text.strip()
    return t[:6].lower() == "v=spf1" and (len(t) == 6 or t[6] == " ")


def spf_targets(record: str) -> list[str]:
    """Domains of the record's pass ``include:`` mechanisms and its
    ``redirect=`` modifier (those containing macros are left out)."""
    out = []
    for term in record.split()[1:]:
        low = term.lower()
        low = low.removeprefix("+")
        if low.startswith("include:"):
            target = low[8:]
        elif low.startswith("redirect="):
            target = low[9:]
        else:
            continue
        if target and "%" not in target:
            out.append(target.rstrip("."))
    return out


@dataclass
class SpfResult:
    """What following an SPF record's includes found: ``found`` when Exchange
    Online's include is reached; else the look-ups that ``failed`` (the check
    errors), the includes the zone files cannot tell about (``unknown``), and
    ``problems`` that make SPF fail (an include loop, a CNAME loop, more than
    the look-up limit: permerror)."""

    found: bool = False
    failed: list[Answer] = field(default_factory=list)
    unknown: list[Chain] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def spf_includes_exo(records: Iterable[str]) -> bool:
    """A record names Exchange Online's include itself: that settles PF322, nothing to follow."""
    return any(t in EXO_SPF_INCLUDES for r in records for t in spf_targets(r))


def spf_authorizes_exo(domain: str, records: Iterable[str], chains: dict[str, Chain], limit: int = 10) -> SpfResult:
    """Whether Exchange Online's include is reached from ``records`` (the SPF
    records of ``domain``), directly or through ``include:``/``redirect=``
    (at most ``limit`` look-ups, RFC 7208 section 4.6.4), reading the TXT
    chains of the targets from ``chains`` (:func:`preflight.sources.dns_chain.follow`)."""
    from ...sources.dns import ERROR, Answer
    from ...sources.dns_chain import LOOP, UNKNOWN

    result = SpfResult()
    pending: list[tuple[str, tuple[str, ...]]] = [(t, (domain,)) for r in records for t in spf_targets(r)]
    seen: set[str] = set()
    while pending:
        target, path = pending.pop(0)
        if target in EXO_SPF_INCLUDES:
            result.found = True
            return result
        if target in path:
            result.problems.append(f"SPF include loop ({' -> '.join((*path, target))}): SPF fails (permerror)")
            continue
        if target in seen:
            continue
        seen.add(target)
        if len(seen) > limit:
            result.problems.append(f"more than {limit} include/redirect look-ups: SPF fails (permerror)")
            break
        chain = chains.get(target)
        if chain is None:
            result.failed.append(Answer(target, "TXT", ERROR, error="SPF include not looked up"))
        elif chain.status == ERROR:
            result.failed.extend(chain.failed)
        elif chain.status == UNKNOWN:
            result.unknown.append(chain)
        elif chain.status == LOOP:
            result.problems.append(f"the include {target} does not resolve: {chain.why()}")
        elif chain.ok:
            for text in chain.records:
                if is_spf(text):
                    pending.extend((t, (*path, target)) for t in spf_targets(text))
    return result


def spf_expansion_targets(records: Iterable[str]) -> list[str]:
    """The targets to look up for :func:`spf_authorizes_exo` (not EXO's own)."""
    return [t for r in records for t in spf_targets(r) if t not in EXO_SPF_INCLUDES]


def pointing(hosts: Iterable[str]) -> str:
    return ", ".join(hosts)


def use_of(d: DomainDns) -> str:
    return d.use.where()
