"""Sales orders (CRM), their lines, and what the ERP and the SCM join to them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.errors import UnsupportedCurrencyError, UpstreamBadResponse
from core.records import (
    CustomerRecord,
    InvoiceRecord,
    OrderLineRecord,
    OrderRecord,
    ProductionRecord,
    ProductRecord,
    ShipmentRecord,
)
from resolvers.loaders import Loaders, Ready
from schema.context import Info
from schema.customers import Customer
from schema.finance import OrderFinance, order_finance
from schema.finance_inputs import load_cost_inputs, settled_cost_inputs
from schema.finance_rules import COMPANY_CURRENCY, line_costs
from schema.money import Money, money, required_money
from schema.products import Product, product_or_none

if TYPE_CHECKING:
    from schema.production import ProductionPlan
    from schema.shipments import Shipment

LazyPlan = Annotated["ProductionPlan", strawberry.lazy("schema.production")]
LazyShipment = Annotated["Shipment", strawberry.lazy("schema.shipments")]


@strawberry.enum
class OrderStatus(Enum):
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    READY = "ready"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@strawberry.type
class Invoice:
    record: strawberry.Private[InvoiceRecord]

    @strawberry.field
    def number(self) -> str:
        return self.record.name

    @strawberry.field
    def state(self) -> str:
        return self.record.state

    @strawberry.field
    def payment_state(self) -> str:
        return self.record.payment_state

    @strawberry.field
    def total(self) -> Money:
        return required_money(self.record.amount_total, self.record.currency)

    @strawberry.field
    def outstanding(self) -> Money:
        return required_money(self.record.amount_residual, self.record.currency)

    @strawberry.field
    def invoice_date(self) -> date | None:
        return self.record.invoice_date


@strawberry.type
class OrderLine:
    record: strawberry.Private[OrderLineRecord]
    currency: strawberry.Private[str]

    @strawberry.field
    def line_no(self) -> int:
        return self.record.line_no

    @strawberry.field(
        graphql_type=Product | None,
        description="ERP product.product where default_code = the line's product code",
    )
    def product(self, info: Info) -> Ready[Product | None]:
        return info.context.loaders.product.build_now(self.record.product_code, product_or_none)

    @strawberry.field
    def quantity(self) -> int:
        return self.record.quantity

    @strawberry.field
    def unit_price(self) -> Money:
        return required_money(self.record.unit_price, self.currency)

    @strawberry.field
    def amount(self) -> Money:
        return required_money(self.record.unit_price * self.record.quantity, self.currency)


@strawberry.type
class Order:
    record: strawberry.Private[OrderRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field
    def status(self) -> OrderStatus:
        return OrderStatus(self.record.status)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def requested_date(self) -> date | None:
        return self.record.requested_date

    @strawberry.field
    def total(self) -> Money:
        return required_money(self.record.total, self.record.currency)

    @strawberry.field(graphql_type=Customer)
    def customer(self, info: Info) -> Ready[Customer]:
        return info.context.loaders.customer.build_now(self.record.customer_id, self._customer)

    def _customer(self, record: CustomerRecord | None) -> Customer:
        if record is None:
            raise UpstreamBadResponse(
                "crm",
                f"order {self.record.id} names customer {self.record.customer_id}, "
                "which the CRM does not know",
            )
        return Customer(record=record)

    @strawberry.field
    def lines(self) -> list[OrderLine]:
        return [OrderLine(record=line, currency=self.record.currency) for line in self.record.lines]

    @strawberry.field(
        graphql_type=list[LazyPlan] | None, description="ERP mrp.production where sale_ref = id"
    )
    def production_plans(self, info: Info) -> Ready[list[ProductionPlan]]:
        return info.context.loaders.plans_of_order.build_now(self.record.id, plans_of)

    @strawberry.field(graphql_type=list[LazyShipment] | None, description="SCM shipmentsByOrder")
    def shipments(self, info: Info) -> Ready[list[Shipment]]:
        return info.context.loaders.shipments_of_order.build_now(self.record.id, shipments_of)

    @strawberry.field(
        graphql_type=list[Invoice] | None, description="ERP account.move where sale_ref = id"
    )
    def invoices(self, info: Info) -> Ready[list[Invoice]]:
        return info.context.loaders.invoices_of_order.build_now(self.record.id, invoices_of)

    @strawberry.field(
        graphql_type=Money | None,
        description="total minus the sum of quantity x product standardCost; "
        "null if a cost is unknown",
    )
    def margin(self, info: Info) -> Ready[Money | None]:
        codes = [line.product_code for line in self.record.lines]
        return info.context.loaders.product.build_many_now(codes, self._margin)

    def _margin(self, products: list[ProductRecord | None]) -> Money | None:
        cost = Decimal(0)
        for line, product in zip(self.record.lines, products, strict=True):
            if product is None or product.standard_cost is None:
                return None
            cost += product.standard_cost * line.quantity
        return money(self.record.total - cost, self.record.currency)

    @strawberry.field(
        graphql_type=OrderFinance | None,
        description="Revenue, actual costs per line (production orders, purchase orders, "
        "standard cost as a labelled fallback), profit and margin, in EUR",
    )
    def finance(self, info: Info) -> Ready[OrderFinance]:
        record = self.record
        if record.currency != COMPANY_CURRENCY:
            raise UnsupportedCurrencyError(
                f"order {record.id} is in {record.currency}; finance is kept in "
                f"{COMPANY_CURRENCY} only and nothing is converted"
            )
        inputs = settled_cost_inputs(info.context.loaders, record)
        if inputs is not None:
            return order_finance(record, line_costs(record, inputs))
        return self._finance_later(info.context.loaders)

    async def _finance_later(self, loaders: Loaders) -> OrderFinance:
        inputs = await load_cost_inputs(loaders, [self.record])
        return order_finance(self.record, line_costs(self.record, inputs))


def plans_of(records: list[ProductionRecord]) -> list[ProductionPlan]:
    from schema.production import ProductionPlan

    return [ProductionPlan(record=record) for record in records]


def shipments_of(records: list[ShipmentRecord]) -> list[Shipment]:
    from schema.shipments import Shipment

    return [Shipment(record=record) for record in records]


def invoices_of(records: list[InvoiceRecord]) -> list[Invoice]:
    return [Invoice(record=record) for record in records]


def order_or_none(record: OrderRecord | None) -> Order | None:
    return Order(record=record) if record is not None else None
