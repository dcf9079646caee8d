"""Writes to the ERP and the SCM: production orders, the stock book, purchase orders.

Each is routed to its owner through a typed client method (the schema never sees
JSON-RPC or URLs) and is sent once: what makes sending one again harmless is its
business key (the ERP's ``origin``, the SCM's ``reference``), which the systems treat
as idempotency keys. After a write the cache entries it makes stale are dropped, as a
webhook of that change would (the webhook still comes and drops them again).
"""

from __future__ import annotations

import strawberry

from core.errors import InputValidationError, NotFoundError
from schema.context import Info
from schema.production import ProductionPlan
from schema.products import PurchaseOrder


@strawberry.input
class ProductionOrderInput:
    product_code: strawberry.ID
    quantity: int
    "The business key: a second call with the same origin answers the first order."
    origin: str
    "The CRM order it is made for; none when made for stock."
    sale_ref: strawberry.ID | None = None


@strawberry.input
class StockMoveInput:
    "The product by its ERP code, or by its SCM sku."

    quantity: int
    "The business key, e.g. the SCM purchase order received: booked once per origin."
    origin: str
    product_code: strawberry.ID | None = None
    sku: str | None = None
    reference: str | None = None


@strawberry.type
class StockMove:
    id: strawberry.ID
    product_code: strawberry.ID
    quantity: int
    origin: str


@strawberry.input
class PurchaseOrderInput:
    sku: str
    quantity: int
    "The business key, e.g. the ERP production order: one PO per reference."
    reference: str
    expected_at: str | None = None


def _require(problems: dict[str, str]) -> None:
    if problems:
        raise InputValidationError("the input is not valid", problems)


async def _dropped(info: Info, system: str, event: str, keys: list[str]) -> None:
    """What a webhook of this change would drop, dropped now for the next reader."""
    live = info.context.live
    if live is not None and keys:
        await live.invalidator.invalidate(system, event, keys)


@strawberry.type
class SupplyWrites:
    @strawberry.mutation(description="ERP mrp.production create, once per origin")
    async def create_production_order(
        self, info: Info, input: ProductionOrderInput
    ) -> ProductionPlan:
        _require(
            ({"quantity": "must be at least 1"} if input.quantity < 1 else {})
            | ({"origin": "must not be empty"} if not input.origin.strip() else {})
        )
        record = await info.context.clients.erp.create_production(
            origin=input.origin,
            sale_ref=str(input.sale_ref) if input.sale_ref else None,
            product_code=str(input.product_code),
            quantity=input.quantity,
        )
        await _dropped(info, "erp", "production.updated", [record.sale_ref or ""])
        return ProductionPlan(record=record)

    @strawberry.mutation(
        description="ERP stock.move create (into stock if positive), once per origin"
    )
    async def record_stock_move(self, info: Info, input: StockMoveInput) -> StockMove:
        _require(
            ({"quantity": "must not be 0"} if input.quantity == 0 else {})
            | ({"origin": "must not be empty"} if not input.origin.strip() else {})
            | (
                {"productCode": "give productCode or sku"}
                if not (input.product_code or input.sku)
                else {}
            )
        )
        erp = info.context.clients.erp
        code = str(input.product_code) if input.product_code else None
        if code is None and input.sku:
            product = (await erp.products_by_skus([input.sku])).get(input.sku)
            if product is None:
                raise NotFoundError(f"no ERP product has sku {input.sku}")
            code = product.default_code
        assert code is not None
        move_id = await erp.record_stock_move(
            product_code=code,
            quantity=input.quantity,
            origin=input.origin,
            reference=input.reference,
        )
        await _dropped(info, "erp", "product.updated", [code])
        return StockMove(
            id=strawberry.ID(str(move_id)),
            product_code=strawberry.ID(code),
            quantity=input.quantity,
            origin=input.origin,
        )

    @strawberry.mutation(description="SCM createPurchaseOrder, once per reference")
    async def create_purchase_order(self, info: Info, input: PurchaseOrderInput) -> PurchaseOrder:
        _require({"quantity": "must be at least 1"} if input.quantity < 1 else {})
        record = await info.context.clients.scm.create_purchase_order(
            sku=input.sku,
            quantity=input.quantity,
            reference=input.reference,
            expected_at=input.expected_at,
        )
        await _dropped(info, "scm", "purchase_order.updated", [record.sku])
        return PurchaseOrder(record=record, currency=info.context.config.erp_currency)

    @strawberry.mutation(
        description="SCM updatePurchaseOrder: quantity or date; quantity 0 cancels"
    )
    async def update_purchase_order(
        self,
        info: Info,
        id: strawberry.ID,
        quantity: int | None = None,
        expected_at: str | None = None,
    ) -> PurchaseOrder:
        _require({"quantity": "must be 0 or more"} if quantity is not None and quantity < 0 else {})
        record = await info.context.clients.scm.update_purchase_order(
            str(id), quantity=quantity, expected_at=expected_at
        )
        await _dropped(info, "scm", "purchase_order.updated", [record.sku])
        return PurchaseOrder(record=record, currency=info.context.config.erp_currency)

    @strawberry.mutation(description="SCM receivePurchaseOrder: goods arrived in a warehouse")
    async def receive_purchase_order(
        self, info: Info, id: strawberry.ID, warehouse: str
    ) -> PurchaseOrder:
        record = await info.context.clients.scm.receive_purchase_order(str(id), warehouse)
        await _dropped(info, "scm", "purchase_order.updated", [record.sku])
        await _dropped(info, "scm", "stock.changed", [record.sku])
        return PurchaseOrder(record=record, currency=info.context.config.erp_currency)
