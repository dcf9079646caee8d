"""Products (ERP) with their stock and purchase orders (SCM)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.loaders import Ready
from resolvers.records import (
    ProductRecord,
    PurchaseOrderRecord,
    StockLevelRecord,
    SupplierRecord,
)
from schema.context import Info
from schema.money import Money, money, required_money


def available_quantity(level: StockLevelRecord) -> int:
    """What a warehouse can promise: stock not already reserved, never below zero."""
    return max(level.on_hand - level.reserved, 0)


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
        return money(self.record.list_price, info.context.settings.erp_currency)

    @strawberry.field
    def standard_cost(self, info: Info) -> Money | None:
        return money(self.record.standard_cost, info.context.settings.erp_currency)

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
        currency = info.context.settings.erp_currency

        def build(records: list[PurchaseOrderRecord]) -> list[PurchaseOrder]:
            return [PurchaseOrder(record=record, currency=currency) for record in records]

        loader = info.context.loaders.open_purchase_orders_of_sku
        return loader.build_now(self.record.scm_sku, build)


def product_or_none(record: ProductRecord | None) -> Product | None:
    return Product(record=record) if record is not None else None


def supplier_or_none(record: SupplierRecord | None) -> Supplier | None:
    return Supplier(record=record) if record is not None else None


def inventory_of(levels: list[StockLevelRecord]) -> list[InventoryLevel]:
    return [InventoryLevel(record=level) for level in levels]


def total_available(levels: list[StockLevelRecord]) -> int:
    return sum(available_quantity(level) for level in levels)
