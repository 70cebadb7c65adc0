"""pandera schemas of the normalized frames: the contract between sources and checks.

The schemas declare the *shape* of the data (columns, types, ranges); the
rules about values live in the checks, one unit per rule, so adding a rule
never edits a schema.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series


class BatchRows(pa.DataFrameModel):
    """Mailbox rows of a migration batch: one per well-formed, non-blank record.

    ``row`` is the spreadsheet row (header = row 1), ``line`` the physical line
    the record starts on; value columns hold the text as written (``<NA>`` never
    occurs: an empty field is ``""``). Columns absent from the file are absent here.
    """

    row: Series[int] = pa.Field(ge=2, unique=True)
    line: Series[int] = pa.Field(ge=2)
    EmailAddress: Series[pd.StringDtype] = pa.Field(nullable=False)
    Password: Optional[Series[pd.StringDtype]] = pa.Field(nullable=False)  # noqa: UP045 - pandera's optional column
    ForceChangePassword: Optional[Series[pd.StringDtype]] = pa.Field(nullable=False)  # noqa: UP045

    class Config:
        strict = True


#: Single-valued string attributes of a normalized directory object ("" when absent).
DIRECTORY_STRINGS = (
    "dn", "cn", "sAMAccountName", "userPrincipalName", "mail", "mailNickname", "targetAddress",
    "displayName", "givenName", "sn", "homeMDB", "msExchHomeServerName", "msExchUMRecipientDialPlanLink",
    "msExchUMTemplateLink", "manager", "legacyExchangeDN", "department",
)
#: Multi-valued attributes: a tuple of strings per object (empty tuple when absent).
DIRECTORY_LISTS = ("objectClass", "proxyAddresses", "publicDelegates", "msExchDelegateListLink")
#: Integer attributes (nullable ``Int64``; ``<NA>`` when absent).
DIRECTORY_INTS = ("msExchRecipientTypeDetails", "msExchUMEnabledFlags", "userAccountControl", "groupType")
#: Boolean attributes (nullable ``boolean``; ``<NA>`` when absent). ``hasMasterAccountSid``
#: is the presence of msExchMasterAccountSid (its value is never needed).
DIRECTORY_BOOLS = ("msExchHideFromAddressLists", "isCriticalSystemObject", "hasMasterAccountSid")
DIRECTORY_COLUMNS = DIRECTORY_STRINGS + DIRECTORY_LISTS + DIRECTORY_INTS + DIRECTORY_BOOLS


class DirectoryObjects(pa.DataFrameModel):
    """Normalized directory data: one row per object, whatever the source
    (live LDAP, ldifde LDIF, csvde CSV, Get-ADUser CSV). Attribute names are
    the LDAP display names; ``objectClass`` values are lower-case; multi-valued
    attributes are tuples in the order the source gave them.
    """

    dn: Series[pd.StringDtype] = pa.Field(unique=True)
    cn: Series[pd.StringDtype]
    sAMAccountName: Series[pd.StringDtype]
    userPrincipalName: Series[pd.StringDtype]
    mail: Series[pd.StringDtype]
    mailNickname: Series[pd.StringDtype]
    targetAddress: Series[pd.StringDtype]
    displayName: Series[pd.StringDtype]
    givenName: Series[pd.StringDtype]
    sn: Series[pd.StringDtype]
    homeMDB: Series[pd.StringDtype]
    msExchHomeServerName: Series[pd.StringDtype]
    msExchUMRecipientDialPlanLink: Series[pd.StringDtype]
    msExchUMTemplateLink: Series[pd.StringDtype]
    manager: Series[pd.StringDtype]
    legacyExchangeDN: Series[pd.StringDtype]
    department: Series[pd.StringDtype]
    objectClass: Series[object]
    proxyAddresses: Series[object]
    publicDelegates: Series[object]
    msExchDelegateListLink: Series[object]
    msExchRecipientTypeDetails: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    msExchUMEnabledFlags: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    userAccountControl: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    groupType: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    msExchHideFromAddressLists: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    isCriticalSystemObject: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    hasMasterAccountSid: Series[pd.BooleanDtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = False


def directory_frame(objects: list[dict]) -> pd.DataFrame:
    """Build a validated :class:`DirectoryObjects` frame from plain mappings
    (attribute name -> value; absent attributes may be left out; list
    attributes may be a list/tuple or a single string). Sources call this after
    decoding; tests use it to make directory data.

    Raises:
        pandera.errors.SchemaError: a value of the wrong type.
    """
    cols: dict[str, list] = {c: [] for c in DIRECTORY_COLUMNS}
    for obj in objects:
        for c in DIRECTORY_STRINGS:
            v = obj.get(c)
            cols[c].append("" if v is None else str(v))
        for c in DIRECTORY_LISTS:
            v = obj.get(c) or ()
            v = (v,) if isinstance(v, str) else tuple(str(x) for x in v)
            cols[c].append(tuple(x.lower() for x in v) if c == "objectClass" else v)
        for c in DIRECTORY_INTS:
            v = obj.get(c)
            cols[c].append(None if v is None or v == "" else int(v))
        for c in DIRECTORY_BOOLS:
            v = obj.get(c)
            if isinstance(v, str):
                v = v.strip().upper() == "TRUE"
            cols[c].append(None if v is None else bool(v))
    frame = pd.DataFrame(
        {
            **{c: pd.array(cols[c], dtype="string") for c in DIRECTORY_STRINGS},
            **{c: pd.Series(cols[c], dtype=object) for c in DIRECTORY_LISTS},
            **{c: pd.array(cols[c], dtype="Int64") for c in DIRECTORY_INTS},
            **{c: pd.array(cols[c], dtype="boolean") for c in DIRECTORY_BOOLS},
        }
    )
    return DirectoryObjects.validate(frame)
