"""The root Query: entry points into the one graph."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry

from core.errors import (
    NotFoundError,
    SupplyGraphError,
    UpstreamBadResponse,
)
from core.records import OrderRecord
from schema import prefetch
from schema.access import ensure_visible, hidden_from_customer, visible_record, visible_to
from schema.context import Info
from schema.customers import Customer, CustomerConnection, CustomerEdge, CustomerSegment, PageInfo
from schema.finance import FinanceGrouping, FinanceSummary
from schema.finance_summary import finance_summary
from schema.flow_runs import FlowQueries
from schema.lookahead import Selection
from schema.low_stock import StockShortfallConnection, low_stock_page
from schema.order_list import OrderConnection, order_page
from schema.orders import Order, OrderStatus
from schema.paging import MAX_PAGE_SIZE, crm_window, page_start
from schema.product_list import ProductConnection, product_page
from schema.products import Product
from schema.shipments import Shipment
from schema.tracking import OrderTracking


async def customer_page(
    info: Info, first: int, after: str | None, segment: CustomerSegment | None
) -> CustomerConnection:
    start = page_start(first, after)
    if first == 0:
        return CustomerConnection(
            edges=[], page_info=PageInfo(has_next_page=True, end_cursor=after)
        )
    loaders = info.context.loaders
    page = await loaders.customer_page.load(
        (
            min(start.skip + first, MAX_PAGE_SIZE),
            start.crm_cursor,
            segment.value if segment is not None else None,
        )
    )
    if page is None:
        raise UpstreamBadResponse("crm", "the CRM answered a page request with nothing")
    window = crm_window(page.records, page.next_cursor, start, first, after)
    edges = [
        CustomerEdge(cursor=cursor, node=Customer(record=record)) for cursor, record in window.items
    ]
    await prefetch.walk_page(
        info.context,
        "Customer",
        loaders.customer,
        [record for _, record in window.items],
        Selection.of(info)["edges"]["node"],
    )
    page_info = PageInfo(has_next_page=window.has_next_page, end_cursor=window.end_cursor)
    return CustomerConnection(edges=edges, page_info=page_info)


async def refused(error: SupplyGraphError) -> None:
    raise error


def visible_item(info: Info, record: OrderRecord | None) -> Order | None:
    """The order; null for an unknown one (staff); for a customer's token, for an unknown
    order and another customer's alike, an item that resolves to the same NOT_FOUND error.

    graphql-core completes list items that are awaitables one by one, so only that
    item becomes null with its error; the rest of the list still comes.
    """
    try:
        shown = visible_record(info, "order", record, customer_of)
    except NotFoundError as error:
        return cast(Order, refused(error))
    return Order(record=shown) if shown is not None else None


def customer_of(record: OrderRecord) -> str:
    return record.customer_id


@strawberry.type
class Query(FlowQueries):
    @strawberry.field
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        customer_id = str(id)
        # Refused before any read: another customer's id and an unknown one cost the same.
        if not visible_to(info.context.viewer, customer_id):
            raise hidden_from_customer("customer")
        loaded = await info.context.loaders.customer.load(customer_id)
        record = visible_record(info, "customer", loaded, lambda found: found.id)
        if record is None:
            return None
        await prefetch.walk(info.context, "Customer", [record], Selection.of(info))
        return Customer(record=record)

    @strawberry.field(description="CRM paging, ordered by id")
    async def customers(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        segment: CustomerSegment | None = None,
    ) -> CustomerConnection:
        return await customer_page(info, 20 if first is None else first, after, segment)

    @strawberry.field
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        loaded = await info.context.loaders.order.load(str(id))
        record = visible_record(info, "order", loaded, customer_of)
        if record is None:
            return None
        await prefetch.walk(info.context, "Order", [record], Selection.of(info))
        return Order(record=record)

    @strawberry.field(description="Same length and order as ids; null where an id is unknown")
    async def orders(self, info: Info, ids: list[strawberry.ID]) -> list[Order | None]:
        records = await info.context.loaders.order.load_many([str(i) for i in ids])
        items = [visible_item(info, record) for record in records]
        shown = [item.record for item in items if isinstance(item, Order)]
        await prefetch.walk(info.context, "Order", shown, Selection.of(info))
        return items

    @strawberry.field(
        description="CRM orders created in [createdFrom, createdTo), by creation time then id"
    )
    async def order_list(
        self,
        info: Info,
        status: OrderStatus | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> OrderConnection:
        return await order_page(
            info, status, created_from, created_to, 20 if first is None else first, after
        )

    @strawberry.field
    async def product(self, info: Info, code: strawberry.ID) -> Product | None:
        record = await info.context.loaders.product.load(str(code))
        if record is None:
            return None
        await prefetch.walk(info.context, "Product", [record], Selection.of(info))
        return Product(record=record)

    @strawberry.field
    async def products(self, info: Info, codes: list[strawberry.ID]) -> list[Product | None]:
        records = await info.context.loaders.product.load_many([str(c) for c in codes])
        found = [record for record in records if record is not None]
        await prefetch.walk(info.context, "Product", found, Selection.of(info))
        return [Product(record=record) if record is not None else None for record in records]

    @strawberry.field(
        description="Every sku below its reorder point (available < reorderPoint) in a "
        "warehouse, by sku then warehouse; skus are those of the ERP's products"
    )
    async def low_stock(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        warehouse: str | None = None,
    ) -> StockShortfallConnection | None:
        return await low_stock_page(info, 50 if first is None else first, after, warehouse)

    @strawberry.field(
        description="ERP products in code order; search: part of the code or name, any case"
    )
    async def product_list(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> ProductConnection:
        return await product_page(info, search, 20 if first is None else first, after)

    @strawberry.field(
        description="Revenue, production and purchase cost, profit and margin of the orders "
        "created in [from, to), not cancelled, in EUR; grouped by month, product or customer"
    )
    async def finance_summary(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        group_by: FinanceGrouping = FinanceGrouping.MONTH,
    ) -> FinanceSummary:
        return await finance_summary(info.context.loaders, from_, to, group_by)

    @strawberry.field
    async def shipment(self, info: Info, tracking_number: str) -> Shipment | None:
        record = await info.context.loaders.shipment_by_tracking_number.load(tracking_number)
        if info.context.viewer.is_customer:
            # A shipment is the customer's whose order it ships; unknown has no owner.
            order = await info.context.loaders.order.load(record.order_ref) if record else None
            ensure_visible(info, "shipment", order.customer_id if order else None)
        if record is None:
            return None
        await prefetch.walk(info.context, "Shipment", [record], Selection.of(info))
        return Shipment(record=record)

    @strawberry.field(
        description="The mobile order-status view: one order followed across all three systems"
    )
    async def order_tracking(self, info: Info, order_id: strawberry.ID) -> OrderTracking | None:
        selection = Selection.of(info)
        # The order's batch goes out first: its customer waits on it, the rest does not.
        order = info.context.loaders.order.load(str(order_id))
        prefetch.start(info.context, "OrderTracking", [str(order_id)], selection)
        record = visible_record(info, "order", await order, customer_of)
        if record is None:
            return None
        await prefetch.walk(info.context, "Order", [record], selection["order"])
        return OrderTracking(record=record)
