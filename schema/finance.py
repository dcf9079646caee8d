"""The finance views' types: an order's revenue, costs and profit, and summaries.

The rules (cost basis per line, currency, cancelled orders and plans) are in
``schema.finance_rules``; this module only shows their results.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from core.records import OrderRecord
from schema import finance_rules
from schema.finance_rules import COMPANY_CURRENCY, Figures, LineCost, margin_percent
from schema.money import Money, money, required_money


@strawberry.enum(description="Where a line's cost comes from (first rule that applies)")
class CostBasis(Enum):
    PRODUCTION_ORDER = "production_order"
    PURCHASE_ORDER = "purchase_order"
    STANDARD_COST = "standard_cost"
    UNKNOWN = "unknown"


@strawberry.enum
class FinanceGrouping(Enum):
    MONTH = "month"
    PRODUCT = "product"
    CUSTOMER = "customer"


def eur(amount: Decimal) -> Money:
    return required_money(amount, COMPANY_CURRENCY)


@strawberry.type(description="One order line's revenue and cost, and where the cost came from")
class OrderLineFinance:
    cost_of_line: strawberry.Private[LineCost]

    @strawberry.field
    def line_no(self) -> int:
        return self.cost_of_line.line.line_no

    @strawberry.field
    def product_code(self) -> strawberry.ID:
        return strawberry.ID(self.cost_of_line.line.product_code)

    @strawberry.field
    def quantity(self) -> int:
        return self.cost_of_line.line.quantity

    @strawberry.field
    def revenue(self) -> Money:
        return eur(self.cost_of_line.revenue)

    @strawberry.field(description="null when the basis is UNKNOWN")
    def cost(self) -> Money | None:
        return money(self.cost_of_line.cost, COMPANY_CURRENCY)

    @strawberry.field
    def cost_basis(self) -> CostBasis:
        return CostBasis(self.cost_of_line.basis.value)


@strawberry.type(
    description="Revenue, costs by basis, profit and margin, added up over orders or lines"
)
class FinanceFigures:
    figures: strawberry.Private[Figures]

    @strawberry.field
    def revenue(self) -> Money:
        return eur(self.figures.revenue)

    @strawberry.field(description="Lines made: ERP production orders' unit cost x quantity")
    def production_cost(self) -> Money:
        return eur(self.figures.production_cost)

    @strawberry.field(description="Lines bought: SCM purchase orders' average unit cost")
    def purchase_cost(self) -> Money:
        return eur(self.figures.purchase_cost)

    @strawberry.field(description="Fallback: lines costed at the ERP's standard cost")
    def standard_cost(self) -> Money:
        return eur(self.figures.standard_cost)

    @strawberry.field(description="Sum of the three costs (lines of unknown cost left out)")
    def cost(self) -> Money:
        return eur(self.figures.cost)

    @strawberry.field(description="revenue minus cost")
    def profit(self) -> Money:
        return eur(self.figures.profit)

    @strawberry.field(description="profit / revenue x 100, two decimals; null without revenue")
    def margin_percent(self) -> float | None:
        return margin_percent(self.figures.revenue, self.figures.profit)

    @strawberry.field
    def order_count(self) -> int:
        return len(self.figures.order_ids)

    @strawberry.field(description="Lines whose cost is unknown, counted as no cost")
    def lines_with_unknown_cost(self) -> int:
        return self.figures.lines_with_unknown_cost


@strawberry.type(description="What one order earned and cost, per line and in total (EUR)")
class OrderFinance:
    order: strawberry.Private[OrderRecord]
    lines_costed: strawberry.Private[list[LineCost]]
    figures: strawberry.Private[Figures]

    @strawberry.field(description="The CRM's order total")
    def revenue(self) -> Money:
        return eur(self.figures.revenue)

    @strawberry.field
    def production_cost(self) -> Money:
        return eur(self.figures.production_cost)

    @strawberry.field
    def purchase_cost(self) -> Money:
        return eur(self.figures.purchase_cost)

    @strawberry.field
    def standard_cost(self) -> Money:
        return eur(self.figures.standard_cost)

    @strawberry.field(description="null if a line's cost is unknown")
    def cost(self) -> Money | None:
        return eur(self.figures.cost) if self.figures.complete else None

    @strawberry.field(description="revenue minus cost; null if a line's cost is unknown")
    def profit(self) -> Money | None:
        return eur(self.figures.profit) if self.figures.complete else None

    @strawberry.field(description="profit / revenue x 100, two decimals")
    def margin_percent(self) -> float | None:
        if not self.figures.complete:
            return None
        return margin_percent(self.figures.revenue, self.figures.profit)

    @strawberry.field
    def lines(self) -> list[OrderLineFinance]:
        return [OrderLineFinance(cost_of_line=line) for line in self.lines_costed]


def order_finance(order: OrderRecord, lines: list[LineCost]) -> OrderFinance:
    return OrderFinance(
        order=order, lines_costed=lines, figures=finance_rules.order_figures(order, lines)
    )


@strawberry.type
class FinanceGroup:
    key: str = strawberry.field(
        description="A month (YYYY-MM, UTC), a product code or a customer id, as grouped"
    )
    figures: FinanceFigures


@strawberry.type(description="Orders created in [from, to), not cancelled, in EUR")
class FinanceSummary:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    group_by: FinanceGrouping
    currency: str
    total: FinanceFigures
    groups: list[FinanceGroup]
    cancelled_order_count: int = strawberry.field(
        description="Cancelled orders of the period: left out, they earned nothing"
    )
    other_currency_orders: list[strawberry.ID] = strawberry.field(
        description="Orders of the period in a currency other than EUR: left out, not converted"
    )
