"""The IdFix error types as checks: PF400 character … PF407 blank.

Each reads ``idfix_results`` (every failing value, computed once by the
engine in :mod:`.rules`) and reports the values that have its error type.
"""

from __future__ import annotations

import re

from ...registry import Missing, Problem, check, provider
from ...sources.directory import unknown
from ..directory.providers import require
from .rules import (
    BLANK,
    CHARACTER,
    DOMAINPART,
    DUPLICATE,
    FORMAT,
    LENGTH,
    LOCALPART,
    RULE_SETS,
    RULES,
    TOPLEVELDOMAIN,
    rule_errors,
    rule_inputs,
    run_rules,
    scan_scope,
)


@provider("idfix_objects")
def idfix_objects(config, directory, batch_directory=None):
    """The objects to scan: the batch's (default) or the whole directory / a subtree."""
    require(directory, "objectClass")  # what tells users, contacts and groups from the rest
    scope = config.idfix.get("scope") or ("batch" if batch_directory is not None else "directory")
    if scope == "directory":
        objects = directory.read_all(config.idfix.get("base"))
    elif scope == "batch":
        if batch_directory is None:
            raise Missing("no batch rows to scan: give batch files, or --idfix-scope directory")
        batch_directory.require()  # the batch's objects are those its addresses resolve to
        objects = batch_directory.objects
    else:
        raise Missing(f"[idfix] scope must be batch or directory, not {scope!r}")
    return scan_scope(objects.reset_index(drop=True), _rule_set(config))


def _rule_set(config) -> str:
    rule_set = config.idfix.get("rule_set") or "multi-tenant"
    if rule_set not in RULE_SETS:
        raise Missing(f"[idfix] rule_set must be {' or '.join(RULE_SETS)}, not {rule_set!r}")
    return rule_set


@provider("idfix_unknown")
def idfix_unknown(config, directory):
    """``{attribute: (errors, reason)}``: the attributes of the rule set whose
    rules cannot run because the directory source does not hold what they read
    (an export without that column), the error types (flags) their rules give,
    and the source's reason. Unknown values are neither checked nor taken for blanks."""
    rule_set = _rule_set(config)
    out = {}
    for attribute in RULES[rule_set]:
        reason = unknown(directory, rule_inputs(rule_set, attribute))
        if reason:
            out[attribute] = (rule_errors(rule_set, attribute), reason)
    return out


@provider("idfix_results")
def idfix_results(config, idfix_objects, idfix_unknown):
    return run_rules(idfix_objects, _rule_set(config), skip=idfix_unknown)


#: The end of every PF4xx message: IdFix's ERROR and PROPOSEDACTION for the value (the grid CSV reads them back).
IDFIX_TAIL = re.compile(r"\[IdFix: (?P<error>[A-Za-z, ]+); (?P<action>Edit|Complete|Remove)\]$")


def _problems(results, unknown_attributes, bit: int, what: str):
    """The findings of error type ``bit``. With none, the check is skipped (not
    passed) when an attribute that can give this error was not checked."""
    rows = results[(results["errors"].to_numpy() & bit) != 0]
    if rows.empty:
        reasons = [reason for errors, reason in unknown_attributes.values() if errors & bit]
        if reasons:
            raise Missing("; ".join(dict.fromkeys(reasons)))
    for r in rows.itertuples(index=False):
        proposal = r.update if r.update != r.value else None
        if proposal is not None:
            advice = f"IdFix proposes {proposal!r}"
        elif bit == DUPLICATE:
            advice = "IdFix proposes no value: keep it on one object only"
        else:
            advice = "IdFix proposes no value: correct it by hand"
        related = tuple({"dn": d} for d in r.duplicates if d != r.dn) if bit == DUPLICATE else ()
        yield Problem(f"{r.attribute} of {r.dn}: {what}: {r.value!r}; {advice} [IdFix: {r.error}; {r.action}]",
                      dn=r.dn, attribute=r.attribute, object_class=r.object_class, value=r.value,
                      suggested_value=proposal, related=related,
                      fix=f"set {r.attribute} to {proposal!r}" if proposal is not None else advice)


@check("PF400", "idfix-character", severity="error")
def character(idfix_results, idfix_unknown):
    """An attribute value holds characters directory synchronization rejects (IdFix error "character").

    Why: Microsoft Entra Connect (directory sync) refuses or rewrites values with
    these characters, so the object fails to sync and its mail-enabled user is not
    created for the staged migration. Per attribute (IdFix multi-tenant rules):
    proxyAddresses — white space (as .NET counts it: tabs, no-break and other Unicode
    spaces too) ``< > ( ) ; , [ ] "`` (smtp) or ``< > ( ) , [ ] "``
    (other types; X.400/X.500: control characters, brackets and quotes) and a second
    ``:``; targetAddress — also ``\\``; userPrincipalName — white space
    ``\\ % & * + / = ? ' { } | < > ( ) ; : , [ ] "`` and umlauts; sAMAccountName (where
    userPrincipalName is empty) — ``[ \\ " | , / : < > + = ; ? * ]``; mailNickname — a
    leading period (dedicated: white space and ``\\ ! # $ % & * + / = ? ^ ` { } | ~ < > ( ) ' ; : , [ ] " @``).

    Fix: apply the proposed value (IdFix removes the characters; an emptied value
    becomes the common name), e.g. with ``--fix-ldif``.

    Source: microsoft/idfix, Rules/MultiTenantRuleCollection.cs, Settings/Constants.cs
    and "Errors supported by the IdFix tool"; Microsoft Learn, "Prepare directory
    attributes for synchronization with Microsoft Entra Connect Sync".
    """
    yield from _problems(idfix_results, idfix_unknown, CHARACTER, "invalid characters")


@check("PF401", "idfix-format", severity="error")
def format_(idfix_results, idfix_unknown):
    """An SMTP address (userPrincipalName, an smtp: proxy or target address) is not in RFC 2822 form (IdFix "format").

    Why: directory sync needs addresses of the form local-part@domain with a
    valid local part and a DNS domain; others fail to sync.

    Fix: apply the proposed value, or correct the address by hand.

    Source: microsoft/idfix, Rules/Shared/RFC2822Rule.cs (IdFix's RFC 2822
    expression); Microsoft Learn, "Prepare directory attributes for synchronization…".
    """
    yield from _problems(idfix_results, idfix_unknown, FORMAT, "not an RFC 2822 address")


@check("PF402", "idfix-top-level-domain", severity="error")
def top_level_domain(idfix_results, idfix_unknown):
    """An address ends in a top-level domain that is not Internet-routable, such as ``.local`` (IdFix "topleveldomain").

    Why: Microsoft 365 accepts only verified, routable domains; a
    userPrincipalName or proxy address in ``contoso.local`` cannot be used in the
    tenant (sign-in names fall back to the onmicrosoft.com domain).

    Fix: add a routable UPN suffix (e.g. contoso.com) in Active Directory Domains
    and Trusts and change the users' userPrincipalName to it; remove or replace
    non-routable proxy addresses.

    Source: microsoft/idfix, Rules/Shared/RFC2822Rule.cs (ValidTLDList); here the
    Public Suffix List's top-level labels (tldextract's bundled snapshot).
    """
    yield from _problems(idfix_results, idfix_unknown, TOPLEVELDOMAIN, "non-routable top-level domain")


@check("PF403", "idfix-domain-part", severity="error")
def domain_part(idfix_results, idfix_unknown):
    """The domain part of an address (after the ``@``) is not a valid DNS name (IdFix "domainpart").

    Why: directory sync refuses addresses whose domain has characters other
    than letters, digits, hyphens and dots, or has no top-level label.

    Fix: apply the proposed value (the invalid characters removed from the domain).

    Source: microsoft/idfix, Settings/Constants.cs (DomainPartRegex) and
    Rules/Shared/RFC2822Rule.cs.
    """
    yield from _problems(idfix_results, idfix_unknown, DOMAINPART, "invalid domain part")


@check("PF404", "idfix-local-part", severity="error")
def local_part(idfix_results, idfix_unknown):
    """The local part of an address (before the ``@``) is invalid, or the value has two ``@`` (IdFix "localpart").

    Why: directory sync refuses local parts outside RFC 2822's atom characters
    (letters, digits and ``! # $ % & ' * + / = ? ^ _ ` { | } ~ -``, dots between atoms).

    Fix: apply the proposed value (invalid characters removed; a dot before the @ dropped).

    Source: microsoft/idfix, Settings/Constants.cs (LocalPartRegex) and
    Rules/Shared/RFC2822Rule.cs.
    """
    yield from _problems(idfix_results, idfix_unknown, LOCALPART, "invalid local part")


@check("PF405", "idfix-length", severity="error")
def length(idfix_results, idfix_unknown):
    """An attribute value is longer than directory synchronization allows (IdFix "length").

    Why: longer values are refused by Microsoft Entra ID. Limits (multi-tenant):
    displayName 255, givenName 63, mail 256, mailNickname 64, proxyAddresses 256
    per value, sAMAccountName 20 for users (256 otherwise), targetAddress 255,
    userPrincipalName 113 with under 64 characters before the ``@`` and under 48
    after it. Dedicated: displayName, mail, proxyAddresses, targetAddress 256; mailNickname 64.

    Fix: apply the proposed value (IdFix truncates), or shorten it by hand where
    truncation would change its meaning (the UPN parts: no value is proposed).

    Source: microsoft/idfix, Rules/*RuleCollection.cs (StringMaxLengthRule) and
    "Errors supported by the IdFix tool".
    """
    yield from _problems(idfix_results, idfix_unknown, LENGTH, "too long")


@check("PF406", "idfix-duplicate", severity="error")
def duplicate(idfix_results, idfix_unknown):
    """The same value (case-insensitive) is on two or more objects in one attribute (IdFix "duplicate").

    Why: mail, mailNickname, proxyAddresses, sAMAccountName, targetAddress and
    userPrincipalName must be unique; directory sync quarantines the second
    object with an AttributeValueMustBeUnique error, so it never reaches
    Microsoft 365. Every object of the set is named. As IdFix does, values are
    compared within one attribute, ``smtp:`` and ``SMTP:`` alike.

    Fix: keep the value on the object that should own it and remove or change it
    on the others. IdFix proposes no value; its ACTION says COMPLETE where it
    deems the duplicate settled, REMOVE for an SMTP proxy address of an object
    that is not mail-enabled.

    Source: microsoft/idfix, Rules/Shared/NoDuplicatesRule.cs and DuplicateStore.cs;
    Microsoft Learn, "Prepare directory attributes for synchronization…".
    """
    yield from _problems(idfix_results, idfix_unknown, DUPLICATE, "duplicate value")


@check("PF407", "idfix-blank", severity="warning")
def blank(idfix_results, idfix_unknown):
    """An attribute directory synchronization needs is empty (IdFix "blank").

    Why: multi-tenant: a displayName is needed (IdFix proposes the common name).
    Dedicated: groups need a displayName, users and contacts a mailNickname, and
    contacts and users without a mailbox a targetAddress (IdFix proposes
    ``SMTP:`` + mail).

    Fix: apply the proposed value, or set one by hand.

    Source: microsoft/idfix, Rules/Shared/BlankStringRule.cs and Rules/Dedicated/*BlankRule.cs.
    """
    yield from _problems(idfix_results, idfix_unknown, BLANK, "empty")
