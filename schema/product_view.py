"""The product view's own types: open demand for a product and its coverage.

Supply is what ``Product`` already shows (``inventory`` per warehouse,
``openPurchaseOrders`` with their suppliers and expected dates); these add the demand
side (open CRM order lines) and the projection of one against the other
(``schema.coverage``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.records import OrderRecord
from schema.coverage import CoverageProjection, CoverageStep

if TYPE_CHECKING:
    from schema.orders import Order, OrderStatus

LazyOrder = Annotated["Order", strawberry.lazy("schema.orders")]
LazyOrderStatus = Annotated["OrderStatus", strawberry.lazy("schema.orders")]


@strawberry.type(description="One open CRM order line of a product: goods still owed")
class ProductDemand:
    record: strawberry.Private[OrderRecord]
    line_no: int
    quantity: int

    @strawberry.field(graphql_type=LazyOrder)
    def order(self) -> Order:
        from schema.orders import Order

        return Order(record=self.record)

    @strawberry.field(graphql_type=LazyOrderStatus)
    def status(self) -> OrderStatus:
        from schema.orders import OrderStatus

        return OrderStatus(self.record.status)

    @strawberry.field(description="The order's requested date; null when it has none")
    def requested_date(self) -> date | None:
        return self.record.requested_date


def demand_lines(product_code: str, orders: list[OrderRecord]) -> list[ProductDemand]:
    return [
        ProductDemand(record=order, line_no=line.line_no, quantity=line.quantity)
        for order in orders
        for line in order.lines
        if line.product_code == product_code
    ]


@strawberry.type(description="One date of a coverage projection")
class CoverageDay:
    day: date = strawberry.field(name="date")
    incoming: int = strawberry.field(
        description="Goods expected in on this date: purchase orders and planned production output"
    )
    outgoing: int = strawberry.field(
        description="Goods owed to customers on this date (requested dates of open orders)"
    )
    balance: int = strawberry.field(description="Available to promise after this date's moves")

    @classmethod
    def of(cls, step: CoverageStep) -> CoverageDay:
        return cls(
            day=step.on, incoming=step.incoming, outgoing=step.outgoing, balance=step.balance
        )


@strawberry.type(
    description="availableToPromise + openPurchaseQuantity + plannedOutput - openDemand, "
    "projected by date from asOf: dated moves before asOf or without a date count on asOf, "
    "incoming before outgoing on one date"
)
class Coverage:
    as_of: date
    available_to_promise: int
    open_purchase_quantity: int = strawberry.field(
        description="Open purchase orders of the product's sku"
    )
    planned_output: int = strawberry.field(
        description="Open production plans (not done or cancelled) of the product"
    )
    open_demand: int = strawberry.field(
        description="Open CRM order lines (confirmed, in production, ready) of the product"
    )
    net: int
    runs_short_on: date | None = strawberry.field(
        description="The first date the projected balance falls below zero; null if it never does"
    )
    timeline: list[CoverageDay]

    @classmethod
    def of(cls, projection: CoverageProjection) -> Coverage:
        return cls(
            as_of=projection.as_of,
            available_to_promise=projection.available_to_promise,
            open_purchase_quantity=projection.open_purchase_quantity,
            planned_output=projection.planned_output,
            open_demand=projection.open_demand,
            net=projection.net,
            runs_short_on=projection.runs_short_on,
            timeline=[CoverageDay.of(step) for step in projection.steps],
        )
