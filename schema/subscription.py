"""Live order status, pushed when the systems report a change.

``orderTrackingUpdated(orderId)`` sends the order's current OrderTracking at once, then
a new one each time a webhook (or a write through this gateway) names the order, in
whichever gateway process it arrived (``gateway.pubsub``, reached through ``schema.live``).
Each update is read afresh from the three systems, past the cache; an update that shows
nothing new is not sent.

The token is checked when the subscription starts: the scope by the access table, the
customer by the order itself (a customer's token follows its own orders only; another
customer's order is NOT_FOUND to it, as an unknown one is). A
refusal or an unknown order is an error of the subscription, before any update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Hashable
from typing import TYPE_CHECKING, Any, ClassVar

import strawberry

from core.errors import NotFoundError, SupplyGraphError, TokenExpiredError, UpstreamError
from core.records import OrderRecord
from resolvers.loaders import RequestLoader
from resolvers.request_deadline import request_deadline
from schema.access import permits, visible_record
from schema.context import Info
from schema.stock_alerts import StockAlert, stock_alerts
from schema.tracking import OrderTracking

if TYPE_CHECKING:
    from schema.live import Changes, LiveServices

logger = logging.getLogger("supplygraph.subscriptions")

# After a failed re-read, the next try comes with the next change or after this long.
RETRY_AFTER_FAILURE_S = 5.0


class SubscriptionsUnavailable(SupplyGraphError):
    """The operation did not come through an endpoint that serves subscriptions."""

    code: ClassVar[str] = "BAD_REQUEST"


async def tracking_fingerprint(info: Info, order: OrderRecord) -> Hashable:
    """Everything the systems say about the order that this viewer may see (read through
    the same loaders the OrderTracking's fields then use, so it costs no extra call).

    What the token may not see is neither read nor compared: a change there must not
    send it an update, which would tell it that something it may not see has changed.
    """
    viewer = info.context.viewer
    loaders = info.context.loaders

    async def joined(field: str, loader: RequestLoader[str, Any]) -> tuple[Hashable, ...]:
        if not permits(viewer, "Order", field):
            return ()
        return tuple(await loader.load(order.id))

    plans, shipments, invoices = await asyncio.gather(
        joined("productionPlans", loaders.plans_of_order),
        joined("shipments", loaders.shipments_of_order),
        joined("invoices", loaders.invoices_of_order),
    )
    return (order, plans, shipments, invoices)


async def current_order(info: Info, live: LiveServices, order_id: str) -> OrderRecord:
    """The order as its CRM holds it now, if this viewer may follow it. Every read of
    this update goes past the cache, whatever the transport's own cache policy."""
    info.context.loaders = live.uncached_loaders()
    loaded = await info.context.loaders.order.load(order_id)
    # A customer's token gets one NOT_FOUND for unknown and for others' orders alike.
    order = visible_record(info, "order", loaded, lambda found: found.customer_id)
    if order is None:
        raise NotFoundError(f"order {order_id} does not exist")
    return order


async def tracking_updates(
    info: Info, live: LiveServices, order_id: str
) -> AsyncGenerator[OrderTracking, None]:
    # Listen first, then read: a change between the two is re-read, never missed.
    with live.subscription_open():
        async with live.order_events.subscribe(order_id) as changes:
            last_sent: Hashable = None
            while True:
                # Also after a failed re-read's wait, which does not watch the clock.
                ensure_unexpired(info)
                try:
                    # Each update's re-read has the deadline of one request.
                    with request_deadline(info.context.config.request_deadline_s):
                        order = await current_order(info, live, order_id)
                        fingerprint = await tracking_fingerprint(info, order)
                except UpstreamError as error:
                    # A system's hiccup must not end a subscription that may run for days.
                    logger.warning(
                        "orderTrackingUpdated(%s): re-reading failed (%s); retrying",
                        order_id,
                        error,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changes.next(), RETRY_AFTER_FAILURE_S)
                    continue
                if fingerprint != last_sent:
                    last_sent = fingerprint
                    yield OrderTracking(record=order)
                await next_change_while_authorized(info, changes)


def ensure_unexpired(info: Info) -> None:
    left = info.context.viewer.seconds_left(time.time())
    if left is not None and left <= 0:
        raise TokenExpiredError("the token has expired; subscribe again with a new one")


async def next_change_while_authorized(info: Info, changes: Changes[None]) -> None:
    """Waits for the next change, but not past the token's expiry: a subscription may
    run for days, and what the token may see must not outlive the token."""
    left = info.context.viewer.seconds_left(time.time())
    if left is None:
        await changes.next()
        return
    try:
        await asyncio.wait_for(changes.next(), max(left, 0.0))
    except TimeoutError:
        raise TokenExpiredError("the token has expired; subscribe again with a new one") from None


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A new OrderTracking each time any of the three systems reports a change "
        "to this order"
    )
    async def order_tracking_updated(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncIterator[OrderTracking]:
        live = info.context.live
        if live is None:
            raise SubscriptionsUnavailable(
                "subscriptions are served over a WebSocket on /graphql (graphql-transport-ws) "
                "and as Server-Sent Events on /graphql/stream"
            )
        # Checked here, before the stream starts, so that a refusal is the subscription's
        # error rather than its first event.
        with request_deadline(info.context.config.request_deadline_s):
            await current_order(info, live, str(order_id))
        return tracking_updates(info, live, str(order_id))

    @strawberry.subscription(
        description="An alert each time a sku crosses below its reorder point in a "
        "warehouse (available < reorderPoint), and when it recovers; all warehouses "
        "unless one is named. Fed by the SCM's stock.changed webhooks."
    )
    async def stock_alerts(
        self, info: Info, warehouse: str | None = None
    ) -> AsyncIterator[StockAlert]:
        if info.context.live is None:
            raise SubscriptionsUnavailable(
                "subscriptions are served over a WebSocket on /graphql (graphql-transport-ws) "
                "and as Server-Sent Events on /graphql/stream"
            )
        return stock_alerts(info, warehouse)
