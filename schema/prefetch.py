"""Loading a query's joins a level at a time, before graphql-core walks the objects.

Left to itself, graphql-core reaches each order's ``productionPlans``, each line's
``product`` … one object at a time, and each such field is a coroutine awaiting a
dataloader future: the 50-customer dashboard resolves ~7,400 of them. The dataloaders
still batch the upstream calls, but the gateway spends most of its CPU switching between
those coroutines. So a root resolver calls these functions with the records it is about
to return and what the query selects below them: each level's keys go to the loaders at
once (the same batches, so the same upstream calls), and the fields then find their
values settled and resolve without awaiting (``RequestLoader.build_now``).

Only what the query selects and the viewer may see is loaded. A failure is not raised
here: the fields that need the failed keys raise it themselves, so the error lands on
their path and the rest of the answer still comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from core.records import (
    CustomerRecord,
    OrderRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
)
from resolvers.loaders import RequestLoader
from schema.access import permits
from schema.context import GatewayContext
from schema.finance_inputs import load_cost_inputs
from schema.lookahead import Selection

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")
RecordT = TypeVar("RecordT", contravariant=True)

# A level with nothing below it is waited for only past this many keys (see _leaf).
WAIT_FOR_LEAVES_OVER = 50

# The joins customers() below loads for a customer; with none selected, a customer is a leaf.
CUSTOMER_JOINS = ("account", "orders", "lifetimeValue")

# The fields of OrderTracking computed from the order's plans and shipments.
TRACKING_FIELDS_FROM_PLANS = ("stage", "progress", "estimatedDelivery", "timeline")


async def customers(
    context: GatewayContext, records: Sequence[CustomerRecord], selection: Selection
) -> None:
    loaders = context.loaders
    if not records:
        return
    jobs: list[Awaitable[object]] = []
    if "account" in selection and _may(context, "Customer", "account"):
        refs = _unique(record.erp_account for record in records if record.erp_account)
        jobs.append(_leaf(loaders.account, refs))
    if selection.any_of("orders", "lifetimeValue"):
        jobs.append(_orders_of_customers(context, records, selection))
    await _settle(jobs)


async def _orders_of_customers(
    context: GatewayContext, records: Sequence[CustomerRecord], selection: Selection
) -> None:
    wanted: list[tuple[tuple[str, str | None], int | None]] = []
    for arguments in selection.arguments("orders"):
        status = arguments.get("status")
        status_value = None if status is None else str(getattr(status, "value", status))
        first = arguments.get("first")
        wanted += [((record.id, status_value), first) for record in records]
    keys = [key for key, _ in wanted]
    if "lifetimeValue" in selection:
        keys += [(record.id, None) for record in records]
    lists = await _loaded(context.loaders.orders_of_customer, _unique(keys))
    shown: dict[str, OrderRecord] = {}
    for key, first in wanted:
        found = lists.get(key, [])
        for order in found if first is None else found[: max(first, 0)]:
            shown[order.id] = order
    await orders(context, list(shown.values()), selection["orders"])


async def orders(
    context: GatewayContext, records: Sequence[OrderRecord], selection: Selection
) -> None:
    loaders = context.loaders
    if not records:
        return
    ids = [record.id for record in records]
    # Batches that the next level waits on go out first; leaves after them.
    jobs: list[Awaitable[object]] = []
    lines = selection["lines"]
    line_products = "product" in lines and _may(context, "OrderLine", "product")
    if line_products or ("margin" in selection and _may(context, "Order", "margin")):
        codes = _unique(line.product_code for record in records for line in record.lines)
        jobs.append(_then(loaders.product, codes, products, context, lines["product"]))
    if "customer" in selection:
        customer_ids = _unique(record.customer_id for record in records)
        below = selection["customer"]
        if below.any_of(*CUSTOMER_JOINS):
            jobs.append(_then(loaders.customer, customer_ids, customers, context, below))
        else:
            jobs.append(_leaf(loaders.customer, customer_ids))
    if "productionPlans" in selection and _may(context, "Order", "productionPlans"):
        jobs.append(
            _then_flat(loaders.plans_of_order, ids, plans, context, selection["productionPlans"])
        )
    if "shipments" in selection and _may(context, "Order", "shipments"):
        jobs.append(
            _then_flat(loaders.shipments_of_order, ids, shipments, context, selection["shipments"])
        )
    if "invoices" in selection and _may(context, "Order", "invoices"):
        jobs.append(_leaf(loaders.invoices_of_order, ids))
    if "finance" in selection and _may(context, "Order", "finance"):
        # Plans and products, then the purchase orders of the lines found to be bought.
        jobs.append(load_cost_inputs(loaders, records))
    await _settle(jobs)


async def products(
    context: GatewayContext, records: Sequence[ProductRecord], selection: Selection
) -> None:
    loaders = context.loaders
    if not records:
        return
    skus = _unique(record.scm_sku for record in records if record.scm_sku)
    codes = _unique(record.default_code for record in records)
    jobs: list[Awaitable[object]] = []
    coverage = "coverage" in selection and _may(context, "Product", "coverage")
    # Demand and plans first: the orders and plans below them wait on them.
    if "demand" in selection and _may(context, "Product", "demand"):
        below = selection["demand"]["order"]
        jobs.append(_then_flat(loaders.open_orders_of_product, codes, orders, context, below))
    elif coverage:
        jobs.append(_loaded(loaders.open_orders_of_product, codes))
    if "productionPlans" in selection and _may(context, "Product", "productionPlans"):
        below = selection["productionPlans"]
        jobs.append(_then_flat(loaders.open_plans_of_product, codes, plans, context, below))
    elif coverage:
        jobs.append(_loaded(loaders.open_plans_of_product, codes))
    # Purchase orders first: their suppliers wait on them, nothing waits on the stock.
    if "openPurchaseOrders" in selection and _may(context, "Product", "openPurchaseOrders"):
        jobs.append(
            _then_flat(
                loaders.open_purchase_orders_of_sku,
                skus,
                purchase_orders,
                context,
                selection["openPurchaseOrders"],
            )
        )
    elif coverage:
        jobs.append(_leaf(loaders.open_purchase_orders_of_sku, skus))
    if (
        coverage
        or ("inventory" in selection and _may(context, "Product", "inventory"))
        or ("availableToPromise" in selection and _may(context, "Product", "availableToPromise"))
    ):
        jobs.append(_leaf(loaders.stock_of_sku, skus))
    await _settle(jobs)


async def purchase_orders(
    context: GatewayContext, records: Sequence[PurchaseOrderRecord], selection: Selection
) -> None:
    if not records:
        return
    if "supplier" in selection and _may(context, "PurchaseOrder", "supplier"):
        await _leaf(context.loaders.supplier, _unique(r.supplier_id for r in records))


async def plans(
    context: GatewayContext, records: Sequence[ProductionRecord], selection: Selection
) -> None:
    loaders = context.loaders
    if not records:
        return
    jobs: list[Awaitable[object]] = []
    if "product" in selection and _may(context, "ProductionPlan", "product"):
        codes = _unique(record.product_code for record in records if record.product_code)
        jobs.append(_then(loaders.product, codes, products, context, selection["product"]))
    if "order" in selection and _may(context, "ProductionPlan", "order"):
        refs = _unique(record.sale_ref for record in records if record.sale_ref)
        jobs.append(_then(loaders.order, refs, orders, context, selection["order"]))
    await _settle(jobs)


async def shipments(
    context: GatewayContext, records: Sequence[ShipmentRecord], selection: Selection
) -> None:
    if not records:
        return
    if "order" in selection and _may(context, "Shipment", "order"):
        refs = _unique(record.order_ref for record in records)
        await _then(context.loaders.order, refs, orders, context, selection["order"])


def tracking_joins(context: GatewayContext, order_id: str, selection: Selection) -> None:
    """Start loading what an order's tracking view needs beside the order itself.

    Plans, shipments and invoices are keyed by the order's id, which the client already
    gave, so they need not wait for the CRM's answer: the view costs one round trip
    less. The loads are only started; the fields await or read them.
    """
    loaders = context.loaders
    wanted = [
        name
        for name in TRACKING_FIELDS_FROM_PLANS
        if name in selection and _may(context, "OrderTracking", name)
    ]
    # A token refused every derived field costs its ERP and SCM nothing.
    if not wanted:
        return
    loaders.plans_of_order.load(order_id)
    loaders.shipments_of_order.load(order_id)
    if "timeline" in wanted:
        loaders.invoices_of_order.load(order_id)


def _may(context: GatewayContext, type_name: str, field_name: str) -> bool:
    return permits(context.viewer, type_name, field_name)


async def _settle(jobs: list[Awaitable[object]]) -> None:
    if jobs:
        await asyncio.gather(*jobs, return_exceptions=True)


async def _leaf(loader: RequestLoader[KeyT, ValueT], keys: list[KeyT]) -> None:
    """Load ``keys``, which nothing further below needs; wait only when there are many.

    A few keys are only started: the fields that read them await them, and graphql-core
    completes the rest of the answer while they are in flight instead of after (the
    tail of a cold availability query: ~1.5 ms). Many are waited for: that many fields
    awaiting one by one would cost more than the wait (see the module's docstring).
    """
    if len(keys) > WAIT_FOR_LEAVES_OVER:
        await _loaded(loader, keys)
        return
    for future in [loader.load(key) for key in keys]:
        # Errors reach the fields that read these keys; nothing is lost unobserved.
        future.add_done_callback(_observe)


def _observe(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _loaded(loader: RequestLoader[KeyT, ValueT], keys: list[KeyT]) -> dict[KeyT, ValueT]:
    """What ``loader`` gives for ``keys``, leaving out the keys whose batch failed."""
    values = await asyncio.gather(*(loader.load(key) for key in keys), return_exceptions=True)
    return {
        key: value
        for key, value in zip(keys, values, strict=True)
        if not isinstance(value, BaseException)
    }


async def _then(
    loader: RequestLoader[KeyT, ValueT | None],
    keys: list[KeyT],
    below: _Prefetch[ValueT],
    context: GatewayContext,
    selection: Selection,
) -> None:
    found = await _loaded(loader, keys)
    await below(context, [value for value in found.values() if value is not None], selection)


async def _then_flat(
    loader: RequestLoader[KeyT, list[ValueT]],
    keys: list[KeyT],
    below: _Prefetch[ValueT],
    context: GatewayContext,
    selection: Selection,
) -> None:
    found = await _loaded(loader, keys)
    await below(context, [value for values in found.values() for value in values], selection)


def _unique(keys: Iterable[KeyT]) -> list[KeyT]:
    return list(dict.fromkeys(keys))


class _Prefetch(Protocol[RecordT]):
    def __call__(
        self, context: GatewayContext, records: Sequence[RecordT], selection: Selection, /
    ) -> Awaitable[None]: ...
