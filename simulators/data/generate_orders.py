"""Sales orders (CRM), each with a hidden timeline that decides its status.

An order is created, goes into production, becomes ready, ships and is delivered; a
few are cancelled before they are ready. Where the reference "now" falls on that
timeline gives the status, so the ERP plans, invoices and SCM shipments generated from
the same timeline agree with it.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from simulators.data.randomness import chance, weighted
from simulators.data.records import Customer, Order, OrderLine, OrderStatus, Product

FIRST_ORDER_NUMBER = 100001
HISTORY_DAYS = 730
# Exponent > 1 makes recent days busier (a growing business) and keeps enough orders in
# flight around "now" for every status to be well represented.
RECENCY_SKEW = 1.6
SEGMENT_ORDER_WEIGHT = {"enterprise": 6.0, "smb": 2.5, "consumer": 0.6}
TIER_DISCOUNT = {"gold": Decimal("0.92"), "silver": Decimal("0.96")}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderTimeline:
    created_at: datetime
    production_start: datetime
    ready_at: datetime
    shipped_at: datetime
    delivered_at: datetime
    cancelled_at: datetime | None  # only when it happened before "now"

    def status_at(self, now: datetime) -> OrderStatus:
        if self.cancelled_at is not None:
            return "cancelled"
        if now < self.production_start:
            return "confirmed"
        if now < self.ready_at:
            return "in_production"
        if now < self.shipped_at:
            return "ready"
        if now < self.delivered_at:
            return "shipped"
        return "delivered"

    def last_change_before(self, now: datetime) -> datetime:
        if self.cancelled_at is not None:
            return self.cancelled_at
        milestones = (
            self.created_at,
            self.production_start,
            self.ready_at,
            self.shipped_at,
            self.delivered_at,
        )
        return max(moment for moment in milestones if moment <= now)


def _timeline(rng: random.Random, created_at: datetime, now: datetime) -> OrderTimeline:
    production_start = created_at + timedelta(hours=rng.uniform(12, 72))
    ready_at = production_start + timedelta(days=rng.uniform(2, 10))
    shipped_at = ready_at + timedelta(hours=rng.uniform(6, 72))
    delivered_at = shipped_at + timedelta(days=rng.uniform(1, 5))
    cancelled_at = None
    if chance(rng, 0.07):
        moment = created_at + (ready_at - created_at) * rng.uniform(0.05, 0.95)
        cancelled_at = moment if moment <= now else None

    def whole(moment: datetime) -> datetime:
        return moment.replace(microsecond=0)

    return OrderTimeline(
        created_at=whole(created_at),
        production_start=whole(production_start),
        ready_at=whole(ready_at),
        shipped_at=whole(shipped_at),
        delivered_at=whole(delivered_at),
        cancelled_at=None if cancelled_at is None else whole(cancelled_at),
    )


def _quantity(rng: random.Random, list_price: float) -> int:
    if list_price >= 1000:
        return rng.randint(1, 5)
    if list_price >= 200:
        return rng.randint(1, 12)
    return rng.randint(2, 40)


def unit_price_for(product: Product, discount: Decimal = Decimal(1)) -> Decimal:
    return (Decimal(repr(product.list_price)) * discount).quantize(CENT)


def generate_orders(
    rng: random.Random,
    count: int,
    customers: list[Customer],
    products: list[Product],
    now: datetime,
) -> tuple[list[Order], dict[str, OrderTimeline]]:
    ages = sorted((HISTORY_DAYS * rng.random() ** RECENCY_SKEW for _ in range(count)), reverse=True)
    cumulative = list(itertools.accumulate(SEGMENT_ORDER_WEIGHT[c.segment] for c in customers))
    active_products = [p for p in products if p.active]
    orders: list[Order] = []
    timelines: dict[str, OrderTimeline] = {}
    for index, age_days in enumerate(ages):
        order_id = f"SO-{FIRST_ORDER_NUMBER + index}"
        customer = customers[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
        timeline = _timeline(rng, now - timedelta(days=age_days), now)
        # Discontinued products still appear on old orders; recent ones sell active ones.
        catalogue = products if age_days > 120 else active_products
        line_count = weighted(rng, (1, 2, 3, 4, 5), (30, 28, 20, 13, 9))
        discount = TIER_DISCOUNT.get(customer.tier or "", Decimal(1))
        if age_days > 365:
            discount *= Decimal("0.97")  # last year's price list
        lines = [
            OrderLine(
                line_no=line_no,
                product_code=product.default_code,
                quantity=_quantity(rng, product.list_price),
                unit_price=unit_price_for(product, discount),
            )
            for line_no, product in enumerate(rng.sample(catalogue, line_count), start=1)
        ]
        requested = timeline.created_at + timedelta(days=rng.randint(14, 45))
        orders.append(
            Order(
                id=order_id,
                customer_id=customer.id,
                status=timeline.status_at(now),
                currency="EUR",
                lines=lines,
                requested_date=None if chance(rng, 0.15) else requested.date(),
                created_at=timeline.created_at,
                updated_at=timeline.last_change_before(now),
            )
        )
        timelines[order_id] = timeline
    return orders, timelines
