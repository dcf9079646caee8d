"""Writes: placing and cancelling orders in the CRM. Never retried automatically."""

from __future__ import annotations

from datetime import date

import strawberry

from gateway.errors import InputValidationError, NotFoundError
from schema.access import ensure_own_customer
from schema.context import Info
from schema.orders import Order
from schema.products import available_quantity


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


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Creates the order in the CRM; warns (does not fail) where a line exceeds "
        "availableToPromise, naming the product code"
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        ensure_own_customer(info, str(input.customer_id))
        warnings = await validate_order_input(info, input)
        record = await info.context.clients.crm.create_order(
            customer_id=str(input.customer_id),
            lines=[(str(line.product_code), line.quantity) for line in input.lines],
            requested_date=input.requested_date,
        )
        info.context.loaders.order.prime(record.id, record)
        return PlaceOrderPayload(order=Order(record=record), warnings=warnings)

    @strawberry.mutation
    async def cancel_order(self, info: Info, id: strawberry.ID) -> Order:
        if info.context.viewer.is_customer:
            existing = await info.context.loaders.order.load(str(id))
            if existing is None:
                raise NotFoundError(f"order {id} does not exist")
            ensure_own_customer(info, existing.customer_id)
        record = await info.context.clients.crm.cancel_order(str(id))
        return Order(record=record)
