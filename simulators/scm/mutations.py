"""The SCM's version 2 mutations: create, update and receive a purchase order.

Each records one call (batch 1) under its field name, checks its input (``INVALID``),
finds the order (``NOT_FOUND``) and its state (``CONFLICT``: only open orders change),
then changes the dataset and announces it: ``purchase_order.updated`` (keys: the sku;
data: the new status and the order's id) and ``stock.changed`` for the sku. A call that
changes nothing (a repeated reference) announces nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from graphql import GraphQLError

from simulators.clock import parse_rfc3339
from simulators.data.catalog import WAREHOUSES
from simulators.data.dataset import Dataset
from simulators.data.records import PurchaseOrder, StockLevel
from simulators.scm.resolvers import Info, purchase_order_json

# What a new purchase order costs when the sku was never bought from that supplier,
# as a share of the product's standard cost (its list price when it has none).
NEW_SOURCE_COST_SHARE = 0.7


def _error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _expected_at(raw: Any) -> datetime:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return parse_rfc3339(raw)
    except ValueError as error:
        raise _error("INVALID", f"expectedAt must be an RFC 3339 time, got {raw!r}") from error


def _find(dataset: Dataset, purchase_order_id: str) -> PurchaseOrder:
    purchase_order = dataset.purchase_orders_by_id.get(purchase_order_id)
    if purchase_order is None:
        raise _error("NOT_FOUND", f"no purchase order {purchase_order_id}")
    return purchase_order


def _must_be_open(purchase_order: PurchaseOrder) -> None:
    if purchase_order.status != "open":
        raise _error(
            "CONFLICT", f"purchase order {purchase_order.id} is {purchase_order.status}, not open"
        )


def _announce(info: Info, purchase_order: PurchaseOrder) -> None:
    webhooks = info.context.webhooks
    data = {"status": purchase_order.status, "ids": [purchase_order.id]}
    webhooks.emit("scm", "purchase_order.updated", [purchase_order.sku], data)
    webhooks.emit("scm", "stock.changed", [purchase_order.sku])


def _unit_cost(dataset: Dataset, sku: str, supplier_id: str) -> float:
    earlier = [
        po for po in dataset.purchase_orders_by_sku.get(sku, []) if po.supplier_id == supplier_id
    ]
    if earlier:
        return earlier[-1].unit_cost
    product = dataset.products_by_sku[sku]
    base_cost = product.standard_cost or product.list_price
    return round(base_cost * NEW_SOURCE_COST_SHARE, 2)


def create_purchase_order(_root: None, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    context = info.context
    context.stats.record(info.field_name, 1)
    dataset = context.dataset
    sku, quantity, reference = input["sku"], input["quantity"], input["reference"].strip()
    if sku not in dataset.products_by_sku:
        raise _error("INVALID", f"unknown sku {sku}")
    if quantity < 1:
        raise _error("INVALID", f"quantity must be at least 1, got {quantity}")
    if not reference:
        raise _error("INVALID", "reference must not be empty")
    supplier_id = input.get("supplierId") or dataset.preferred_suppliers.get(sku)
    supplier = None if supplier_id is None else dataset.suppliers.get(supplier_id)
    if supplier is None:
        raise _error("INVALID", f"unknown supplier {supplier_id}")
    raw_expected_at = input.get("expectedAt")
    expected_at = (
        context.now + timedelta(days=supplier.lead_time_days)
        if raw_expected_at is None
        else _expected_at(raw_expected_at)
    )
    existing = dataset.purchase_orders_by_reference.get(reference)
    if existing is not None:
        return purchase_order_json(existing)
    purchase_order = PurchaseOrder(
        id=dataset.next_purchase_order_id(),
        supplier_id=supplier.id,
        sku=sku,
        quantity=quantity,
        unit_cost=_unit_cost(dataset, sku, supplier.id),
        expected_at=expected_at,
        status="open",
        reference=reference,
    )
    dataset.add_purchase_order(purchase_order)
    _announce(info, purchase_order)
    return purchase_order_json(purchase_order)


def update_purchase_order(
    _root: None,
    info: Info,
    id: str,
    quantity: int | None = None,
    expectedAt: str | None = None,
) -> dict[str, Any]:
    context = info.context
    context.stats.record(info.field_name, 1)
    purchase_order = _find(context.dataset, id)
    if quantity is not None and quantity < 0:
        raise _error("INVALID", f"quantity must be 0 (cancel) or more, got {quantity}")
    expected_at = None if expectedAt is None else _expected_at(expectedAt)
    _must_be_open(purchase_order)
    if quantity == 0:
        purchase_order.status = "cancelled"
    elif quantity is not None:
        purchase_order.quantity = quantity
    if expected_at is not None:
        purchase_order.expected_at = expected_at
    if quantity is not None or expected_at is not None:
        _announce(info, purchase_order)
    return purchase_order_json(purchase_order)


def receive_purchase_order(_root: None, info: Info, id: str, warehouse: str) -> dict[str, Any]:
    context = info.context
    context.stats.record(info.field_name, 1)
    dataset = context.dataset
    purchase_order = _find(dataset, id)
    if warehouse not in WAREHOUSES:
        raise _error("INVALID", f"unknown warehouse {warehouse}; one of {', '.join(WAREHOUSES)}")
    _must_be_open(purchase_order)
    level = next(
        (
            held
            for held in dataset.stock_by_sku.get(purchase_order.sku, [])
            if held.warehouse == warehouse
        ),
        None,
    )
    if level is None:
        level = StockLevel(
            sku=purchase_order.sku,
            warehouse=warehouse,
            on_hand=0,
            reserved=0,
            in_transit=0,
            reorder_point=0,  # a new location has no reorder policy yet
            updated_at=context.now,
        )
        dataset.add_stock_level(level)
    level.on_hand += purchase_order.quantity
    # The goods were on their way; what arrived is no longer in transit.
    level.in_transit = max(0, level.in_transit - purchase_order.quantity)
    level.updated_at = context.now
    purchase_order.status = "received"
    _announce(info, purchase_order)
    return purchase_order_json(purchase_order)


MUTATION_RESOLVERS: dict[str, Callable[..., dict[str, Any]]] = {
    "createPurchaseOrder": create_purchase_order,
    "updatePurchaseOrder": update_purchase_order,
    "receivePurchaseOrder": receive_purchase_order,
}
