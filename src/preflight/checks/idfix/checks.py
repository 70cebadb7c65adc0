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
    """The objects to scan: the batch's (default) or the whole directory / a subtree.

    The scope is what the user asked for: with ``batch`` (the default), a run
    whose batch files have no usable rows (no valid EmailAddress) scans nothing
    (the checks are skipped); the whole directory is read only with ``directory``.
    """
    require(directory, "objectClass")  # what tells users, contacts and groups from the rest
    scope = config.idfix.get("scope") or "batch"
    if scope == "directory":
        objects = directory.read_all(config.idfix.get("base"))
    elif scope == "batch":
        if batch_directory is None or batch_directory.rows.empty:
            raise Missing("no batch rows with a valid EmailAddress to scan (scope batch); "
                          "to scan the whole directory give --idfix-scope directory")
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
    ``\\ % & * + / = ? ' { } | < > ( ) ; : , [ ] "`` and umlauts; sAMAccountName —
    ``[ \\ " | , / : < > + = ; ? * ]``, whether or not the object has a
    userPrincipalName (IdFix's page says "only if no userPrincipalName", its code
    checks it always and skips only the duplicate rule; preflight follows the code,
    which is what IdFix reports); mailNickname — a leading period. Dedicated rules:
    displayName — leading or trailing white space; mail — white space; mailNickname —
    white space and ``\\ ! # $ % & * + / = ? ^ ` { } | ~ < > ( ) ' ; : , [ ] " @``;
    proxyAddresses — a second ``:`` only.

    A value is an SMTP address when ``smtp:`` (any case) ends the text before its
    first colon (`` SMTP:`` too); X.400/X.500 when it starts ``x400``, ``x.400``,
    ``x500`` or ``x.500``, as IdFix tests. Deviation from IdFix 2.6: IdFix takes a
    value as SMTP wherever ``smtp:`` occurs in it, so it checks an X.500 address
    whose DN holds ``smtp:`` as an e-mail address and proposes to mangle it.

    Fix: apply the proposed value (IdFix removes the characters; an emptied value
    becomes the common name), e.g. with ``--fix-ldif``, or import ``--idfix-csv``
    into IdFix, review, Accept and Apply there.

    Source: microsoft/idfix, Rules/MultiTenantRuleCollection.cs, Settings/Constants.cs
    and "Errors supported by the IdFix tool"; Microsoft Learn, "Prepare directory
    attributes for synchronization with Microsoft Entra Connect Sync".
    """
    yield from _problems(idfix_results, idfix_unknown, CHARACTER, "invalid characters")


@check("PF401", "idfix-format", severity="error")
def format_(idfix_results, idfix_unknown):
    """An SMTP address (userPrincipalName, an smtp: proxy or target address) is not in RFC 2822 form (IdFix "format").

    Why: directory sync needs addresses of the form local-part@domain with a
    valid local part and a DNS domain; others fail to sync. Letters are IdFix's
    ``[a-z]`` as .NET reads it under IgnoreCase: ASCII letters, the Kelvin sign and
    ``İ``, but not the long s ``ſ``.

    Dedicated rules: also a mailNickname that begins or ends with a period.
    Deviation from IdFix 2.6: its dedicated periods rule builds this error and then
    drops it (the rule always succeeds); preflight reports it, as IdFix's page and
    Microsoft's directory-preparation guide ("may not begin or end with a period")
    say, with the value IdFix's fixer makes (the periods removed, or the common name).

    Fix: apply the proposed value, or correct the address by hand.

    Source: microsoft/idfix, Rules/Shared/RFC2822Rule.cs (IdFix's RFC 2822
    expression), Rules/Dedicated/MailNickNamePeriodsRule.cs; Microsoft Learn, "Prepare directory attributes for synchronization…".
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

    Deviation from IdFix 2.6: the top-level domains are the current Public Suffix
    List's (tldextract's bundled snapshot; upgrade tldextract to refresh it), not
    IdFix's shipped domains.txt, which is stale: it rejects ``.app`` and ``.shop``
    and accepts the retired ``.an`` and ``.tp``. An internationalized top-level
    domain is accepted in either spelling (``рф`` or ``xn--p1ai``); IdFix's list holds
    only the first, so IdFix also flags ``xn--p1ai``. Either way such an address
    fails "domainpart" (IdFix's domain pattern wants a last label of letters).

    Source: microsoft/idfix, Rules/Shared/RFC2822Rule.cs (ValidTLDList, domains.txt).
    """
    yield from _problems(idfix_results, idfix_unknown, TOPLEVELDOMAIN, "non-routable top-level domain")


@check("PF403", "idfix-domain-part", severity="error")
def domain_part(idfix_results, idfix_unknown):
    """The domain part of an address (after the ``@``) is not a valid DNS name (IdFix "domainpart").

    Why: directory sync refuses addresses whose domain has characters other
    than letters, digits, hyphens and dots, or has no top-level label.

    Letters are IdFix's ``[a-z]`` as .NET reads it under IgnoreCase (the long s
    ``ſ`` is not one: ``john@ſample.com`` fails, proposing ``john@ample.com``).

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

    Letters as .NET reads IdFix's ``[a-z]`` under IgnoreCase: ``ſam@contoso.com``
    fails, proposing ``am@contoso.com``.

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
    per value, sAMAccountName 20 where the object's last objectClass is ``user``
    (256 otherwise: groups, inetOrgPerson), targetAddress 255, userPrincipalName
    113. Dedicated: displayName, mail, proxyAddresses, targetAddress 256;
    mailNickname 64. Lengths are counted as .NET counts them, in UTF-16 code units:
    an emoji counts two.

    IdFix's page also lists "less than 64 characters before the @, less than 48
    after" for userPrincipalName; its code checks only the total, and preflight
    follows the code. Deviation from IdFix 2.6: IdFix cuts at the limit even
    inside a character outside the Basic Multilingual Plane, leaving half of it;
    preflight's proposal stops before that character.

    Fix: apply the proposed value (IdFix truncates), or shorten it by hand where
    truncation would change its meaning.

    Source: microsoft/idfix, Rules/*RuleCollection.cs (StringMaxLengthRule,
    SamAccountNameMaxLengthRule) and "Errors supported by the IdFix tool";
    Office 365 Deployment Guide, "Directory object preparation" (sAMAccountName:
    20 for users, 256 for groups).
    """
    yield from _problems(idfix_results, idfix_unknown, LENGTH, "too long")


@check("PF406", "idfix-duplicate", severity="error")
def duplicate(idfix_results, idfix_unknown):
    """The same value (case-insensitive) is on two or more objects in one attribute (IdFix "duplicate").

    Why: mail, mailNickname, proxyAddresses, sAMAccountName, targetAddress and
    userPrincipalName must be unique; directory sync quarantines the second
    object with an AttributeValueMustBeUnique error, so it never reaches
    Microsoft 365. As IdFix does, values are compared within one attribute,
    ``smtp:`` and ``SMTP:`` alike, after the attribute's earlier rules (a
    truncated value is compared truncated), and a value twice on one object is a
    duplicate too. sAMAccountName is compared only where userPrincipalName is
    empty. Replication-conflict objects (``CNF:`` in the DN) are compared as IdFix
    2.6 does (its test for them never matches): their copies of the original's
    addresses are real duplicates; deleting the conflict object is the fix.

    Deviation from IdFix 2.6: every holder of the value is reported, each naming
    the others; IdFix reports the holders after the first one it reads, which
    depends on the order of the directory's answer.

    Fix: keep the value on the object that should own it and remove or change it
    on the others. IdFix proposes no value; its proposed action is Complete where
    the value is the object's first value of the attribute and the object is
    mail-enabled (a mailbox, for mailNickname), Remove for such an SMTP proxy
    address of an object without mailNickname, Edit otherwise.

    Source: microsoft/idfix, Rules/Shared/NoDuplicatesRule.cs and DuplicateStore.cs;
    Microsoft Learn, "Prepare directory attributes for synchronization…".
    """
    yield from _problems(idfix_results, idfix_unknown, DUPLICATE, "duplicate value")


@check("PF407", "idfix-blank", severity="warning")
def blank(idfix_results, idfix_unknown):
    """An attribute directory synchronization needs is empty (IdFix "blank").

    Why: multi-tenant: a displayName is needed (IdFix proposes the common name).
    Dedicated (objects with a mail value only): groups need a displayName (IdFix
    proposes the common name, cut to 255); contacts a mailNickname (IdFix proposes
    givenName.sn, else sn, givenName, sAMAccountName or the common name); contacts
    and users without a mailbox (homeMDB) a targetAddress (for a contact IdFix
    proposes ``SMTP:`` + mail, cut to 256; for a user nothing).

    Fix: apply the proposed value, or set one by hand.

    Source: microsoft/idfix, Rules/Shared/BlankStringRule.cs and Rules/Dedicated/*BlankRule.cs.
    """
    yield from _problems(idfix_results, idfix_unknown, BLANK, "empty")
