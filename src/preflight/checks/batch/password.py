"""Checks on the Password and ForceChangePassword columns.

Password values are real passwords: no message, value or fix written here
ever contains one; findings name the row only.
"""

from __future__ import annotations

import operator
import re
from itertools import combinations
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
# The four classes: ASCII lower-case, ASCII upper-case, ASCII digits, every other character.
_CLASS_RES = tuple(re.compile(c) for c in ("[a-z]", "[A-Z]", "[0-9]", "[^a-zA-Z0-9]"))
# A line (a value) that uses three of the four classes: a lookahead per class (within
# the line), for each set of three.
_LOOK = (r"(?=[^\n]*[a-z])", r"(?=[^\n]*[A-Z])", r"(?=[^\n]*[0-9])", r"(?=[^\n]*[^a-zA-Z0-9\n])")
_THREE_RE = re.compile("^(?:" + "|".join("".join(three) for three in combinations(_LOOK, 3)) + ")[^\n]+$", re.MULTILINE)


def character_classes(value: str) -> int:
    """How many of the four classes (ASCII lower-case, ASCII upper-case, ASCII
    digits, any other character) ``value`` uses, 0–4."""
    return sum(1 for p in _CLASS_RES if p.search(value))


def uses_three_classes(values: list[str]) -> list[bool]:
    """For each value, whether it uses at least three of the four classes (see
    :func:`character_classes`). One regex pass over the joined values, so the
    cost per value is the regex engine's; values with a line break are counted
    one by one."""
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value spans lines
        return [character_classes(v) >= 3 for v in values]
    found = list(map(operator.not_, _THREE_RE.sub("", joined).split("\n")))
    if "" in values:  # an empty line is left empty too
        found = [ok and bool(v) for ok, v in zip(found, values, strict=True)]
    return found


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
    for row, line, _ in rows.having(rows.column(_PW), {""}):
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
    for row, line, _ in rows.having(list(map(len, rows.column(_PW))), set(range(1, MIN_LENGTH))):
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
    lengths = list(map(len, pw))
    if max(lengths, default=0) > MAX_LENGTH:
        for row, line in rows.where([n > MAX_LENGTH for n in lengths]):
            yield Problem(f"row {row}: the Password is longer than {MAX_LENGTH} characters", row=row, line=line,
                          column=_PW, fix=f"Use at most {MAX_LENGTH} characters.")
    ok = uses_three_classes(pw)
    if all(ok):
        return
    weak = [MIN_LENGTH <= n <= MAX_LENGTH and not good for n, good in zip(lengths, ok, strict=True)]
    for row, line in rows.where(weak):
        yield Problem(f"row {row}: the Password uses fewer than 3 of: {', '.join(_CLASSES)}", row=row, line=line,
                      column=_PW, fix="Mix at least three of: lower-case, upper-case, digits, symbols.")


def _fcp(rows: MailboxRows, *folded: str) -> tuple[list[str], set[str]]:
    """The ForceChangePassword values, and those of them that read as one of ``folded``
    (stripped, lower-cased); each distinct value is folded once."""
    values = rows.column(_FCP)
    return values, {v for v in set(values) if v.strip().lower() in folded}


@check("PF140", "force-change-password-value", severity="error")
def force_change_password_value(rows: MailboxRows):
    """A ForceChangePassword value is not True or False.

    Why: the service accepts `True` or `False` (any case) only; `Yes`, `1` or
    an empty value fails the row.

    Fix: write True or False.

    Source: Microsoft Learn, "CSV files for staged migration" (ForceChangePassword attribute).

    Okay: EmailAddress,ForceChangePassword\\nann@contoso.com,FALSE\\nbob@contoso.com,true
    Okay: EmailAddress,Password,ForceChangePassword\\x20\\nann@contoso.com,Pa55word!x,False\\x20
    PF140: EmailAddress,ForceChangePassword\\nann@contoso.com,Yes
    PF140: EmailAddress,ForceChangePassword\\nann@contoso.com,
    """
    values, good = _fcp(rows, "true", "false")
    for row, line, value in rows.having(values, set(values) - good):
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
    values, true = _fcp(rows, "true")
    for row, line, _ in rows.having(values, true):
        yield Problem(f"row {row}: ForceChangePassword is True, but single sign-on is deployed", row=row, line=line,
                      column=_FCP, value="True", suggested_value="False", fix="Set ForceChangePassword to False.")
