"""A product's coverage: will what it has and what is coming meet what is owed?

    net = availableToPromise + open purchase orders + planned output - open demand

and a projection by date, to tell *when* it runs short if it does. The projection starts
``as_of`` (today, UTC) with the available-to-promise stock and walks the dated moves in
date order:

- in: each open purchase order of its sku on the date it is expected (``expectedAt``),
  each open production plan of the product on its planned finish (else its planned
  start);
- out: each open demand line (``core.records.OPEN_ORDER_STATUSES``) on its order's
  requested date.

A move dated before ``as_of`` (an overdue order, a late purchase order) or without a
date counts on ``as_of``: it is owed, or expected, now. On one date the goods coming in
count before those going out. ``runs_short_on`` is the first date on which the balance
falls below zero; None when it never does.

Pure: given the records, the same answer; the schema reads them through the loaders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core.records import (
    OrderRecord,
    ProductionRecord,
    PurchaseOrderRecord,
    StockLevelRecord,
)


@dataclass(frozen=True, slots=True)
class CoverageStep:
    on: date
    incoming: int
    outgoing: int
    balance: int  # after this date's moves


@dataclass(frozen=True, slots=True)
class CoverageProjection:
    as_of: date
    available_to_promise: int
    open_purchase_quantity: int
    planned_output: int
    open_demand: int
    net: int
    runs_short_on: date | None
    steps: tuple[CoverageStep, ...]


def available_quantity(level: StockLevelRecord) -> int:
    """What a warehouse can promise: stock not already reserved, never below zero."""
    return max(level.on_hand - level.reserved, 0)


def demand_of(product_code: str, orders: Iterable[OrderRecord]) -> list[tuple[OrderRecord, int]]:
    """Each (order, quantity) of the product's lines in ``orders`` (one per line)."""
    return [
        (order, line.quantity)
        for order in orders
        for line in order.lines
        if line.product_code == product_code
    ]


def project(
    as_of: date,
    product_code: str,
    stock: Sequence[StockLevelRecord],
    purchase_orders: Sequence[PurchaseOrderRecord],
    plans: Sequence[ProductionRecord],
    open_orders: Sequence[OrderRecord],
) -> CoverageProjection:
    incoming: dict[date, int] = {}
    outgoing: dict[date, int] = {}

    def on_or_after(day: date | None) -> date:
        return as_of if day is None or day < as_of else day

    for purchase in purchase_orders:
        day = on_or_after(purchase.expected_at.date())
        incoming[day] = incoming.get(day, 0) + purchase.quantity
    for plan in plans:
        finish = plan.date_planned_finished or plan.date_planned_start
        day = on_or_after(finish.date() if finish is not None else None)
        incoming[day] = incoming.get(day, 0) + int(plan.product_qty)
    lines = demand_of(product_code, open_orders)
    for order, quantity in lines:
        day = on_or_after(order.requested_date)
        outgoing[day] = outgoing.get(day, 0) + quantity

    atp = sum(available_quantity(level) for level in stock)
    balance = atp
    runs_short_on: date | None = None
    steps: list[CoverageStep] = []
    for day in sorted(incoming.keys() | outgoing.keys()):
        coming, going = incoming.get(day, 0), outgoing.get(day, 0)
        balance += coming - going
        steps.append(CoverageStep(on=day, incoming=coming, outgoing=going, balance=balance))
        if balance < 0 and runs_short_on is None:
            runs_short_on = day
    purchased = sum(purchase.quantity for purchase in purchase_orders)
    planned = sum(int(plan.product_qty) for plan in plans)
    demanded = sum(quantity for _, quantity in lines)
    return CoverageProjection(
        as_of=as_of,
        available_to_promise=atp,
        open_purchase_quantity=purchased,
        planned_output=planned,
        open_demand=demanded,
        net=atp + purchased + planned - demanded,
        runs_short_on=runs_short_on,
        steps=tuple(steps),
    )
