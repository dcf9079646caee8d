"""Every GraphQL field that joins records from a loader, in one table: what prefetch walks.

A row is one field of one type: the joins it reads (a loader, by its name in
``context.loaders``) with how each one's keys come from the parent record; whether a
key's value is one record or a list of them; and the object type below, whose rows the
walk continues with (``schema/prefetch.py``). A field whose records are at hand
(``Order.lines``) is a row too, with ``within`` instead of a read, so that the walk
reaches the joins below it. The two fields that are more than keys -> loader (a
customer's ``orders`` with its arguments, an order's ``finance`` over two levels) carry a
small loading function of their own.

Adding a join field: its row here, beside its join's row in the loaders. A test fails
when a field whose resolver reads a loader has no row (tests/schema/test_join_fields.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from core.records import (
    CustomerRecord,
    OrderLineRecord,
    OrderRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
)
from schema.finance_inputs import load_cost_inputs

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from schema.viewer import Viewer

ParentT = TypeVar("ParentT")
KeyT = TypeVar("KeyT", bound=Hashable)


class FieldWalk(Protocol):
    """What the walk offers a row's own loading function, for one field of one level."""

    @property
    def loaders(self) -> Loaders: ...

    @property
    def viewer(self) -> Viewer: ...

    def arguments(self) -> list[dict[str, Any]]:
        """The field's arguments at each place the query selects it."""
        ...

    async def loaded(self, join: str, keys: list[KeyT]) -> dict[KeyT, Any]:
        """What ``join`` gives for ``keys``, leaving out the keys whose batch failed."""
        ...

    async def below(self, records: Sequence[Any]) -> None:
        """Walk on below the field, with these records of the type below."""
        ...


@dataclass(frozen=True, slots=True)
class Read(Generic[ParentT]):
    join: str  # the loader's name in context.loaders
    keys: Callable[[ParentT], Iterable[Hashable]]  # a parent's keys; none: nothing to read


@dataclass(frozen=True, slots=True)
class OwnLoad(Generic[ParentT]):
    joins: tuple[str, ...]  # the loaders it reads, for the tests that check the names
    load: Callable[[FieldWalk, Sequence[ParentT]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class JoinField(Generic[ParentT]):
    """One row; exactly one of ``reads``, ``within`` and ``own`` says how it loads."""

    type_name: str
    field_name: str
    reads: tuple[Read[ParentT], ...] = ()
    many: bool = False  # a key's value is a list of records, not one record or None
    below: str | None = None  # the object type the records read are, walked on
    within: Callable[[ParentT], Iterable[Any]] | None = None  # records at hand: no read
    own: OwnLoad[ParentT] | None = None

    @property
    def joins(self) -> tuple[str, ...]:
        own = self.own.joins if self.own is not None else ()
        return tuple(read.join for read in self.reads) + own


def present(*keys: Hashable | None) -> tuple[Hashable, ...]:
    """The keys that are there: a record without one joins nothing."""
    return tuple(key for key in keys if key)


def erp_account_of(customer: CustomerRecord) -> tuple[Hashable, ...]:
    return present(customer.erp_account)


def all_orders_of(customer: CustomerRecord) -> tuple[Hashable, ...]:
    # No status: every order, as lifetimeValue sums them (less the cancelled ones).
    return ((customer.id, None),)


async def orders_shown(walk: FieldWalk, customers: Sequence[CustomerRecord]) -> None:
    """Each place ``orders`` is selected, with its own ``status`` and ``first``: its keys,
    then the walk below the orders that place shows (``first`` of them, not every one)."""
    wanted: list[tuple[tuple[str, str | None], int | None]] = []
    for arguments in walk.arguments():
        status = arguments.get("status")
        status_value = None if status is None else str(getattr(status, "value", status))
        first = arguments.get("first")
        wanted += [((customer.id, status_value), first) for customer in customers]
    lists = await walk.loaded("orders_of_customer", list(dict.fromkeys(k for k, _ in wanted)))
    shown: dict[str, OrderRecord] = {}
    for key, first in wanted:
        found = lists.get(key, [])
        for order in found if first is None else found[: max(first, 0)]:
            shown[order.id] = order
    if walk.viewer.is_customer:
        # The cache's gate asks an order's owner before serving a customer's token a copy
        # of its plans, shipments or invoices (``schema.access.copy_gate``): known here,
        # the owner costs no read of the order.
        order_loader = walk.loaders.order
        for order in shown.values():
            order_loader.prime(order.id, order)
    await walk.below(list(shown.values()))


async def cost_inputs(walk: FieldWalk, orders: Sequence[OrderRecord]) -> None:
    # Plans and products, then the purchase orders of the lines found to be bought.
    await load_cost_inputs(walk.loaders, orders)


def id_of_order(order: OrderRecord) -> tuple[Hashable, ...]:
    return (order.id,)


def customer_of_order(order: OrderRecord) -> tuple[Hashable, ...]:
    return (order.customer_id,)


def lines_of(order: OrderRecord) -> tuple[OrderLineRecord, ...]:
    return order.lines


def products_of_lines(order: OrderRecord) -> tuple[Hashable, ...]:
    return tuple(line.product_code for line in order.lines)


def product_of_line(line: OrderLineRecord) -> tuple[Hashable, ...]:
    return (line.product_code,)


def code_of(product: ProductRecord) -> tuple[Hashable, ...]:
    return (product.default_code,)


def sku_of(product: ProductRecord) -> tuple[Hashable, ...]:
    return present(product.scm_sku)


def the_order(order: OrderRecord) -> tuple[OrderRecord]:
    # A product's demand is walked as its open orders: each demand item wraps one.
    return (order,)


def supplier_of(purchase: PurchaseOrderRecord) -> tuple[Hashable, ...]:
    return (purchase.supplier_id,)


def product_of_plan(plan: ProductionRecord) -> tuple[Hashable, ...]:
    return present(plan.product_code)


def order_of_plan(plan: ProductionRecord) -> tuple[Hashable, ...]:
    return present(plan.sale_ref)


def order_of_shipment(shipment: ShipmentRecord) -> tuple[Hashable, ...]:
    return (shipment.order_ref,)


def tracked_order(order_id: str) -> tuple[Hashable, ...]:
    # The tracking view is walked before its order is read: its records are the order
    # id the client gave, so that these reads go out beside the CRM's (one trip less).
    return (order_id,)


TRACKED_PLANS_AND_SHIPMENTS = (
    Read("plans_of_order", tracked_order),
    Read("shipments_of_order", tracked_order),
)

# Within a type, rows whose level the next one waits on go out first, then the leaves,
# each in this order (demand and plans first: their orders and plans wait on them).
ROWS: tuple[JoinField[Any], ...] = (
    JoinField("Customer", "account", (Read("account", erp_account_of),), below="CustomerAccount"),
    JoinField(
        "Customer",
        "orders",
        many=True,
        below="Order",
        own=OwnLoad(("orders_of_customer",), orders_shown),
    ),
    JoinField("Customer", "lifetimeValue", (Read("orders_of_customer", all_orders_of),)),
    JoinField("Order", "lines", many=True, below="OrderLine", within=lines_of),
    JoinField("Order", "customer", (Read("customer", customer_of_order),), below="Customer"),
    JoinField(
        "Order",
        "productionPlans",
        (Read("plans_of_order", id_of_order),),
        many=True,
        below="ProductionPlan",
    ),
    JoinField(
        "Order",
        "shipments",
        (Read("shipments_of_order", id_of_order),),
        many=True,
        below="Shipment",
    ),
    JoinField(
        "Order", "invoices", (Read("invoices_of_order", id_of_order),), many=True, below="Invoice"
    ),
    JoinField("Order", "margin", (Read("product", products_of_lines),)),
    JoinField(
        "Order",
        "finance",
        own=OwnLoad(("plans_of_order", "product", "purchase_orders_of_sku"), cost_inputs),
    ),
    JoinField("OrderLine", "product", (Read("product", product_of_line),), below="Product"),
    JoinField(
        "Product",
        "demand",
        (Read("open_orders_of_product", code_of),),
        many=True,
        below="ProductDemand",
    ),
    JoinField(
        "Product",
        "productionPlans",
        (Read("open_plans_of_product", code_of),),
        many=True,
        below="ProductionPlan",
    ),
    JoinField(
        "Product",
        "openPurchaseOrders",
        (Read("open_purchase_orders_of_sku", sku_of),),
        many=True,
        below="PurchaseOrder",
    ),
    # Projected from all four: nothing below it waits on them.
    JoinField(
        "Product",
        "coverage",
        (
            Read("open_orders_of_product", code_of),
            Read("open_plans_of_product", code_of),
            Read("open_purchase_orders_of_sku", sku_of),
            Read("stock_of_sku", sku_of),
        ),
    ),
    JoinField(
        "Product", "inventory", (Read("stock_of_sku", sku_of),), many=True, below="InventoryLevel"
    ),
    JoinField("Product", "availableToPromise", (Read("stock_of_sku", sku_of),)),
    JoinField("ProductDemand", "order", below="Order", within=the_order),
    JoinField("PurchaseOrder", "supplier", (Read("supplier", supplier_of),), below="Supplier"),
    JoinField("ProductionPlan", "product", (Read("product", product_of_plan),), below="Product"),
    JoinField("ProductionPlan", "order", (Read("order", order_of_plan),), below="Order"),
    JoinField("Shipment", "order", (Read("order", order_of_shipment),), below="Order"),
    JoinField("OrderTracking", "stage", TRACKED_PLANS_AND_SHIPMENTS),
    JoinField("OrderTracking", "progress", TRACKED_PLANS_AND_SHIPMENTS),
    JoinField("OrderTracking", "estimatedDelivery", TRACKED_PLANS_AND_SHIPMENTS),
    # Only the timeline lists invoices: only it costs the invoice read.
    JoinField(
        "OrderTracking",
        "timeline",
        (*TRACKED_PLANS_AND_SHIPMENTS, Read("invoices_of_order", tracked_order)),
    ),
)


def rows_by_type(rows: Iterable[JoinField[Any]]) -> dict[str, tuple[JoinField[Any], ...]]:
    by_type: dict[str, list[JoinField[Any]]] = {}
    for row in rows:
        by_type.setdefault(row.type_name, []).append(row)
    return {type_name: tuple(found) for type_name, found in by_type.items()}


ROWS_BY_TYPE = rows_by_type(ROWS)
