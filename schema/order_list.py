"""``orderList``: the CRM's orders by creation time, paged as a connection.

Over the CRM's order feed (``created_from``/``created_to``/``status``, by ``created_at``
then id), with edge cursors as ``customers`` has them (``schema.paging``): the CRM page
an edge came from and its place in that page.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.errors import InputValidationError, UpstreamBadResponse
from schema import prefetch
from schema.context import Info
from schema.customers import PageInfo
from schema.lookahead import Selection
from schema.orders import Order, OrderStatus
from schema.paging import MAX_PAGE_SIZE, crm_window, page_start


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


async def order_page(
    info: Info,
    status: OrderStatus | None,
    created_from: datetime | None,
    created_to: datetime | None,
    first: int,
    after: str | None,
) -> OrderConnection:
    start = page_start(first, after)
    if created_from is not None and created_to is not None and created_to <= created_from:
        raise InputValidationError(
            "`createdTo` must be after `createdFrom`", {"createdTo": "not after createdFrom"}
        )
    if first == 0:
        return OrderConnection(edges=[], page_info=PageInfo(has_next_page=True, end_cursor=after))
    loaders = info.context.loaders
    page = await loaders.order_page.load(
        (
            min(start.skip + first, MAX_PAGE_SIZE),
            start.crm_cursor,
            status.value if status is not None else None,
            created_from,
            created_to,
        )
    )
    if page is None:
        raise UpstreamBadResponse("crm", "the CRM answered an order feed page with nothing")
    window = crm_window(page.records, page.next_cursor, start, first, after)
    edges = [OrderEdge(cursor=cursor, node=Order(record=record)) for cursor, record in window.items]
    await prefetch.walk_page(
        info.context,
        "Order",
        loaders.order,
        [record for _, record in window.items],
        Selection.of(info)["edges"]["node"],
    )
    page_info = PageInfo(has_next_page=window.has_next_page, end_cursor=window.end_cursor)
    return OrderConnection(edges=edges, page_info=page_info)
