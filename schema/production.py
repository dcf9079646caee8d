"""Production plans (ERP ``mrp.production``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.records import ProductionRecord
from resolvers.loaders import Ready
from schema.context import Info
from schema.products import Product, product_or_none

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

    @strawberry.field(graphql_type=Product | None)
    def product(self, info: Info) -> Ready[Product | None]:
        if not self.record.product_code:
            return None
        return info.context.loaders.product.build_now(self.record.product_code, product_or_none)

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

    @strawberry.field(graphql_type=Annotated["Order", strawberry.lazy("schema.orders")] | None)
    def order(self, info: Info) -> Ready[Order | None]:
        from schema.orders import order_or_none

        if not self.record.sale_ref:
            return None
        return info.context.loaders.order.build_now(self.record.sale_ref, order_or_none)
