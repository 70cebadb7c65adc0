"""Writers of tenant recipients exports in the shapes admins produce them (for the cloud tests and the benchmark).

Each writer takes plain mappings and writes the bytes the command in
preflight.sources.recipients would: Export-Csv (every field quoted, CRLF, an
optional ``#TYPE`` line, UTF-8 with BOM or UTF-16 LE with BOM), ConvertTo-Json,
and Microsoft Graph response pages.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

RECIPIENT_HEADER = ("Name", "PrimarySmtpAddress", "RecipientTypeDetails", "EmailAddresses", "ExternalEmailAddress",
                    "IsDirSynced")
TYPE_LINE = "#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.ReducedRecipient"
USERS_CONTEXT = ("https://graph.microsoft.com/v1.0/$metadata#users(userPrincipalName,mail,proxyAddresses,"
                 "assignedLicenses,onPremisesSyncEnabled)")
NEXT = "https://graph.microsoft.com/v1.0/users?$select=userPrincipalName&$top={top}&$skiptoken=X{n}"

# Licence SKUs and service plans (Microsoft's "Product names and service plan identifiers for licensing")
E3, BASIC, ENTRA_P1 = "6fd2c87f-b296-42f0-b197-1e91e994b900", "3b555118-da6a-4418-894f-7df1e2096870", \
    "078d2b04-f1bd-4111-bbd4-b4b1b354cef4"
EXO_PLAN2, EXO_PLAN1, EXO_FOUNDATION = "efb87545-963c-4e0d-99df-69c6916d9eb0", "9aaf7827-d63c-4b61-89c3-182f06f82e5c", \
    "113feb6c-3fe4-4440-bddc-54d774bf0318"


def recipient(name: str, primary: str, kind: str = "MailUser", *more: str, synced: bool = True) -> dict[str, Any]:
    """A Get-Recipient object (EmailAddresses a list, as in the shell)."""
    return {"Name": name, "PrimarySmtpAddress": primary, "RecipientTypeDetails": kind,
            "EmailAddresses": [f"SMTP:{primary}", *more], "ExternalEmailAddress": f"SMTP:{primary}" if kind == "MailUser" else "",
            "IsDirSynced": synced}


def export_csv(objects: list[dict[str, Any]], *, encoding: str = "utf-8-sig", type_line: bool = False,
               header: tuple[str, ...] = RECIPIENT_HEADER) -> bytes:
    """Export-Csv's bytes: lists joined with ';' (the calculated property the docs give)."""
    def cell(v: Any) -> str:
        if isinstance(v, list):
            v = ";".join(v)
        elif isinstance(v, bool):
            v = "True" if v else "False"
        return '"' + str(v).replace('"', '""') + '"'

    lines = ([TYPE_LINE] if type_line else []) + [",".join(f'"{h}"' for h in header)]
    lines += [",".join(cell(o.get(h, "")) for h in header) for o in objects]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-16":  # Export-Csv -Encoding Unicode: UTF-16 LE with BOM
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


def convert_to_json(objects: list[dict[str, Any]]) -> bytes:
    """ConvertTo-Json's shape: one object bare, several as a list."""
    return json.dumps(objects[0] if len(objects) == 1 else objects, indent=4).encode()


def user(upn: str, *, synced: bool | None = True, licences: list[dict[str, Any]] | None = None,
         more: tuple[str, ...] = ()) -> dict[str, Any]:
    """A Graph user as GET /users?$select=… returns it."""
    return {"userPrincipalName": upn, "mail": upn, "proxyAddresses": [f"SMTP:{upn}", *more],
            "assignedLicenses": licences if licences is not None else [], "onPremisesSyncEnabled": synced}


def licence(sku: str, *disabled: str) -> dict[str, Any]:
    return {"disabledPlans": list(disabled), "skuId": sku}


def graph_pages(users: list[dict[str, Any]], per_page: int, *, count: bool = False) -> list[dict[str, Any]]:
    """The pages GET /users returns, each with @odata.nextLink but the last."""
    pages = []
    for n, start in enumerate(range(0, max(len(users), 1), per_page)):
        page: dict[str, Any] = {"@odata.context": USERS_CONTEXT}
        if count and n == 0:
            page["@odata.count"] = len(users)
        if start + per_page < len(users):
            page["@odata.nextLink"] = NEXT.format(top=per_page, n=n + 1)
        page["value"] = users[start:start + per_page]
        pages.append(page)
    return pages


def write_page_folder(pages: list[dict[str, Any]], folder: Path, stem: str = "users-") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(pages, 1):
        (folder / f"{stem}{n}.json").write_text(json.dumps(page))
    return folder


def subscribed_skus(*, pascal: bool = False) -> bytes:
    """GET /subscribedSkus (or Get-MgSubscribedSku | ConvertTo-Json -Depth 5 with ``pascal``): E3 (Exchange
    Online Plan 2), Business Basic (Plan 1) and Entra ID P1 (Exchange Foundation only)."""
    def plan(pid: str, name: str) -> dict[str, Any]:
        return {"servicePlanId": pid, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"}

    skus = [
        {"skuId": E3, "skuPartNumber": "ENTERPRISEPACK", "servicePlans": [plan(EXO_PLAN2, "EXCHANGE_S_ENTERPRISE")]},
        {"skuId": BASIC, "skuPartNumber": "O365_BUSINESS_ESSENTIALS", "servicePlans": [plan(EXO_PLAN1, "EXCHANGE_S_STANDARD")]},
        {"skuId": ENTRA_P1, "skuPartNumber": "AAD_PREMIUM",
         "servicePlans": [plan(EXO_FOUNDATION, "EXCHANGE_S_FOUNDATION"), plan("41781fb2-bc02-4b7c-bd55-b576c07bb09d",
                                                                               "AAD_PREMIUM")]},
    ]
    if pascal:
        def up(x: Any) -> Any:
            if isinstance(x, dict):
                return {k[0].upper() + k[1:]: up(v) for k, v in x.items()}
            return [up(v) for v in x] if isinstance(x, list) else x
        return json.dumps(up(skus), indent=4).encode()
    return json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus",
                       "value": skus}).encode()
