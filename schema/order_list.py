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
from schema.paging import PagePosition, decode_cursor, encode_cursor

# The CRM serves at most this many orders per page.
MAX_PAGE_SIZE = 200


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
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise InputValidationError(
            f"`first` must be between 0 and {MAX_PAGE_SIZE}", {"first": "out of range"}
        )
    if created_from is not None and created_to is not None and created_to <= created_from:
        raise InputValidationError(
            "`createdTo` must be after `createdFrom`", {"createdTo": "not after createdFrom"}
        )
    start = decode_cursor(after) if after else PagePosition(crm_cursor=None, skip=0)
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
    edges = []
    for index, record in enumerate(page.records[start.skip : start.skip + first], start.skip):
        loaders.order.prime(record.id, record)
        cursor = encode_cursor(PagePosition(crm_cursor=start.crm_cursor, skip=index + 1))
        edges.append(OrderEdge(cursor=cursor, node=Order(record=record)))
    reached_page_end = start.skip + len(edges) >= len(page.records)
    if reached_page_end and page.next_cursor is not None:
        end_cursor: str | None = encode_cursor(PagePosition(crm_cursor=page.next_cursor, skip=0))
    else:
        end_cursor = edges[-1].cursor if edges else after
    has_next = page.next_cursor is not None or not reached_page_end
    await prefetch.walk(
        info.context,
        "Order",
        [edge.node.record for edge in edges],
        Selection.of(info)["edges"]["node"],
    )
    return OrderConnection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=end_cursor)
    )
