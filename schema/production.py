"""Production plans (ERP ``mrp.production``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.records import ProductionRecord
from schema.context import Info
from schema.products import Product

if TYPE_CHECKING:
    from schema.orders import Order


@strawberry.enum
class ProductionState(Enum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "progress"
    TO_CLOSE = "to_close"
    DONE = "done"
    CANCELLED = "cancel"


@strawberry.type
class ProductionPlan:
    record: strawberry.Private[ProductionRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.record.id))

    @strawberry.field
    def reference(self) -> str:
        return self.record.name

    @strawberry.field
    def state(self) -> ProductionState:
        return ProductionState(self.record.state)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        if not self.record.product_code:
            return None
        record = await info.context.loaders.product.load(self.record.product_code)
        return Product(record=record) if record is not None else None

    @strawberry.field
    def quantity(self) -> int:
        return int(self.record.product_qty)

    @strawberry.field
    def planned_start(self) -> datetime | None:
        return self.record.date_planned_start

    @strawberry.field
    def planned_finish(self) -> datetime | None:
        return self.record.date_planned_finished

    @strawberry.field
    def workcenter(self) -> str | None:
        return self.record.workcenter

    @strawberry.field
    async def order(
        self, info: Info
    ) -> Annotated["Order", strawberry.lazy("schema.orders")] | None:
        from schema.orders import Order

        if not self.record.sale_ref:
            return None
        record = await info.context.loaders.order.load(self.record.sale_ref)
        return Order(record=record) if record is not None else None
