"""Decoding the text exports admins make (PowerShell's Export-Csv and ConvertTo-Json, Graph's
JSON): UTF-8 with or without a byte-order mark, UTF-16 and UTF-32 with one."""

from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_export(data: bytes, name: str, error: type[Exception] = ValueError) -> str:
    """The text of an export, decoded by its byte-order mark (none: UTF-8).

    Raises:
        error: (``ValueError`` by default) the bytes are not text in that encoding; the message
            names ``name``, the encoding and the offset of the first bad byte.
    """
    codec = next((c for bom, c in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise error(f"{name} is not UTF-8 or UTF-16 text ({codec}: bad byte at offset {exc.start})") from None
