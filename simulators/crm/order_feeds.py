"""The CRM's version 2 order lists: a time window paged by cursor, and orders of products.

The window's cursor carries the last record's ``(created_at, id)``, the sort key, so a
page boundary holds even when orders share a creation second or new orders arrive.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from simulators.clock import parse_rfc3339, rfc3339
from simulators.crm.queries import BadCursor
from simulators.data.dataset import Dataset
from simulators.data.records import Order

WINDOW_CURSOR_PREFIX = "orders-after:"


class BadTime(ValueError):
    pass


def parse_time(name: str, raw: str) -> datetime:
    """An RFC 3339 time with a zone, e.g. ``2026-01-01T00:00:00Z``."""
    try:
        return parse_rfc3339(raw)
    except ValueError as error:
        raise BadTime(
            f"{name} must be an RFC 3339 time with a zone, such as 2026-01-01T00:00:00Z"
        ) from error


def _sort_key(order: Order) -> tuple[datetime, str]:
    return (order.created_at, order.id)


def encode_window_cursor(order: Order) -> str:
    raw = f"{WINDOW_CURSOR_PREFIX}{rfc3339(order.created_at)}|{order.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_window_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(WINDOW_CURSOR_PREFIX):
            raise ValueError(raw)
        created_at, order_id = raw.removeprefix(WINDOW_CURSOR_PREFIX).split("|", 1)
        return (parse_time("cursor", created_at), order_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursor("cursor is not one this API handed out") from error


@dataclass(frozen=True)
class OrderWindow:
    created_from: datetime | None
    created_to: datetime | None
    status: str | None


@dataclass(frozen=True)
class OrderPage:
    records: list[Order]
    next_cursor: str | None


def orders_in_window(
    dataset: Dataset, window: OrderWindow, limit: int, after: tuple[datetime, str] | None
) -> OrderPage:
    """Orders created in ``[created_from, created_to)``, by created_at then id, one page."""
    matching = sorted(
        (
            order
            for order in dataset.orders.values()
            if (window.created_from is None or order.created_at >= window.created_from)
            and (window.created_to is None or order.created_at < window.created_to)
            and (window.status is None or order.status == window.status)
            and (after is None or _sort_key(order) > after)
        ),
        key=_sort_key,
    )
    page = matching[:limit]
    more = len(matching) > limit
    return OrderPage(page, encode_window_cursor(page[-1]) if more else None)


def orders_with_products(
    dataset: Dataset, product_codes: Iterable[str], status: str | None
) -> list[Order]:
    """Every order with a line of one of the products, newest first."""
    codes = set(product_codes)
    orders = [
        order
        for order in dataset.orders.values()
        if (status is None or order.status == status)
        and any(line.product_code in codes for line in order.lines)
    ]
    return sorted(orders, key=_sort_key, reverse=True)
