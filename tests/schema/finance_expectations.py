"""Finance figures computed from the upstream contracts directly, for the finance tests.

Written from the rules as README.md and ``schema/finance_rules.py``'s docstring state them
(not from the gateway's code): read the CRM's order feed, the ERP's production orders and
products and the SCM's purchase orders with a plain client, and add up in ``Decimal``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tests.contract_client import ContractClient

CENT = Decimal("0.01")


def amount(value: Any) -> Decimal:
    return Decimal(str(value))


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_pages(
    upstream: ContractClient, start: datetime, end: datetime, limit: int = 200
) -> list[list[dict[str, Any]]]:
    """Every page of the CRM's order feed for ``[start, end)``."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "created_from": rfc3339(start),
            "created_to": rfc3339(end),
            "limit": limit,
        }
        if cursor:
            params["cursor"] = cursor
        body = upstream.crm.get("/orders", params=params).json()
        pages.append(body["records"])
        cursor = body.get("next_cursor")
        if not cursor:
            return pages


def first_of_months(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    cuts = [start]
    while True:
        last = cuts[-1]
        following = last.replace(
            year=last.year + (last.month == 12),
            month=last.month % 12 + 1,
            day=1,
            hour=0,
            minute=0,
            second=0,
        )
        if following >= end:
            break
        cuts.append(following)
    return list(zip(cuts, [*cuts[1:], end], strict=True))


def search_all(
    upstream: ContractClient, model: str, field_name: str, values: list[str]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(values), 200):
        found += upstream.search_read(model, [[field_name, "in", values[start : start + 200]]])
    return found


def every_purchase_order(upstream: ContractClient, skus: list[str]) -> list[dict[str, Any]]:
    query = """query($s: [String!]!) { purchaseOrders(skus: $s, openOnly: false) {
        id sku quantity unitCost status } }"""
    found: list[dict[str, Any]] = []
    for start in range(0, len(skus), 250):
        found += upstream.scm_query(query, {"s": skus[start : start + 250]})["purchaseOrders"]
    return found


@dataclass
class World:
    """What the rules read for some orders, read from the upstreams."""

    plans: dict[str, list[dict[str, Any]]]  # by sale_ref
    products: dict[str, dict[str, Any]]  # by default_code
    purchase_orders: dict[str, list[dict[str, Any]]]  # by sku, every status


def read_world(upstream: ContractClient, orders: list[dict[str, Any]]) -> World:
    plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for plan in search_all(upstream, "mrp.production", "sale_ref", [o["id"] for o in orders]):
        plans[plan["sale_ref"]].append(plan)
    codes = sorted({line["product_code"] for o in orders for line in o["lines"]})
    products = {
        p["default_code"]: p for p in search_all(upstream, "product.product", "default_code", codes)
    }
    skus = sorted({p["scm_sku"] for p in products.values() if p["scm_sku"]})
    purchase_orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for po in every_purchase_order(upstream, skus):
        purchase_orders[po["sku"]].append(po)
    return World(plans, products, purchase_orders)


def line_cost(
    order: dict[str, Any], line: dict[str, Any], world: World
) -> tuple[str, Decimal | None]:
    made = [
        plan
        for plan in world.plans.get(order["id"], [])
        if plan["product_code"] == line["product_code"] and plan["state"] != "cancel"
    ]
    if made and all(plan["unit_cost"] is not False for plan in made):
        return "PRODUCTION_ORDER", sum(
            (amount(p["unit_cost"]) * amount(p["product_qty"]) for p in made), Decimal(0)
        )
    product = world.products.get(line["product_code"])
    if not made and product and product["scm_sku"]:
        bought = [
            po
            for po in world.purchase_orders.get(product["scm_sku"], [])
            if po["status"] != "cancelled"
        ]
        quantity = sum(po["quantity"] for po in bought)
        if quantity > 0:
            average = (
                sum((amount(po["unitCost"]) * po["quantity"] for po in bought), Decimal(0))
                / quantity
            )
            return "PURCHASE_ORDER", average * line["quantity"]
    if product and product["standard_cost"] is not False:
        return "STANDARD_COST", amount(product["standard_cost"]) * line["quantity"]
    return "UNKNOWN", None


@dataclass
class Totals:
    revenue: Decimal = Decimal(0)
    costs: dict[str, Decimal] = field(
        default_factory=lambda: {
            "PRODUCTION_ORDER": Decimal(0),
            "PURCHASE_ORDER": Decimal(0),
            "STANDARD_COST": Decimal(0),
        }
    )
    unknown: int = 0
    orders: set[str] = field(default_factory=set)

    def add(self, order_id: str, revenue: Decimal, costs: list[tuple[str, Decimal | None]]) -> None:
        self.revenue += revenue
        self.orders.add(order_id)
        for basis, cost in costs:
            if cost is None:
                self.unknown += 1
            else:
                self.costs[basis] += cost

    def shown(self) -> dict[str, Any]:
        cost = sum(self.costs.values(), Decimal(0))
        profit = self.revenue - cost
        margin = (
            float((profit * 100 / self.revenue).quantize(CENT, rounding=ROUND_HALF_EVEN))
            if self.revenue
            else None
        )
        return {
            "revenue": {"amount": cents(self.revenue), "currency": "EUR"},
            "productionCost": {"amount": cents(self.costs["PRODUCTION_ORDER"]), "currency": "EUR"},
            "purchaseCost": {"amount": cents(self.costs["PURCHASE_ORDER"]), "currency": "EUR"},
            "standardCost": {"amount": cents(self.costs["STANDARD_COST"]), "currency": "EUR"},
            "cost": {"amount": cents(cost), "currency": "EUR"},
            "profit": {"amount": cents(profit), "currency": "EUR"},
            "marginPercent": margin,
            "orderCount": len(self.orders),
            "linesWithUnknownCost": self.unknown,
        }
