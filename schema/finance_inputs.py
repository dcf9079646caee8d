"""Loading what the finance rules read, for many orders at once, through the loaders.

Two levels: the orders' production orders (ERP, by sale_ref) and their lines' products
(ERP, by default_code) side by side; then the purchase orders (SCM, every status) of the
skus of the lines that turned out to be bought. Each is one batch per level, split at
the upstream's limits (200 sale_refs or codes per ERP call, 250 skus per SCM call).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core.records import OrderRecord
from resolvers.loaders import Loaders
from schema.finance_rules import CostInputs, skus_to_price


async def load_cost_inputs(loaders: Loaders, orders: Sequence[OrderRecord]) -> CostInputs:
    """Everything ``line_costs`` needs for ``orders``; an upstream failure raises."""
    ids = list(dict.fromkeys(order.id for order in orders))
    codes = list(dict.fromkeys(line.product_code for order in orders for line in order.lines))
    plans, products = await asyncio.gather(
        loaders.plans_of_order.load_many(ids), loaders.product.load_many(codes)
    )
    priced = CostInputs(
        dict(zip(ids, plans, strict=True)), dict(zip(codes, products, strict=True)), {}
    )
    skus = skus_to_price(orders, priced)
    purchase_orders = await loaders.purchase_orders_of_sku.load_many(skus) if skus else []
    return CostInputs(
        priced.plans_of_order,
        priced.products,
        dict(zip(skus, purchase_orders, strict=True)),
    )


def settled_cost_inputs(loaders: Loaders, order: OrderRecord) -> CostInputs | None:
    """The inputs of one order if its loaders hold them all already (a prefetch loaded
    them), so that the field resolves without awaiting; else None."""
    settled, plans = loaders.plans_of_order.peek(order.id)
    if not settled or plans is None:
        return None
    products = {}
    for line in order.lines:
        settled, product = loaders.product.peek(line.product_code)
        if not settled:
            return None
        products[line.product_code] = product
    partial = CostInputs({order.id: plans}, products, {})
    purchase_orders = {}
    for sku in skus_to_price([order], partial):
        settled, found = loaders.purchase_orders_of_sku.peek(sku)
        if not settled or found is None:
            return None
        purchase_orders[sku] = found
    return CostInputs(partial.plans_of_order, products, purchase_orders)
