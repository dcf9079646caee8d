"""The ERP's stock book as seeded: an opening balance per product and a little history.

Each product opens, 30 days before "now", with what the SCM holds of its sku across all
warehouses (so the ERP's ``qty_available`` and the SCM's stock start out agreeing), or
with a random count when it has no sku. A few receipts and issues follow, which cancel
out, so ``qty_available`` still equals the opening balance but the book has a history.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from simulators.data.randomness import chance, moment_between
from simulators.data.records import Product, StockLevel, StockMove


def generate_stock_moves(
    rng: random.Random,
    products: Sequence[Product],
    stock_by_sku: Mapping[str, Sequence[StockLevel]],
    now: datetime,
) -> list[StockMove]:
    moves: list[StockMove] = []
    opened_at = now - timedelta(days=30)

    def add(code: str, quantity: float, at: datetime, reference: str) -> None:
        move_id = len(moves) + 1
        moves.append(
            StockMove(
                id=move_id,
                product_code=code,
                quantity=quantity,
                origin=None,
                date=at,
                reference=f"{reference}/{move_id:05d}",
            )
        )

    for product in products:
        if product.scm_sku is not None:
            opening = sum(level.on_hand for level in stock_by_sku.get(product.scm_sku, []))
        else:
            opening = rng.randint(0, 240)
        add(product.default_code, float(opening), opened_at, "OPEN")
    for product in products:
        if not chance(rng, 0.3):
            continue
        quantity = float(rng.randint(1, 20) * 5)
        received_at = moment_between(rng, opened_at, now - timedelta(days=2))
        add(product.default_code, quantity, received_at, "WH/IN")
        add(
            product.default_code,
            -quantity,
            moment_between(rng, received_at, now - timedelta(days=1)),
            "WH/OUT",
        )
    return moves
