"""Relay-style cursors over the CRM's opaque page cursors.

The CRM hands out one cursor per page (where the next page starts), but a connection
needs one per edge. An edge cursor therefore names the CRM page it came from and its
position in that page; resuming after it re-reads that page from its start and skips
what the client has seen. The CRM's cursor stays opaque to us throughout.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from core.errors import InputValidationError


@dataclass(frozen=True, slots=True)
class PagePosition:
    crm_cursor: str | None  # where the CRM page starts; None = the very first page
    skip: int  # records of that page the client has already seen


def encode_cursor(position: PagePosition) -> str:
    raw = orjson.dumps({"c": position.crm_cursor, "s": position.skip})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PagePosition:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        crm_cursor, skip = data["c"], data["s"]
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise InputValidationError(
            "`after` is not a cursor this gateway handed out", {"after": "malformed cursor"}
        ) from error
    if not (crm_cursor is None or isinstance(crm_cursor, str)) or not isinstance(skip, int):
        raise InputValidationError(
            "`after` is not a cursor this gateway handed out", {"after": "malformed cursor"}
        )
    return PagePosition(crm_cursor=crm_cursor, skip=max(skip, 0))
