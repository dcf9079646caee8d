"""Relay-style cursors over the CRM's opaque page cursors.

The CRM hands out one cursor per page (where the next page starts), but a connection
needs one per edge. An edge cursor therefore names the CRM page it came from and its
position in that page; resuming after it re-reads that page from its start and skips
what the client has seen. The CRM's cursor stays opaque to us throughout.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from core.errors import InputValidationError

# The CRM serves at most this many records per page; the lists page by the same bound.
MAX_PAGE_SIZE = 200

ItemT = TypeVar("ItemT")


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


def page_start(first: int, after: str | None, max_first: int = MAX_PAGE_SIZE) -> PagePosition:
    """Where a page of ``first`` items after ``after`` starts; a ``first`` out of range or
    a cursor this gateway did not hand out is the client's error."""
    if not 0 <= first <= max_first:
        raise InputValidationError(
            f"`first` must be between 0 and {max_first}", {"first": "out of range"}
        )
    return decode_cursor(after) if after else PagePosition(crm_cursor=None, skip=0)


@dataclass(frozen=True, slots=True)
class Window(Generic[ItemT]):
    """The items of one CRM page a connection shows, each with its edge cursor."""

    items: list[tuple[str, ItemT]]
    has_next_page: bool
    end_cursor: str | None


def crm_window(
    records: Sequence[ItemT],
    next_cursor: str | None,
    start: PagePosition,
    first: int,
    after: str | None,
) -> Window[ItemT]:
    """``first`` records of a CRM page read from ``start``, past the ``start.skip`` the
    client has seen; ``next_cursor`` is the CRM's cursor of the page after it."""
    items = [
        (encode_cursor(PagePosition(crm_cursor=start.crm_cursor, skip=index + 1)), record)
        for index, record in enumerate(records[start.skip : start.skip + first], start.skip)
    ]
    reached_page_end = start.skip + len(items) >= len(records)
    if reached_page_end and next_cursor is not None:
        # Resuming at the CRM's own next page is cheaper than re-reading this one.
        end_cursor: str | None = encode_cursor(PagePosition(crm_cursor=next_cursor, skip=0))
    else:
        end_cursor = items[-1][0] if items else after
    return Window(items, next_cursor is not None or not reached_page_end, end_cursor)
