"""What an order earned and what it cost: the rules of the finance views, in one place.

Currency: every amount is the company's currency, EUR. The CRM's order totals, the
ERP's production costs and standard costs and the SCM's purchase prices carry no other;
an order in another currency is never converted or summed: its ``finance`` is refused
with ``UNSUPPORTED_CURRENCY`` and ``financeSummary`` leaves it out and lists its id.

A line's cost, first rule that applies:

1. ``PRODUCTION_ORDER``: the line is made. The ERP has production orders for the order
   (``sale_ref``) and the line's product that are not cancelled, each with a unit cost:
   the sum of ``unit_cost x product_qty``. A cancelled production order made nothing and
   costs nothing, so a line whose production orders are all cancelled is not made.
2. ``PURCHASE_ORDER``: the line is bought (no live production order). The SCM's purchase
   orders for the product's sku that are open or received (not cancelled): their
   quantity-weighted average unit cost x the line's quantity.
3. ``STANDARD_COST``: the fallback, labelled as such: the ERP's standard cost x quantity.
4. ``UNKNOWN``: none of these is known; the line's cost is null.

Revenue is the CRM's order total (per product: the lines' amounts). Profit is revenue
minus the costs; margin is profit as a percentage of revenue. An order with a line of
unknown cost has no profit or margin; a summary adds the costs it knows and counts the
lines it does not (``linesWithUnknownCost``), so nothing unknown is passed off as zero.
Cancelled orders earn nothing: the summary counts them apart and leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from core.records import (
    OrderLineRecord,
    OrderRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
)

COMPANY_CURRENCY = "EUR"
CANCELLED_PLAN = "cancel"
CANCELLED_PURCHASE_ORDER = "cancelled"
CANCELLED_ORDER = "cancelled"
HUNDRED = Decimal(100)
PERCENT_PLACES = Decimal("0.01")


class CostBasis(Enum):
    PRODUCTION_ORDER = "production_order"
    PURCHASE_ORDER = "purchase_order"
    STANDARD_COST = "standard_cost"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LineCost:
    line: OrderLineRecord
    basis: CostBasis
    cost: Decimal | None  # None exactly when basis is UNKNOWN

    @property
    def revenue(self) -> Decimal:
        return self.line.unit_price * self.line.quantity


@dataclass(frozen=True, slots=True)
class CostInputs:
    """What the rules read, loaded in bulk (``schema.finance_inputs``)."""

    plans_of_order: Mapping[str, Sequence[ProductionRecord]]
    products: Mapping[str, ProductRecord | None]
    purchase_orders_of_sku: Mapping[str, Sequence[PurchaseOrderRecord]]


def live_plans(plans: Iterable[ProductionRecord], product_code: str) -> list[ProductionRecord]:
    return [
        plan for plan in plans if plan.product_code == product_code and plan.state != CANCELLED_PLAN
    ]


def skus_to_price(orders: Iterable[OrderRecord], inputs: CostInputs) -> list[str]:
    """The skus whose purchase orders the bought lines of ``orders`` need, once each."""
    skus: dict[str, None] = {}
    for order in orders:
        for line in order.lines:
            if live_plans(inputs.plans_of_order.get(order.id, ()), line.product_code):
                continue  # made: a purchase price is never its cost
            product = inputs.products.get(line.product_code)
            if product is not None and product.scm_sku:
                skus[product.scm_sku] = None
    return list(skus)


def average_unit_cost(purchase_orders: Iterable[PurchaseOrderRecord]) -> Decimal | None:
    """Quantity-weighted average unit cost of the open and received purchase orders."""
    counted = [po for po in purchase_orders if po.status != CANCELLED_PURCHASE_ORDER]
    quantity = sum(po.quantity for po in counted)
    if quantity <= 0:
        return None
    return sum((po.unit_cost * po.quantity for po in counted), Decimal(0)) / quantity


def line_costs(order: OrderRecord, inputs: CostInputs) -> list[LineCost]:
    costs: list[LineCost] = []
    plans = inputs.plans_of_order.get(order.id, ())
    for line in order.lines:
        made = live_plans(plans, line.product_code)
        if made and all(plan.unit_cost is not None for plan in made):
            cost = sum(
                (plan.unit_cost * plan.product_qty for plan in made if plan.unit_cost is not None),
                Decimal(0),
            )
            costs.append(LineCost(line, CostBasis.PRODUCTION_ORDER, cost))
            continue
        product = inputs.products.get(line.product_code)
        if not made and product is not None and product.scm_sku:
            average = average_unit_cost(inputs.purchase_orders_of_sku.get(product.scm_sku, ()))
            if average is not None:
                costs.append(LineCost(line, CostBasis.PURCHASE_ORDER, average * line.quantity))
                continue
        if product is not None and product.standard_cost is not None:
            cost = product.standard_cost * line.quantity
            costs.append(LineCost(line, CostBasis.STANDARD_COST, cost))
            continue
        costs.append(LineCost(line, CostBasis.UNKNOWN, None))
    return costs


def margin_percent(revenue: Decimal, profit: Decimal | None) -> float | None:
    if profit is None or revenue == 0:
        return None
    return float((profit * HUNDRED / revenue).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN))


@dataclass
class Figures:
    """Revenue and costs added up over orders or lines; amounts stay exact until shown."""

    revenue: Decimal = Decimal(0)
    production_cost: Decimal = Decimal(0)
    purchase_cost: Decimal = Decimal(0)
    standard_cost: Decimal = Decimal(0)
    lines_with_unknown_cost: int = 0
    order_ids: set[str] = field(default_factory=set)

    @property
    def cost(self) -> Decimal:
        return self.production_cost + self.purchase_cost + self.standard_cost

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def complete(self) -> bool:
        return self.lines_with_unknown_cost == 0

    def add_cost(self, line: LineCost) -> None:
        if line.cost is None:
            self.lines_with_unknown_cost += 1
        elif line.basis is CostBasis.PRODUCTION_ORDER:
            self.production_cost += line.cost
        elif line.basis is CostBasis.PURCHASE_ORDER:
            self.purchase_cost += line.cost
        else:
            self.standard_cost += line.cost

    def add_order(self, order: OrderRecord, lines: Iterable[LineCost]) -> None:
        self.revenue += order.total
        self.order_ids.add(order.id)
        for line in lines:
            self.add_cost(line)

    def add_line(self, order: OrderRecord, line: LineCost) -> None:
        self.revenue += line.revenue
        self.order_ids.add(order.id)
        self.add_cost(line)


def order_figures(order: OrderRecord, lines: Sequence[LineCost]) -> Figures:
    figures = Figures()
    figures.add_order(order, lines)
    return figures
