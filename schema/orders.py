"""Sales orders (CRM), their lines, and what the ERP and the SCM join to them."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.errors import UpstreamBadResponse
from resolvers.records import InvoiceRecord, OrderLineRecord, OrderRecord
from schema.context import Info
from schema.customers import Customer
from schema.money import Money, money, required_money

if TYPE_CHECKING:
    from schema.production import ProductionPlan
    from schema.products import Product
    from schema.shipments import Shipment


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
        description="ERP product.product where default_code = the line's product code"
    )
    async def product(
        self, info: Info
    ) -> Annotated["Product", strawberry.lazy("schema.products")] | None:
        from schema.products import Product

        record = await info.context.loaders.product.load(self.record.product_code)
        return Product(record=record) if record is not None else None

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

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        record = await info.context.loaders.customer.load(self.record.customer_id)
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

    @strawberry.field(description="ERP mrp.production where sale_ref = id")
    async def production_plans(
        self, info: Info
    ) -> list[Annotated["ProductionPlan", strawberry.lazy("schema.production")]] | None:
        from schema.production import ProductionPlan

        records = await info.context.loaders.plans_of_order.load(self.record.id)
        return [ProductionPlan(record=record) for record in records]

    @strawberry.field(description="SCM shipmentsByOrder")
    async def shipments(
        self, info: Info
    ) -> list[Annotated["Shipment", strawberry.lazy("schema.shipments")]] | None:
        from schema.shipments import Shipment

        records = await info.context.loaders.shipments_of_order.load(self.record.id)
        return [Shipment(record=record) for record in records]

    @strawberry.field(description="ERP account.move where sale_ref = id")
    async def invoices(self, info: Info) -> list[Invoice] | None:
        records = await info.context.loaders.invoices_of_order.load(self.record.id)
        return [Invoice(record=record) for record in records]

    @strawberry.field(
        description="total minus the sum of quantity x product standardCost; "
        "null if a cost is unknown"
    )
    async def margin(self, info: Info) -> Money | None:
        codes = [line.product_code for line in self.record.lines]
        products = await asyncio.gather(*(info.context.loaders.product.load(c) for c in codes))
        cost = Decimal(0)
        for line, product in zip(self.record.lines, products, strict=True):
            if product is None or product.standard_cost is None:
                return None
            cost += product.standard_cost * line.quantity
        return money(self.record.total - cost, self.record.currency)
