"""Products (ERP) with their stock and purchase orders (SCM)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from core.records import (
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    StockLevelRecord,
    SupplierRecord,
)
from resolvers.loaders import Ready
from schema.context import Info
from schema.coverage import available_quantity, project
from schema.money import Money, money, required_money
from schema.product_view import Coverage, ProductDemand, demand_lines

if TYPE_CHECKING:
    from schema.production import ProductionPlan

__all__ = ["available_quantity"]

LazyPlan = Annotated["ProductionPlan", strawberry.lazy("schema.production")]


@strawberry.type
class InventoryLevel:
    record: strawberry.Private[StockLevelRecord]

    @strawberry.field
    def sku(self) -> str:
        return self.record.sku

    @strawberry.field
    def warehouse(self) -> str:
        return self.record.warehouse

    @strawberry.field
    def on_hand(self) -> int:
        return self.record.on_hand

    @strawberry.field
    def reserved(self) -> int:
        return self.record.reserved

    @strawberry.field
    def in_transit(self) -> int:
        return self.record.in_transit

    @strawberry.field(description="max(onHand - reserved, 0)")
    def available(self) -> int:
        return available_quantity(self.record)

    @strawberry.field
    def reorder_point(self) -> int:
        return self.record.reorder_point

    @strawberry.field(description="available < reorderPoint")
    def below_reorder_point(self) -> bool:
        return available_quantity(self.record) < self.record.reorder_point

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at


@strawberry.type
class Supplier:
    record: strawberry.Private[SupplierRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def country(self) -> str | None:
        return self.record.country

    @strawberry.field
    def on_time_rate(self) -> float | None:
        return self.record.on_time_rate

    @strawberry.field
    def lead_time_days(self) -> int | None:
        return self.record.lead_time_days


@strawberry.type
class PurchaseOrder:
    record: strawberry.Private[PurchaseOrderRecord]
    currency: strawberry.Private[str]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field(graphql_type=Supplier | None)
    def supplier(self, info: Info) -> Ready[Supplier | None]:
        return info.context.loaders.supplier.build_now(self.record.supplier_id, supplier_or_none)

    @strawberry.field
    def sku(self) -> str:
        return self.record.sku

    @strawberry.field
    def quantity(self) -> int:
        return self.record.quantity

    @strawberry.field
    def unit_cost(self) -> Money:
        return required_money(self.record.unit_cost, self.currency)

    @strawberry.field
    def expected_at(self) -> datetime:
        return self.record.expected_at

    @strawberry.field
    def status(self) -> str:
        return self.record.status

    @strawberry.field(description="The caller's idempotency key, e.g. the ERP production order")
    def reference(self) -> str | None:
        return self.record.reference


@strawberry.type
class Product:
    record: strawberry.Private[ProductRecord]

    @strawberry.field
    def code(self) -> strawberry.ID:
        return strawberry.ID(self.record.default_code)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def sku(self) -> str | None:
        return self.record.scm_sku

    @strawberry.field
    def list_price(self, info: Info) -> Money | None:
        return money(self.record.list_price, info.context.config.erp_currency)

    @strawberry.field
    def standard_cost(self, info: Info) -> Money | None:
        return money(self.record.standard_cost, info.context.config.erp_currency)

    @strawberry.field(
        graphql_type=list[InventoryLevel] | None,
        description="SCM stockLevels for sku, one per warehouse; empty without a sku",
    )
    def inventory(self, info: Info) -> Ready[list[InventoryLevel]]:
        if not self.record.scm_sku:
            return []
        return info.context.loaders.stock_of_sku.build_now(self.record.scm_sku, inventory_of)

    @strawberry.field(
        graphql_type=int | None,
        description="Sum over warehouses of max(onHand - reserved, 0); 0 without a sku",
    )
    def available_to_promise(self, info: Info) -> Ready[int]:
        if not self.record.scm_sku:
            return 0
        return info.context.loaders.stock_of_sku.build_now(self.record.scm_sku, total_available)

    @strawberry.field(
        graphql_type=list[PurchaseOrder] | None,
        description="SCM purchaseOrders (open) for sku; empty without a sku",
    )
    def open_purchase_orders(self, info: Info) -> Ready[list[PurchaseOrder]]:
        if not self.record.scm_sku:
            return []
        currency = info.context.config.erp_currency

        def build(records: list[PurchaseOrderRecord]) -> list[PurchaseOrder]:
            return [PurchaseOrder(record=record, currency=currency) for record in records]

        loader = info.context.loaders.open_purchase_orders_of_sku
        return loader.build_now(self.record.scm_sku, build)

    @strawberry.field(
        graphql_type=list[ProductDemand] | None,
        description="Open CRM order lines of this product (orders confirmed, in production "
        "or ready), newest order first",
    )
    def demand(self, info: Info) -> Ready[list[ProductDemand]]:
        code = self.record.default_code
        return info.context.loaders.open_orders_of_product.build_now(
            code, lambda orders: demand_lines(code, orders)
        )

    @strawberry.field(
        graphql_type=list[LazyPlan] | None,
        description="ERP mrp.production of this product still to finish (not done or cancelled)",
    )
    def production_plans(self, info: Info) -> Ready[list[ProductionPlan]]:
        from schema.production import ProductionPlan

        def build(records: list[ProductionRecord]) -> list[ProductionPlan]:
            return [ProductionPlan(record=record) for record in records]

        loader = info.context.loaders.open_plans_of_product
        return loader.build_now(self.record.default_code, build)

    @strawberry.field(
        graphql_type=Coverage | None,
        description="availableToPromise + open purchase orders + planned output - open "
        "demand, projected by date to the day the product runs short, if it does",
    )
    def coverage(self, info: Info) -> Ready[Coverage]:
        loaders = info.context.loaders
        code, sku = self.record.default_code, self.record.scm_sku
        no_sku: list[Any] = []
        parts: list[Ready[Any]] = [
            loaders.stock_of_sku.build_now(sku, _same) if sku else no_sku,
            loaders.open_purchase_orders_of_sku.build_now(sku, _same) if sku else no_sku,
            loaders.open_plans_of_product.build_now(code, _same),
            loaders.open_orders_of_product.build_now(code, _same),
        ]

        def build(values: list[Any]) -> Coverage:
            stock, purchases, plans, orders = values
            today = datetime.now(UTC).date()
            return Coverage.of(project(today, code, stock, purchases, plans, orders))

        if any(isinstance(part, Awaitable) for part in parts):
            return _gathered(parts, build)
        return build(parts)


def product_or_none(record: ProductRecord | None) -> Product | None:
    return Product(record=record) if record is not None else None


def supplier_or_none(record: SupplierRecord | None) -> Supplier | None:
    return Supplier(record=record) if record is not None else None


def inventory_of(levels: list[StockLevelRecord]) -> list[InventoryLevel]:
    return [InventoryLevel(record=level) for level in levels]


def total_available(levels: list[StockLevelRecord]) -> int:
    return sum(available_quantity(level) for level in levels)


def _same(value: object) -> object:
    return value


async def _gathered(parts: list[Ready[Any]], build: Any) -> Coverage:
    values = await asyncio.gather(
        *(part if isinstance(part, Awaitable) else _value(part) for part in parts)
    )
    return cast(Coverage, build(list(values)))


async def _value(value: object) -> object:
    return value
