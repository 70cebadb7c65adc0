"""What the DNS checks share: the per-domain records, how targets are classified,
SPF parsing, and how failed look-ups end a check (errored, naming the domains)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...registry import Missing, SourceError

if TYPE_CHECKING:
    from ...sources.dns import Answer, DomainUse

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
    spf_lookups: dict[str, Answer] = field(default_factory=dict)

    def __iter__(self) -> Iterator[DomainDns]:
        return iter(self.domains.values())

    def classify(self, host: str) -> str:
        return classify_mx(host, self.org_domains)

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
        for error, queries in by_error.items():
            queries = list(dict.fromkeys(queries))
            shown = ", ".join(queries[:4])
            more = f" and {len(queries) - 4} more" if len(queries) > 4 else ""
            parts.append(f"{error} ({shown}{more})")
        raise SourceError(f"DNS look-up failed for {', '.join(self._items)}: {'; '.join(parts)}")


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


def spf_authorizes_exo(records: Iterable[str], lookups: dict[str, Answer],
                       limit: int = 10) -> tuple[bool | None, list[Answer]]:
    """Whether Exchange Online's include is reached from ``records``, directly
    or through ``include:``/``redirect=`` (at most ``limit`` look-ups, RFC 7208
    section 4.6.4), and the look-ups that failed on the way. ``None`` when it
    was not found and a look-up failed (or was not made, or the limit was hit)."""
    from ...sources.dns import ERROR, Answer

    pending = [t for r in records for t in spf_targets(r)]
    seen: set[str] = set()
    failed: list[Answer] = []
    while pending:
        target = pending.pop(0)
        if target in EXO_SPF_INCLUDES:
            return True, failed
        if target in seen:
            continue
        seen.add(target)
        if len(seen) > limit:
            failed.append(Answer(target, "TXT", ERROR, error=f"more than {limit} SPF look-ups"))
            break
        ans = lookups.get(target)
        if ans is None:
            failed.append(Answer(target, "TXT", ERROR, error="SPF include not looked up"))
        elif ans.failed:
            failed.append(ans)
        elif ans.ok:
            for text in ans.records:
                if is_spf(text):
                    pending.extend(spf_targets(text))
    return (None if failed else False), failed


def spf_expansion_targets(records: Iterable[str]) -> list[str]:
    """The targets to look up for :func:`spf_authorizes_exo` (not EXO's own)."""
    return [t for r in records for t in spf_targets(r) if t not in EXO_SPF_INCLUDES]


def pointing(hosts: Iterable[str]) -> str:
    return ", ".join(hosts)


def use_of(d: DomainDns) -> str:
    return d.use.where()
