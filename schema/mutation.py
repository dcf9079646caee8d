"""Writes: placing and cancelling orders in the CRM.

Never retried automatically (a retry could place an order twice); a client that retries
sends an ``Idempotency-Key`` header and gets the first answer back (``schema.write_once``).
After a write, the cached copies it makes stale are dropped (the order, its customer's
order lists) and subscribers of the order are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import strawberry

from cache.codec import ValueCodec, codec_for
from core.errors import InputValidationError
from core.records import OrderRecord
from schema.access import ensure_own_customer, ensure_visible
from schema.context import Info
from schema.orders import Order
from schema.products import available_quantity
from schema.supply_writes import SupplyWrites
from schema.write_once import write_once


@strawberry.input
class OrderLineInput:
    product_code: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    customer_id: strawberry.ID
    lines: list[OrderLineInput]
    requested_date: date | None = None


@strawberry.type
class PlaceOrderPayload:
    order: Order
    warnings: list[str]


async def validate_order_input(info: Info, order: PlaceOrderInput) -> list[str]:
    """Check the input against the CRM and ERP before writing; return stock warnings."""
    problems: dict[str, str] = {}
    if not order.lines:
        problems["lines"] = "an order needs at least one line"
    for index, line in enumerate(order.lines):
        if line.quantity < 1:
            problems[f"lines.{index}.quantity"] = "must be at least 1"
    loaders = info.context.loaders
    codes = [str(line.product_code) for line in order.lines]
    customer = await loaders.customer.load(str(order.customer_id))
    products = await loaders.product.load_many(codes)
    if customer is None:
        problems["customerId"] = f"unknown customer {order.customer_id}"
    for index, (code, product) in enumerate(zip(codes, products, strict=True)):
        if product is None:
            problems[f"lines.{index}.productCode"] = f"unknown product {code}"
    if problems:
        raise InputValidationError("the order is not valid", problems)

    warnings = []
    skus = [product.scm_sku if product else None for product in products]
    stock = await loaders.stock_of_sku.load_many([sku for sku in skus if sku])
    stock_of = dict(zip([sku for sku in skus if sku], stock, strict=True))
    for line, code, sku in zip(order.lines, codes, skus, strict=True):
        promised = sum(available_quantity(level) for level in stock_of.get(sku, [])) if sku else 0
        if line.quantity > promised:
            warnings.append(
                f"{code}: quantity {line.quantity} exceeds availableToPromise {promised}"
            )
    return warnings


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """What ``placeOrder`` answered, as kept for a retry with the same Idempotency-Key."""

    order: OrderRecord
    warnings: tuple[str, ...]


PLACED_ORDER: ValueCodec[PlacedOrder] = codec_for(PlacedOrder)
ORDER: ValueCodec[OrderRecord] = codec_for(OrderRecord)


def arguments_of(order: PlaceOrderInput) -> dict[str, object]:
    return {
        "customerId": str(order.customer_id),
        "lines": [[str(line.product_code), line.quantity] for line in order.lines],
        "requestedDate": order.requested_date,
    }


async def order_written(info: Info, record: OrderRecord) -> None:
    """The rest of this request sees the new state; later ones find no stale copy."""
    info.context.loaders.order.clear(record.id).prime(record.id, record)
    # What this request read before must not land in the cache after the invalidation.
    await info.context.write_backs.settle()
    if info.context.live is not None:
        await info.context.live.order_written(record.id, record.customer_id)


@strawberry.type
class Mutation(SupplyWrites):
    @strawberry.mutation(
        description="Creates the order in the CRM; warns (does not fail) where a line exceeds "
        "availableToPromise, naming the product code"
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        ensure_own_customer(info, str(input.customer_id))

        async def place() -> PlacedOrder:
            warnings = await validate_order_input(info, input)
            record = await info.context.clients.crm.create_order(
                customer_id=str(input.customer_id),
                lines=[(str(line.product_code), line.quantity) for line in input.lines],
                requested_date=input.requested_date,
            )
            await order_written(info, record)
            return PlacedOrder(record, tuple(warnings))

        placed = await write_once(info, arguments_of(input), PLACED_ORDER, place)
        return PlaceOrderPayload(order=Order(record=placed.order), warnings=list(placed.warnings))

    @strawberry.mutation
    async def cancel_order(self, info: Info, id: strawberry.ID) -> Order:
        order_id = str(id)
        if info.context.viewer.is_customer:
            # Unknown and another customer's order: the same NOT_FOUND, before any write.
            existing = await info.context.loaders.order.load(order_id)
            owner = existing.customer_id if existing is not None else None
            ensure_visible(info, "order", owner)

        async def cancel() -> OrderRecord:
            # The CRM's 404 and 409 come as NotFoundError and ConflictError.
            record = await info.context.clients.crm.cancel_order(order_id)
            await order_written(info, record)
            return record

        return Order(record=await write_once(info, {"id": order_id}, ORDER, cancel))
