"""Checks on the Password and ForceChangePassword columns.

Password values are real passwords: no message, value or fix written here
ever contains one; findings name the row only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Missing, Problem, check

if TYPE_CHECKING:
    import pandas as pd

    from ...config import Config

_PW = "Password"
_FCP = "ForceChangePassword"
MIN_LENGTH = 8
MAX_LENGTH = 256
_CLASSES = ("lower-case letters", "upper-case letters", "digits", "symbols")


def character_classes(values: pd.Series, chunk: int = 8192) -> pd.Series:
    """How many of the four classes (lower-case, upper-case, digits, other)
    each value uses, 0–4. Vectorized with numpy over the code points of
    values of at most MAX_LENGTH characters (longer ones count 0), in chunks
    so a long value costs at most ``chunk`` × MAX_LENGTH cells."""
    import numpy as np
    import pandas as pd

    texts = [v if len(v) <= MAX_LENGTH else "" for v in values.tolist()]
    out = np.zeros(len(texts), dtype=np.int8)
    for start in range(0, len(texts), chunk):
        cps = np.array(texts[start : start + chunk], dtype=str)
        cps = cps.view(np.uint32).reshape(len(cps), -1)
        lower = (cps >= 0x61) & (cps <= 0x7A)
        upper = (cps >= 0x41) & (cps <= 0x5A)
        digit = (cps >= 0x30) & (cps <= 0x39)
        other = (cps != 0) & ~(lower | upper | digit)
        out[start : start + chunk] = sum(m.any(axis=1).astype(np.int8) for m in (lower, upper, digit, other))
    return pd.Series(out, index=values.index)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise Missing(f"the file has no {name} column")
    return frame[name]


def _rows(frame: pd.DataFrame, mask: pd.Series):
    """(row, line) of the rows of ``mask``."""
    import numpy as np

    m = np.asarray(mask, dtype=bool)
    return zip(frame["row"].to_numpy()[m].tolist(), frame["line"].to_numpy()[m].tolist())


@check("PF150", "password-empty", severity="warning")
def password_empty(frame: pd.DataFrame):
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
    mask = _column(frame, _PW) == ""
    for row, line in _rows(frame, mask):
        yield Problem(f"row {row} has an empty Password", row=row, line=line, column=_PW,
                      fix="Set a password for this row, or remove the Password column.")


@check("PF151", "password-too-short", severity="error")
def password_too_short(frame: pd.DataFrame):
    """A Password is shorter than 8 characters.

    Why: Microsoft: "a password has to have a minimum length of eight
    characters"; the cloud user cannot be created with a shorter one.

    Fix: set a password of at least 8 characters for the row.

    Source: Microsoft Learn, "CSV files for staged migration" (Password attribute).

    Okay: EmailAddress,Password\\nann@contoso.com,Pa55word!x
    PF151: EmailAddress,Password\\nann@contoso.com,Pa55!
    """
    pw = _column(frame, _PW)
    lengths = pw.str.len()
    mask = (lengths > 0) & (lengths < MIN_LENGTH)
    for row, line in _rows(frame, mask):
        yield Problem(f"row {row}: the Password is shorter than {MIN_LENGTH} characters", row=row, line=line,
                      column=_PW, fix=f"Use a password of at least {MIN_LENGTH} characters.")


@check("PF152", "password-complexity", severity="warning")
def password_complexity(frame: pd.DataFrame):
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
    pw = _column(frame, _PW)
    lengths = pw.str.len()
    too_long = lengths > MAX_LENGTH
    weak = (lengths >= MIN_LENGTH) & ~too_long & (character_classes(pw) < 3)
    for row, line in _rows(frame, too_long):
        yield Problem(f"row {row}: the Password is longer than {MAX_LENGTH} characters", row=row, line=line,
                      column=_PW, fix=f"Use at most {MAX_LENGTH} characters.")
    for row, line in _rows(frame, weak):
        yield Problem(f"row {row}: the Password uses fewer than 3 of: {', '.join(_CLASSES)}", row=row, line=line,
                      column=_PW, fix="Mix at least three of: lower-case, upper-case, digits, symbols.")


def _fcp(frame: pd.DataFrame) -> pd.Series:
    return _column(frame, _FCP).str.strip().str.lower()


@check("PF140", "force-change-password-value", severity="error")
def force_change_password_value(frame: pd.DataFrame):
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
    raw = _column(frame, _FCP)
    mask = ~_fcp(frame).isin(["true", "false"])
    if not mask.any():
        return
    for row, line, value in zip(frame["row"][mask], frame["line"][mask], raw[mask]):
        shown = repr(value) if value.strip() else "empty"
        yield Problem(f"row {row}: ForceChangePassword is {shown}, not True or False", row=int(row), line=int(line),
                      column=_FCP, value=value, fix="Write True or False.")


@check("PF141", "force-change-password-sso", severity="error")
def force_change_password_sso(frame: pd.DataFrame, config: Config):
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
    mask = _fcp(frame) == "true"
    for row, line in _rows(frame, mask):
        yield Problem(f"row {row}: ForceChangePassword is True, but single sign-on is deployed", row=row, line=line,
                      column=_FCP, value="True", suggested_value="False", fix="Set ForceChangePassword to False.")
