"""Reading every order of a time window from the CRM's feed (``created_at`` pages).

The feed is paged by cursor, so one window's pages come one after another. A long
window is therefore cut at the start of each calendar month (UTC) and the months are
read side by side: a 12-month summary waits for the longest month's pages (two of 200
on the demo data) instead of for twenty pages in a row, for at most one more call per
month than one window would cost.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from core.errors import UpstreamBadResponse
from core.records import OrderRecord
from resolvers.loaders import Loaders

# The CRM's largest page: the fewest calls.
FEED_PAGE_SIZE = 200


def month_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at every first of a month (UTC) that falls inside it."""
    windows: list[tuple[datetime, datetime]] = []
    cut = start
    while cut < end:
        year, month = (cut.year + 1, 1) if cut.month == 12 else (cut.year, cut.month + 1)
        next_month = datetime(year, month, 1, tzinfo=UTC)
        windows.append((cut, min(next_month, end)))
        cut = next_month
    return windows


async def orders_in_window(
    loaders: Loaders, start: datetime, end: datetime, status: str | None = None
) -> list[OrderRecord]:
    """Every order created in ``[start, end)``, by creation time then id."""
    months = await asyncio.gather(
        *(_every_page(loaders, low, high, status) for low, high in month_windows(start, end))
    )
    return [order for month in months for order in month]


async def _every_page(
    loaders: Loaders, start: datetime, end: datetime, status: str | None
) -> list[OrderRecord]:
    orders: list[OrderRecord] = []
    cursor: str | None = None
    seen: set[str | None] = set()
    while True:
        page = await loaders.order_page.load((FEED_PAGE_SIZE, cursor, status, start, end))
        if page is None:
            raise UpstreamBadResponse("crm", "the CRM answered an order feed page with nothing")
        orders.extend(page.records)
        if page.next_cursor is None:
            return orders
        if page.next_cursor in seen:
            # A CRM that hands out the same cursor again would keep us reading forever.
            raise UpstreamBadResponse("crm", "the CRM's order feed repeats a cursor")
        seen.add(page.next_cursor)
        cursor = page.next_cursor
