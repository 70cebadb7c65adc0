"""Checks on the EmailAddress values: present, syntax, white space, ASCII, unique."""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING

from ...registry import Problem, check

if TYPE_CHECKING:
    from ...sources.batch_csv import BatchFile, MailboxRows

_COL = "EmailAddress"
# A strict subset of what email-validator accepts: a dot-atom local part of at
# most 64 characters, LDH labels with no "--" (so no IDNA), an alphabetic TLD
# that is not a special-use name, 254 characters at most. Values matching it
# skip the slower library call; a property test proves the subset property.
# The special-use names are the DNS source's, a superset of email-validator's
# SPECIAL_USE_DOMAIN_NAMES (a test holds it so): a batch whose addresses all
# match never loads the library (its import costs more than the checks).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"


@lru_cache(maxsize=1)
def _fast_re() -> re.Pattern[str]:
    from ...sources.dns import SPECIAL_USE_TLDS

    not_special = "".join(rf"(?<!\.{re.escape(n)})" for n in sorted(SPECIAL_USE_TLDS))
    return re.compile(
        r"^(?=[^\n]{1,254}$)(?=[^@\n]{1,64}@)(?![^\n]*@[^\n]*--)"
        rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
        rf"(?i:{not_special})$",
        re.MULTILINE,
    )


def fast_ok(values: list[str]) -> list[bool]:
    """For each value, True when it is surely valid (see ``_fast_re``); the
    others go through :func:`address_error`. One regex pass over the joined
    values, so the cost per row is the regex engine's, not Python's."""
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value spans lines: no fast path
        return [False] * len(values)
    return list(map(operator.not_, _fast_re().sub("", joined).split("\n")))


#: RFC 5321 section 4.5.3.1.1: the local part is at most 64 octets.
LOCAL_PART_MAX_OCTETS = 64


def address_error(value: str) -> str | None:
    """Why ``value`` is not a valid email address, or ``None`` when it is.

    Syntax per email-validator (RFC 5321/5322, no DNS or deliverability check;
    special-use domains such as ``.local`` are refused, as Exchange Online
    refuses them), in its strict mode, so the RFC 5321 length limits hold: the
    local part at most 64 octets (section 4.5.3.1.1; email-validator counts
    characters, so a non-ASCII local part is also counted here in UTF-8 octets)
    and the whole address at most 254 octets (section 4.5.3.1.3 with RFC 3696
    errata 1690; email-validator counts UTF-8 octets, in the IDNA form too).
    Internationalized local parts pass here; see PF133.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False, allow_smtputf8=True, strict=True)
    except EmailNotValidError as exc:
        return str(exc)
    octets = len(value.rpartition("@")[0].encode("utf-8"))
    if octets > LOCAL_PART_MAX_OCTETS:
        return (f"The email address is too long before the @-sign ({octets} octets in UTF-8; "
                f"at most {LOCAL_PART_MAX_OCTETS} are allowed).")
    return None


@check("PF130", "email-missing", severity="error")
def email_missing(rows: MailboxRows, addresses: list[str]):
    """A row has no EmailAddress value.

    Why: every row of a migration batch names the mailbox to migrate by its
    primary SMTP address; a row without one fails.

    Fix: fill in the primary SMTP address of the on-premises mailbox, or delete the row.

    Source: Microsoft Learn, "CSV files for staged migration" (EmailAddress is required).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF130: EmailAddress,Password\\n,Pa55word!x
    """
    for row, line, _ in rows.having(addresses, {""}):
        yield Problem(f"row {row} has no EmailAddress", row=row, line=line, column=_COL,
                      fix="Fill in the mailbox's primary SMTP address, or delete the row.")


@check("PF131", "email-syntax", severity="error")
def email_syntax(rows: MailboxRows, addresses: list[str]):
    """An EmailAddress value is not a valid email address.

    Why: the service resolves each row to an on-premises mailbox by its
    primary SMTP address; a malformed address (a display name, a missing
    domain, `.local` namespaces, two @) matches no mailbox.

    Fix: use the mailbox's primary SMTP address, e.g. from
    `Get-Mailbox -ResultSize Unlimited | Select PrimarySmtpAddress`.

    The RFC 5321 limits hold: at most 64 octets before the @ and 254 in all
    (octets, not characters: é is two).

    Source: RFC 5322 section 3.4.1 and RFC 5321 section 4.5.3.1, as checked by
    the email-validator package in its strict mode (no DNS look-up);
    Microsoft Learn, "CSV files for staged migration".

    Okay: EmailAddress\\nann.lee+test@mail.contoso.com
    PF131: EmailAddress\\nann lee@contoso.com
    PF131: EmailAddress\\nann@contoso
    PF131: EmailAddress\\nAnn Lee <ann@contoso.com>
    PF131: EmailAddress\\nann@contoso.local
    Okay: EmailAddress\\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@contoso.com
    PF131: EmailAddress\\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@contoso.com
    """
    for row, line, value in compress(zip(rows.row, rows.line, addresses, strict=True), map(operator.not_, fast_ok(addresses))):
        err = address_error(value) if value else None
        if err:
            yield Problem(f"row {row}: {value!r} is not a valid email address: {err}", row=row, line=line,
                          column=_COL, value=value, fix="Use the mailbox's primary SMTP address.")


@check("PF132", "email-whitespace", severity="warning")
def email_whitespace(rows: MailboxRows, addresses: list[str]):
    """An EmailAddress value has white space before or after it.

    Why: `" ann@contoso.com"` is not the same string as the mailbox's address;
    such spaces come from copy and paste or from hand-edited files.

    Fix: remove the spaces (Excel: `=TRIM(A2)`).

    Source: RFC 5322 section 3.4.1 (no white space in an addr-spec).

    Okay: EmailAddress,ForceChangePassword\\nann@contoso.com,False
    PF132: EmailAddress\\n ann@contoso.com
    """
    if rows.columns[_COL] == addresses:
        return
    for row, line, value, stripped in zip(rows.row, rows.line, rows.columns[_COL], addresses, strict=True):
        if value == stripped or not stripped:
            continue
        yield Problem(f"row {row}: the address has white space around it", row=row, line=line, column=_COL,
                      value=value, suggested_value=value.strip(), fix="Remove the spaces.")


@check("PF133", "email-non-ascii", severity="error")
def email_non_ascii(rows: MailboxRows, addresses: list[str]):
    """The local part of an EmailAddress (before the @) has non-ASCII characters.

    Why: Exchange 2003 and 2007 do not support SMTPUTF8; their mailboxes have
    ASCII addresses only, so a non-ASCII address cannot be a mailbox's primary
    SMTP address (it is usually a display name typed as an address).

    Fix: use the mailbox's real primary SMTP address (`Get-Mailbox ann | fl PrimarySmtpAddress`).

    Source: RFC 6531 (SMTPUTF8), which Exchange 2003/2007 do not implement.

    Okay: EmailAddress\\nrene@contoso.com
    PF133: EmailAddress\\nrené@contoso.com
    """
    if "".join(addresses).isascii():
        return
    for row, line, value in zip(rows.row, rows.line, addresses, strict=True):
        if value.isascii() or value.rpartition("@")[0].isascii():
            continue
        yield Problem(f"row {row}: {value!r} has non-ASCII characters before the @", row=row, line=line,
                      column=_COL, value=value, fix="Use the mailbox's primary SMTP address (ASCII only).")


@check("PF134", "email-duplicate", severity="error")
def email_duplicate(rows: MailboxRows, address_keys: list[str]):
    """The same EmailAddress is on two rows of one file.

    Addresses are compared case-insensitively, with internationalized domain
    names in their IDNA form: `ann@bücher.example` and `ann@xn--bcher-kva.example`
    are one mailbox address.

    Why: a mailbox can be in one migration batch once; the second row fails
    and the batch reports errors for a mailbox that may have migrated well.

    Fix: delete the repeated row.

    Source: Microsoft Learn, "CSV files for staged migration" (one row per mailbox);
    RFC 5890 (IDNA: the Unicode and the xn-- form of a domain name are one name).

    Okay: EmailAddress\\nann@contoso.com\\nbob@contoso.com
    Okay: EmailAddress\\nann@bücher.example\\nann@bucher.example
    PF134: EmailAddress\\nann@contoso.com\\nAnn@Contoso.com
    PF134: EmailAddress\\nann@bücher.example\\nann@xn--bcher-kva.example
    PF134: EmailAddress\\nann@Bücher.example\\nANN@BÜCHER.EXAMPLE
    """
    if len(set(address_keys)) == len(address_keys):
        return
    first: dict[str, tuple[int, int, str]] = {}
    for row, line, k, raw in zip(rows.row, rows.line, address_keys, rows.columns[_COL], strict=True):
        if not k:
            continue
        value = raw.strip()
        if k not in first:
            first[k] = (row, line, value)
            continue
        frow, fline, fvalue = first[k]
        written = f" (written {fvalue!r} there)" if fvalue.lower() != value.lower() else ""
        yield Problem(f"row {row} repeats the address {value!r} of row {frow}{written}", row=row, line=line,
                      column=_COL, value=value, fix=f"Delete row {row} (or row {frow}).",
                      related=({"row": frow, "line": fline},))


@check("PF135", "email-in-other-batch", severity="error")
def email_in_other_batch(batches: list[BatchFile], reference: list[BatchFile]):
    """The same EmailAddress is in two batch files of one run, or in a batch already committed.

    Addresses are compared as PF134 compares them (case-insensitively, IDN domains in their IDNA form).

    Why: a mailbox migrates in one batch; the second batch fails for it, or
    the mailbox is synced twice. `batch_folder` in the config names the folder
    of committed batches, so a new file is compared with them too.

    Fix: keep the mailbox in one batch only.

    Source: Microsoft Learn, "Perform a staged migration" (each mailbox in one batch).
    """
    if len(batches) + len(reference) < 2:  # one file: nothing to compare it with
        return
    checked = {b.path for b in batches}
    files = [(bf.path, bf.rows, bf.address_keys, bf.addresses) for bf in (*batches, *reference)]
    # The keys in two files or more, by set operations (most keys are in one file only) ...
    seen: set[str] = set()
    shared: set[str] = set()
    for _, _, keys, _ in files:
        unique = set(keys or ())
        shared |= unique & seen
        seen |= unique
    shared.discard("")
    if not shared:
        return
    # ... and for those, (row, line, value) of the first row of each file that has the key
    # (duplicates within a file are PF134's), keys in the order first seen.
    where: dict[str, dict[str, tuple[int, int, str]]] = {}
    for path, rows, keys, values in files:
        if rows is None or keys is None or values is None:
            continue
        for row, line, key, value in zip(rows.row, rows.line, keys, values, strict=True):
            if key in shared:
                where.setdefault(key, {}).setdefault(path, (row, line, value))
    for by_file in where.values():
        if len(by_file) < 2:
            continue
        (fpath, first), *others = by_file.items()
        for opath, other in others:
            (here_path, here), (there_path, there) = ((opath, other), (fpath, first)) if opath in checked else \
                ((fpath, first), (opath, other))
            if here_path not in checked:
                continue
            written = f" as {there[2]!r}" if there[2].lower() != here[2].lower() else ""
            yield Problem(
                f"{here[2]!r} is also in {there_path} (row {there[0]}){written}",
                path=here_path, row=here[0], line=here[1], column=_COL, value=here[2],
                fix="Keep the mailbox in one batch only.",
                related=({"path": there_path, "row": there[0], "line": there[1]},),
            )
