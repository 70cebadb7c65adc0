"""Checks on the Password and ForceChangePassword columns.

Password values are real passwords: no message, value or fix written here
ever contains one; findings name the row only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...registry import Missing, Problem, check

if TYPE_CHECKING:
    from ...config import Config
    from ...sources.batch_csv import MailboxRows

_PW = "Password"
_FCP = "ForceChangePassword"
MIN_LENGTH = 8
MAX_LENGTH = 256
_CLASSES = ("lower-case letters", "upper-case letters", "digits", "symbols")
# What removes all but one class from a value: ASCII lower, ASCII upper, ASCII digits,
# every other character. _JOINED keeps line breaks too, to split the joined values again.
_KEEP_ONLY = tuple(re.compile(p) for p in (r"[^a-z]+", r"[^A-Z]+", r"[^0-9]+", r"[A-Za-z0-9]+"))
_JOINED = tuple(re.compile(p) for p in (r"[^a-z\n]+", r"[^A-Z\n]+", r"[^0-9\n]+", r"[A-Za-z0-9]+"))


def character_classes(values: list[str]) -> list[int]:
    """How many of the four classes (ASCII lower-case, ASCII upper-case, ASCII
    digits, any other character) each value uses, 0–4. Four regex passes over
    the joined values, so the cost per value is the regex engine's; values with
    a line break are counted one by one."""
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value spans lines
        return [sum(bool(p.sub("", v)) for p in _KEEP_ONLY) for v in values]
    lower, upper, digit, other = (p.sub("", joined).split("\n") for p in _JOINED)
    return [bool(a) + bool(b) + bool(c) + bool(d) for a, b, c, d in zip(lower, upper, digit, other, strict=True)]


def _where(rows: MailboxRows, flags):
    """(row, line) of the rows whose flag is true."""
    return ((r, n) for r, n, f in zip(rows.row, rows.line, flags, strict=True) if f)


@check("PF150", "password-empty", severity="warning")
def password_empty(rows: MailboxRows):
    """The file has a Password column but a row leaves it empty.

    Why: the password is set on the cloud user when the batch creates it; a
    row without one gets no password from this batch, and the user cannot sign
    in until an admin sets one.

    Fix: give each row a password, or remove the Password column and set
    passwords another way.

    Source: Microsoft Learn, "CSV files for staged migration" (Password attribute).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF150: EmailAddress,Password\\nann@contoso.com,
    """
    for row, line in _where(rows, (not v for v in rows.column(_PW))):
        yield Problem(f"row {row} has an empty Password", row=row, line=line, column=_PW,
                      fix="Set a password for this row, or remove the Password column.")


@check("PF151", "password-too-short", severity="error")
def password_too_short(rows: MailboxRows):
    """A Password is shorter than 8 characters.

    Why: Microsoft: "a password has to have a minimum length of eight
    characters"; the cloud user cannot be created with a shorter one.

    Fix: set a password of at least 8 characters for the row.

    Source: Microsoft Learn, "CSV files for staged migration" (Password attribute).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF151: EmailAddress,Password\\nann@contoso.com,Pa55!
    """
    for row, line in _where(rows, (0 < len(v) < MIN_LENGTH for v in rows.column(_PW))):
        yield Problem(f"row {row}: the Password is shorter than {MIN_LENGTH} characters", row=row, line=line,
                      column=_PW, fix=f"Use a password of at least {MIN_LENGTH} characters.")


@check("PF152", "password-complexity", severity="warning")
def password_complexity(rows: MailboxRows):
    """A Password does not meet Microsoft 365's default complexity.

    Why: by default a Microsoft 365 password is at most 256 characters and uses
    three of four character classes: lower-case, upper-case, digits, symbols.
    A weaker one may be refused when the cloud user is created.

    Fix: use a longer password mixing at least three of the four classes.

    Source: Microsoft Learn, "Password policy recommendations" / Microsoft Entra
    password policies (length and complexity).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF152: EmailAddress,Password\\nann@contoso.com,password
    """
    pw = rows.column(_PW)
    too_long = [len(v) > MAX_LENGTH for v in pw]
    weak = [MIN_LENGTH <= len(v) <= MAX_LENGTH and n < 3 for v, n in zip(pw, character_classes(pw), strict=True)]
    for row, line in _where(rows, too_long):
        yield Problem(f"row {row}: the Password is longer than {MAX_LENGTH} characters", row=row, line=line,
                      column=_PW, fix=f"Use at most {MAX_LENGTH} characters.")
    for row, line in _where(rows, weak):
        yield Problem(f"row {row}: the Password uses fewer than 3 of: {', '.join(_CLASSES)}", row=row, line=line,
                      column=_PW, fix="Mix at least three of: lower-case, upper-case, digits, symbols.")


def _fcp(rows: MailboxRows) -> list[str]:
    return [v.strip().lower() for v in rows.column(_FCP)]


@check("PF140", "force-change-password-value", severity="error")
def force_change_password_value(rows: MailboxRows):
    """A ForceChangePassword value is not True or False.

    Why: the service accepts `True` or `False` (any case) only; `Yes`, `1` or
    an empty value fails the row.

    Fix: write True or False.

    Source: Microsoft Learn, "CSV files for staged migration" (ForceChangePassword attribute).

    Okay: EmailAddress,ForceChangePassword\\nann@contoso.com,FALSE\\nbob@contoso.com,true
    Okay: EmailAddress,Password,ForceChangePassword \\nann@contoso.com,Pa55word!x,False 
    PF140: EmailAddress,ForceChangePassword\\nann@contoso.com,Yes
    PF140: EmailAddress,ForceChangePassword\\nann@contoso.com,
    """
    for row, line, value, folded in zip(rows.row, rows.line, rows.column(_FCP), _fcp(rows), strict=True):
        if folded in ("true", "false"):
            continue
        shown = repr(value) if value.strip() else "empty"
        yield Problem(f"row {row}: ForceChangePassword is {shown}, not True or False", row=row, line=line,
                      column=_FCP, value=value, fix="Write True or False.")


@check("PF141", "force-change-password-sso", severity="error")
def force_change_password_sso(rows: MailboxRows, config: Config):
    """ForceChangePassword is True although single sign-on is deployed (`sso = true`).

    Why: with single sign-on (AD FS) users sign in with their on-premises
    password; Microsoft: ForceChangePassword must be False, or the users are
    asked for a cloud password change they cannot make.

    Fix: set ForceChangePassword to False on every row.

    Source: Microsoft Learn, "CSV files for staged migration" (ForceChangePassword with single sign-on).

    Okay [sso=true]: EmailAddress,ForceChangePassword\\nann@contoso.com,False
    PF141 [sso=true]: EmailAddress,ForceChangePassword\\nann@contoso.com,True
    """
    if not config.sso:
        raise Missing("single sign-on is not declared (sso = false in the config)")
    for row, line in _where(rows, (v == "true" for v in _fcp(rows))):
        yield Problem(f"row {row}: ForceChangePassword is True, but single sign-on is deployed", row=row, line=line,
                      column=_FCP, value="True", suggested_value="False", fix="Set ForceChangePassword to False.")
