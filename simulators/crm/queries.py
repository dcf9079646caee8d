"""The CRM's reads: batches by id, pages of customers, orders of some customers."""

from __future__ import annotations

import base64
import binascii
import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from simulators.data.dataset import Dataset
from simulators.data.records import Customer, Order

T = TypeVar("T")
CURSOR_PREFIX = "after:"


class BadCursor(ValueError):
    pass


def split_ids(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def by_ids(records: Mapping[str, T], ids: Iterable[str]) -> tuple[list[T], list[str]]:
    """The records found and the ids not found, each id once, in the order asked."""
    found: list[T] = []
    missing: list[str] = []
    for record_id in dict.fromkeys(ids):
        record = records.get(record_id)
        if record is None:
            missing.append(record_id)
        else:
            found.append(record)
    return found, missing


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadCursor("cursor is not one this API handed out") from error
    if not raw.startswith(CURSOR_PREFIX):
        raise BadCursor("cursor is not one this API handed out")
    return raw.removeprefix(CURSOR_PREFIX)


@dataclass(frozen=True)
class CustomerPage:
    records: list[Customer]
    next_cursor: str | None


def customer_page(
    dataset: Dataset, limit: int, after_id: str | None, segment: str | None
) -> CustomerPage:
    ids = sorted(dataset.customers)
    start = 0 if after_id is None else bisect.bisect_right(ids, after_id)
    records: list[Customer] = []
    position = start
    while position < len(ids) and len(records) < limit:
        customer = dataset.customers[ids[position]]
        if segment is None or customer.segment == segment:
            records.append(customer)
        position += 1
    more = any(
        segment is None or dataset.customers[customer_id].segment == segment
        for customer_id in ids[position:]
    )
    return CustomerPage(records, encode_cursor(records[-1].id) if records and more else None)


def orders_of_customers(
    dataset: Dataset, customer_ids: Iterable[str], status: str | None
) -> list[Order]:
    orders = [
        order
        for customer_id in dict.fromkeys(customer_ids)
        for order in dataset.orders_by_customer.get(customer_id, [])
        if status is None or order.status == status
    ]
    return sorted(orders, key=lambda order: (order.created_at, order.id), reverse=True)
