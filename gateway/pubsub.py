"""Order change notices, fanned out to the subscriptions of every gateway process.

A webhook (or a mutation) that changes an order is received by ONE gateway process,
but the browsers following that order may be connected to any of them. So the process
that learns of a change publishes the order ids, and each process delivers them to its
own subscribers:

- ``RedisOrderEvents``: one Redis channel (``<cache prefix>:events:orders``), one
  Redis subscription per process, opened on first use, and a local fan-out to an
  ``asyncio.Queue`` per subscriber. When Redis drops, the listener reconnects with
  backoff and then wakes every local subscriber once, since notices may have been
  missed meanwhile. A publish that cannot reach Redis is delivered locally instead.
- ``LocalOrderEvents``: the same fan-out inside one process, without Redis.

A notice carries only order ids, never state: a subscriber re-reads the order from the
systems. Each subscriber's queue holds at most one pending notice, so a burst of
changes to one order costs one re-read, not one per change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Protocol

import orjson

from cache.redis_clients import close_redis_client
from gateway.channel_listener import BACKEND_ERRORS, ChannelListener, publisher_and_listener

logger = logging.getLogger("supplygraph.pubsub")

# How long a new subscriber waits for the process's Redis subscription to be in place
# before reading the order's first state (so that no change falls between the two).


def order_channel(prefix: str) -> str:
    return f"{prefix}:events:orders"


class OrderChanges:
    """One subscriber's view: ``await changes.next()`` returns once its order changed."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self._pending: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

    def notify(self) -> None:
        # A full queue already holds a notice: the subscriber will re-read anyway.
        with contextlib.suppress(asyncio.QueueFull):
            self._pending.put_nowait(None)

    async def next(self) -> None:
        await self._pending.get()


class FanOut:
    """Subscribers of this process by order id."""

    def __init__(self) -> None:
        self._by_order: dict[str, set[OrderChanges]] = {}

    def __len__(self) -> int:
        return sum(len(subscribers) for subscribers in self._by_order.values())

    def add(self, order_id: str) -> OrderChanges:
        changes = OrderChanges(order_id)
        self._by_order.setdefault(order_id, set()).add(changes)
        return changes

    def remove(self, changes: OrderChanges) -> None:
        subscribers = self._by_order.get(changes.order_id)
        if subscribers is None:
            return
        subscribers.discard(changes)
        if not subscribers:
            del self._by_order[changes.order_id]

    def deliver(self, order_ids: Iterable[str]) -> int:
        """Wakes the subscribers of ``order_ids``; how many were woken."""
        woken = 0
        for order_id in dict.fromkeys(order_ids):
            for changes in self._by_order.get(order_id, ()):
                changes.notify()
                woken += 1
        return woken

    def deliver_to_all(self) -> int:
        return self.deliver(list(self._by_order))


class OrderEvents(Protocol):
    async def publish(self, order_ids: Sequence[str]) -> None:
        """Tells every gateway process that these orders changed."""
        ...

    def subscribe(self, order_id: str) -> contextlib.AbstractAsyncContextManager[OrderChanges]:
        """Notices for one order, from entering until leaving the context."""
        ...

    async def close(self) -> None: ...


class LocalOrderEvents:
    """Fan-out inside this process only (no Redis configured)."""

    def __init__(self) -> None:
        self.fan_out = FanOut()

    async def publish(self, order_ids: Sequence[str]) -> None:
        self.fan_out.deliver(order_ids)

    @contextlib.asynccontextmanager
    async def subscribe(self, order_id: str) -> AsyncIterator[OrderChanges]:
        changes = self.fan_out.add(order_id)
        try:
            yield changes
        finally:
            self.fan_out.remove(changes)

    async def close(self) -> None:
        return None


class RedisOrderEvents:
    """Fan-out across processes through one Redis channel; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        cluster: bool = False,
        timeout_s: float = 0.1,
        connect_timeout_s: float = 0.5,
    ) -> None:
        self.channel = order_channel(prefix)
        self.fan_out = FanOut()
        self._publisher, self._listener = publisher_and_listener(
            url, cluster=cluster, timeout_s=timeout_s, connect_timeout_s=connect_timeout_s
        )
        self._listening = ChannelListener(
            self._listener,
            self.channel,
            what="order change notices",
            on_message=lambda data: self.fan_out.deliver(order_ids_of(data)),
            # Notices published while this process was away are lost: re-read all.
            on_resubscribed=self.fan_out.deliver_to_all,
        )
        self._publish_failing = False

    @property
    def reconnects(self) -> int:
        return self._listening.reconnects

    @property
    def listening(self) -> bool:
        """True while this process's Redis subscription is in place."""
        return self._listening.subscribed.is_set()

    async def publish(self, order_ids: Sequence[str]) -> None:
        if not order_ids:
            return
        try:
            await self._publisher.publish(self.channel, orjson.dumps(list(order_ids)))
        except BACKEND_ERRORS as error:
            if not self._publish_failing:
                logger.warning(
                    "cannot publish order changes to Redis (%s: %s); "
                    "only this process's subscribers hear of them",
                    type(error).__name__,
                    error,
                )
            self._publish_failing = True
            self.fan_out.deliver(order_ids)
            return
        self._publish_failing = False

    @contextlib.asynccontextmanager
    async def subscribe(self, order_id: str) -> AsyncIterator[OrderChanges]:
        changes = self.fan_out.add(order_id)
        try:
            # Without Redis the subscriber still gets this process's own notices.
            await self._listening.ready()
            yield changes
        finally:
            self.fan_out.remove(changes)

    async def close(self) -> None:
        await self._listening.stop()
        for client in (self._publisher, self._listener):
            with contextlib.suppress(*BACKEND_ERRORS):
                await close_redis_client(client)


def order_ids_of(data: object) -> list[str]:
    """The order ids of a published notice; anything malformed is no notice."""
    try:
        decoded = orjson.loads(data) if isinstance(data, (bytes, str)) else None
    except orjson.JSONDecodeError:
        return []
    if not isinstance(decoded, list):
        return []
    return [item for item in decoded if isinstance(item, str)]


def open_order_events(
    redis_url: str | None, *, prefix: str, timeout_s: float, cluster: bool = False
) -> OrderEvents:
    """Through Redis when a URL is given, else inside this process."""
    if redis_url:
        return RedisOrderEvents(redis_url, prefix=prefix, cluster=cluster, timeout_s=timeout_s)
    return LocalOrderEvents()
