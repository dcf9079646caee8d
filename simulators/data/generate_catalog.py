"""Products (ERP), stock levels, suppliers and purchase orders (SCM)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from simulators.data import showcase
from simulators.data.catalog import PRODUCT_FAMILIES, SUPPLIER_NAMES, WAREHOUSES
from simulators.data.randomness import chance, moment_between, weighted
from simulators.data.records import (
    Product,
    PurchaseOrder,
    PurchaseOrderStatus,
    StockLevel,
    Supplier,
)

FIRST_PRODUCT_NUMBER = 1001
REVISIONS = ("", " Mk II", " Mk III", " Mk IV", " Mk V", " Mk VI")


def _nice_price(raw: float) -> float:
    """Prices a sales team would print: halves under 100, whole euros above."""
    if raw < 100:
        return round(raw * 2) / 2
    return float(round(raw))


def generate_products(rng: random.Random, count: int) -> list[Product]:
    taken_names: set[str] = set()
    products: list[Product] = []
    for index in range(count):
        number = FIRST_PRODUCT_NUMBER + index
        family = PRODUCT_FAMILIES[index % len(PRODUCT_FAMILIES)]
        variant_index = rng.randrange(len(family.variants))
        material = rng.choice(family.materials)
        base_name = f"{family.name} {family.variants[variant_index]} ({material})"
        name = next(
            (base_name + rev for rev in REVISIONS if base_name + rev not in taken_names),
            f"{base_name} #{number}",
        )
        taken_names.add(name)
        low, high = family.price_range
        # Bigger variants cost more; the spread keeps neighbours from looking identical.
        position = variant_index / max(1, len(family.variants) - 1)
        list_price = _nice_price((low + (high - low) * position) * rng.uniform(0.88, 1.12))
        standard_cost = (
            None if chance(rng, 0.05) else round(list_price * rng.uniform(0.42, 0.72), 2)
        )
        variant_letter = weighted(rng, ("A", "B", "C"), (70, 20, 10))
        scm_sku = None if chance(rng, 0.08) else f"SKU-{number}-{variant_letter}"
        products.append(
            Product(
                id=index + 1,
                default_code=f"P-{number}",
                name=name,
                list_price=list_price,
                standard_cost=standard_cost,
                uom=family.uom,
                scm_sku=scm_sku,
                active=not chance(rng, 0.04),
            )
        )
    _force_showcase_products({p.default_code: p for p in products})
    return products


def _force_showcase_products(products: dict[str, Product]) -> None:
    def number(code: str) -> str:
        return code.removeprefix("P-")

    complete = products[showcase.PRODUCT_COMPLETE]
    complete.active = True
    complete.scm_sku = f"SKU-{number(complete.default_code)}-A"
    complete.standard_cost = complete.standard_cost or round(complete.list_price * 0.55, 2)
    products[showcase.PRODUCT_WITHOUT_SCM_SKU].scm_sku = None
    products[showcase.PRODUCT_WITHOUT_SCM_SKU].active = True
    without_cost = products[showcase.PRODUCT_WITHOUT_STANDARD_COST]
    without_cost.standard_cost = None
    without_cost.active = True
    without_cost.scm_sku = without_cost.scm_sku or f"SKU-{number(without_cost.default_code)}-A"
    inactive = products[showcase.PRODUCT_INACTIVE]
    inactive.active = False
    inactive.scm_sku = inactive.scm_sku or f"SKU-{number(inactive.default_code)}-A"
    inactive.standard_cost = inactive.standard_cost or round(inactive.list_price * 0.6, 2)


def generate_stock_levels(
    rng: random.Random, products: list[Product], now: datetime
) -> list[StockLevel]:
    levels: list[StockLevel] = []
    for product in products:
        if product.scm_sku is None:
            continue
        warehouse_count = weighted(rng, (1, 2, 3, 4), (25, 35, 28, 12))
        # Keep the warehouses in a fixed order: the SCM answers in a stable order.
        warehouses = sorted(rng.sample(WAREHOUSES, warehouse_count), key=WAREHOUSES.index)
        for warehouse in warehouses:
            on_hand = 0 if chance(rng, 0.1) else rng.randint(1, 420)
            levels.append(
                StockLevel(
                    sku=product.scm_sku,
                    warehouse=warehouse,
                    on_hand=on_hand,
                    reserved=rng.randint(0, min(on_hand, 60)),
                    in_transit=0 if chance(rng, 0.7) else rng.randint(5, 120),
                    reorder_point=rng.randint(5, 60),
                    updated_at=moment_between(rng, now - timedelta(days=14), now),
                )
            )
    return levels


def generate_suppliers(rng: random.Random) -> list[Supplier]:
    return [
        Supplier(
            id=f"SUP-{index:03d}",
            name=name,
            country=country,
            on_time_rate=round(rng.uniform(0.72, 0.99), 2),
            lead_time_days=rng.randint(7, 75),
        )
        for index, (name, country) in enumerate(SUPPLIER_NAMES, start=1)
    ]


def generate_purchase_orders(
    rng: random.Random, products: list[Product], suppliers: list[Supplier], now: datetime
) -> list[PurchaseOrder]:
    purchase_orders: list[PurchaseOrder] = []
    statuses: tuple[PurchaseOrderStatus, ...] = ("open", "received", "cancelled")
    for product in products:
        if product.scm_sku is None:
            continue
        supplier = rng.choice(suppliers)
        for _ in range(weighted(rng, (1, 2, 3), (40, 40, 20))):
            status = weighted(rng, statuses, (40, 50, 10))
            if status == "open":
                expected_at = moment_between(rng, now + timedelta(days=2), now + timedelta(days=60))
            elif status == "received":
                expected_at = moment_between(
                    rng, now - timedelta(days=200), now - timedelta(days=3)
                )
            else:
                expected_at = moment_between(
                    rng, now - timedelta(days=90), now + timedelta(days=30)
                )
            base_cost = product.standard_cost or product.list_price * 0.6
            purchase_orders.append(
                PurchaseOrder(
                    id=f"PO-{len(purchase_orders) + 1:06d}",
                    supplier_id=supplier.id,
                    sku=product.scm_sku,
                    quantity=rng.randint(1, 50) * 10,
                    unit_cost=round(base_cost * rng.uniform(0.55, 0.85), 2),
                    expected_at=expected_at,
                    status=status,
                )
            )
            # Now and then a second source for the same part.
            if chance(rng, 0.2):
                supplier = rng.choice(suppliers)
    return purchase_orders
