"""The CRM's writes: placing an order and cancelling one.

Validation collects every problem at once into ``fields`` (the 422 body), keyed by the
JSON path of the offending value, e.g. ``lines[1].quantity``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simulators import lifecycle
from simulators.data.dataset import Dataset
from simulators.data.generate_orders import unit_price_for
from simulators.data.records import Order, OrderLine, Product


class OrderValidationError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("the order is not valid")
        self.fields = fields


class OrderNotFound(Exception):
    pass


class OrderConflict(Exception):
    pass


@dataclass(frozen=True)
class NewOrder:
    customer_id: str
    lines: list[tuple[Product, int]]
    requested_date: date | None


def _positive_quantity(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def validate_new_order(dataset: Dataset, payload: Any) -> NewOrder:
    if not isinstance(payload, dict):
        raise OrderValidationError({"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    customer_id = payload.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        problems["customer_id"] = "required"
    elif customer_id not in dataset.customers:
        problems["customer_id"] = f"unknown customer {customer_id}"

    raw_lines = payload.get("lines")
    lines: list[tuple[Product, int]] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        problems["lines"] = "at least one line is required"
    else:
        for index, raw_line in enumerate(raw_lines):
            where = f"lines[{index}]"
            if not isinstance(raw_line, dict):
                problems[where] = "must be an object with product_code and quantity"
                continue
            code = raw_line.get("product_code")
            product = dataset.products.get(code) if isinstance(code, str) else None
            if product is None:
                problems[f"{where}.product_code"] = f"unknown product {code}"
            quantity = _positive_quantity(raw_line.get("quantity"))
            if quantity is None:
                problems[f"{where}.quantity"] = "must be an integer of at least 1"
            if product is not None and quantity is not None:
                lines.append((product, quantity))

    requested_date: date | None = None
    raw_date = payload.get("requested_date")
    if raw_date is not None:
        try:
            if not isinstance(raw_date, str) or len(raw_date) != 10:
                raise ValueError(raw_date)
            requested_date = date.fromisoformat(raw_date)
        except ValueError:
            problems["requested_date"] = "must be a date YYYY-MM-DD or null"

    if problems:
        raise OrderValidationError(problems)
    assert isinstance(customer_id, str)
    return NewOrder(customer_id, lines, requested_date)


def create_order(dataset: Dataset, new_order: NewOrder, now: datetime) -> Order:
    """A confirmed order at today's list prices (read from the ERP's product list)."""
    order = Order(
        id=dataset.next_order_id(),
        customer_id=new_order.customer_id,
        status="confirmed",
        currency="EUR",
        lines=[
            OrderLine(
                line_no=line_no,
                product_code=product.default_code,
                quantity=quantity,
                unit_price=unit_price_for(product),
            )
            for line_no, (product, quantity) in enumerate(new_order.lines, start=1)
        ],
        requested_date=new_order.requested_date,
        created_at=now,
        updated_at=now,
    )
    dataset.add_order(order)
    return order


def cancel_order(dataset: Dataset, order_id: str, now: datetime) -> tuple[Order, lifecycle.Changes]:
    """Cancel an order not yet shipped. Cancelling a cancelled order changes nothing."""
    order = dataset.orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    changes = lifecycle.Changes()
    if order.status in ("shipped", "delivered"):
        raise OrderConflict(f"order {order_id} is {order.status} and can no longer be cancelled")
    if order.status != "cancelled":
        lifecycle.cancel(dataset, order, now, changes)
    return order, changes
