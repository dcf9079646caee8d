"""``generate_dataset(seed)``: the whole believable manufacturer, the same every run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulators.clock import REFERENCE_NOW
from simulators.data.dataset import Dataset
from simulators.data.generate_catalog import (
    generate_products,
    generate_purchase_orders,
    generate_stock_levels,
    generate_suppliers,
)
from simulators.data.generate_fulfilment import (
    generate_invoices,
    generate_productions,
    generate_shipments,
)
from simulators.data.generate_orders import generate_orders
from simulators.data.generate_parties import (
    generate_customers,
    generate_partners,
    settle_customer_dates,
)
from simulators.data.generate_stock_book import generate_stock_moves
from simulators.data.randomness import sub_rng

DEFAULT_SEED = 42


@dataclass(frozen=True)
class DatasetSize:
    customers: int = 600
    orders: int = 6000
    products: int = 300


def generate_dataset(
    seed: int = DEFAULT_SEED, size: DatasetSize | None = None, now: datetime = REFERENCE_NOW
) -> Dataset:
    size = size or DatasetSize()
    products = generate_products(sub_rng(seed, "products"), size.products)
    stock_levels = generate_stock_levels(sub_rng(seed, "stock"), products, now)
    suppliers = generate_suppliers(sub_rng(seed, "suppliers"))
    purchase_orders = generate_purchase_orders(
        sub_rng(seed, "purchase_orders"), products, suppliers, now
    )
    customers = generate_customers(sub_rng(seed, "customers"), size.customers, now)
    orders, timelines = generate_orders(
        sub_rng(seed, "orders"), size.orders, customers, products, now
    )
    first_order_at: dict[str, datetime] = {}
    for order in orders:  # orders come oldest first
        first_order_at.setdefault(order.customer_id, order.created_at)
    settle_customer_dates(sub_rng(seed, "customer_dates"), customers, first_order_at, now)

    products_by_code = {p.default_code: p for p in products}
    customers_by_id = {c.id: c for c in customers}
    dataset = Dataset(
        seed=seed,
        customers=customers_by_id,
        orders={o.id: o for o in orders},
        products=products_by_code,
        stock_levels=stock_levels,
        suppliers={s.id: s for s in suppliers},
        purchase_orders=purchase_orders,
    )
    dataset.reindex()
    # The stock book opens with the SCM's stock, so it is generated from the indexed levels.
    dataset.stock_moves = generate_stock_moves(
        sub_rng(seed, "stock_book"), products, dataset.stock_by_sku, now
    )
    # A sku's first purchase order names the supplier it is normally bought from.
    for purchase_order in purchase_orders:
        dataset.preferred_suppliers.setdefault(purchase_order.sku, purchase_order.supplier_id)
    dataset.productions = generate_productions(
        sub_rng(seed, "productions"), orders, timelines, products_by_code, now
    )
    dataset.invoices = generate_invoices(
        sub_rng(seed, "invoices"), orders, timelines, customers_by_id, now
    )
    dataset.shipments = generate_shipments(
        sub_rng(seed, "shipments"),
        orders,
        timelines,
        customers_by_id,
        products_by_code,
        dataset.stock_by_sku,
        now,
    )
    partners = generate_partners(sub_rng(seed, "partners"), customers, dataset.invoices)
    dataset.partners = {p.ref: p for p in partners}
    dataset.reindex()
    return dataset
