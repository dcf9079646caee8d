"""Live order status.

For now a subscription re-reads the order across the three systems every few seconds
and sends a new OrderTracking when anything it shows has changed; the webhook-driven
fan-out through Redis replaces the polling later without changing the contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable

import strawberry

from gateway.errors import NotFoundError
from resolvers.records import OrderRecord
from schema.access import ensure_own_customer
from schema.context import Info
from schema.tracking import OrderTracking


async def tracking_fingerprint(info: Info, order: OrderRecord) -> Hashable:
    loaders = info.context.loaders
    plans, shipments, invoices = await asyncio.gather(
        loaders.plans_of_order.load(order.id),
        loaders.shipments_of_order.load(order.id),
        loaders.invoices_of_order.load(order.id),
    )
    return (
        order,
        tuple(plans),
        tuple(shipments),
        tuple(invoices),
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A new OrderTracking each time any of the three systems reports a change "
        "to this order"
    )
    async def order_tracking_updated(
        self, info: Info, order_id: strawberry.ID
    ) -> AsyncGenerator[OrderTracking, None]:
        interval = info.context.settings.subscription_poll_interval_s
        last_seen: Hashable = None
        while True:
            info.context.renew_loaders()
            order = await info.context.loaders.order.load(str(order_id))
            if order is None:
                raise NotFoundError(f"order {order_id} does not exist")
            ensure_own_customer(info, order.customer_id)
            fingerprint = await tracking_fingerprint(info, order)
            if fingerprint != last_seen:
                last_seen = fingerprint
                yield OrderTracking(record=order)
            await asyncio.sleep(interval)
