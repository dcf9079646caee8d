"""Stock alerts: a sku crossed below its reorder point in a warehouse, or recovered.

The SCM's ``stock.changed`` webhook names skus and nothing else, and reaches ONE gateway
process. That process (``StockAlerts.detect``) re-reads those skus' stock from the SCM,
past the cache, and compares each (sku, warehouse) with the last state any process
saw: one Redis key each, ``<prefix>:stock-state:<sku>|<warehouse>``, swapped atomically
with ``SET … GET``. Only a swap that changes the state is a crossing, so two replicas
handling two deliveries of one event, or two events of one change, send one alert,
not two. A state never seen before counts as above the reorder point: the first time
the gateway sees a sku below it, that is an alert. Without Redis the states live in
the process.

Alerts are then published on ``<prefix>:events:stock`` and every process hands them to
its own ``stockAlerts`` subscribers (``schema.stock_alerts``), who may filter by
warehouse. Unlike order notices an alert carries its state (the level that crossed):
the crossing is an event, not a state to re-read. Redis dropping the connection loses
alerts published meanwhile; the listener reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis

from cache.redis_clients import close_redis_client
from core.records import StockLevelRecord
from gateway.channel_listener import BACKEND_ERRORS, ChannelListener, publisher_and_listener
from resolvers.scm import ScmClient
from schema.coverage import available_quantity
from schema.live import StockAlertRecord

logger = logging.getLogger("supplygraph.stock_alerts")

BELOW = "BELOW_REORDER_POINT"
RECOVERED = "RECOVERED"
# A subscriber that falls this far behind loses its oldest alerts, not the process.
SUBSCRIBER_BACKLOG = 256


def stock_channel(prefix: str) -> str:
    return f"{prefix}:events:stock"


def alert_as_json(alert: StockAlertRecord) -> dict[str, Any]:
    """An alert as published on the channel (``alert_of_json`` reads it back)."""
    level = alert.level
    return {
        "kind": alert.kind,
        "sku": level.sku,
        "warehouse": level.warehouse,
        "onHand": level.on_hand,
        "reserved": level.reserved,
        "inTransit": level.in_transit,
        "reorderPoint": level.reorder_point,
        "updatedAt": level.updated_at.isoformat(),
        "at": alert.at.isoformat(),
    }


def alert_of_json(item: dict[str, Any]) -> StockAlertRecord:
    return StockAlertRecord(
        kind=str(item["kind"]),
        level=StockLevelRecord(
            sku=str(item["sku"]),
            warehouse=str(item["warehouse"]),
            on_hand=int(item["onHand"]),
            reserved=int(item["reserved"]),
            in_transit=int(item["inTransit"]),
            reorder_point=int(item["reorderPoint"]),
            updated_at=datetime.fromisoformat(item["updatedAt"]),
        ),
        at=datetime.fromisoformat(item["at"]),
    )


def alerts_of_message(data: object) -> list[StockAlertRecord]:
    """The alerts of a published message; anything malformed is left out."""
    try:
        decoded = orjson.loads(data) if isinstance(data, (bytes, str)) else None
    except orjson.JSONDecodeError:
        return []
    alerts: list[StockAlertRecord] = []
    for item in decoded if isinstance(decoded, list) else []:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            alerts.append(alert_of_json(item))
    return alerts


def is_below(level: StockLevelRecord) -> bool:
    return available_quantity(level) < level.reorder_point


class StockStates(Protocol):
    async def swap(self, states: dict[str, bool]) -> dict[str, bool | None]:
        """Sets each key's below-state; answers each key's state before (None: unseen)."""
        ...

    async def close(self) -> None: ...


class LocalStockStates:
    def __init__(self) -> None:
        self._below: dict[str, bool] = {}

    async def swap(self, states: dict[str, bool]) -> dict[str, bool | None]:
        before = {key: self._below.get(key) for key in states}
        self._below.update(states)
        return before

    async def close(self) -> None:
        return None


class RedisStockStates:
    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def swap(self, states: dict[str, bool]) -> dict[str, bool | None]:
        # SET … GET swaps one key atomically: of two processes swapping the same new
        # state, only the first sees the old one, so only one reports the crossing.
        async with self._client.pipeline(transaction=False) as pipe:
            for key, below in states.items():
                pipe.set(f"{self._prefix}:stock-state:{key}", b"1" if below else b"0", get=True)
            answers = await pipe.execute()
        return {
            key: None if old is None else old == b"1"
            for key, old in zip(states, answers, strict=True)
        }

    async def close(self) -> None:
        return None


class AlertSubscriber:
    def __init__(self, warehouse: str | None) -> None:
        self.warehouse = warehouse
        self.queue: asyncio.Queue[StockAlertRecord] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)

    def offer(self, alert: StockAlertRecord) -> None:
        if self.warehouse is not None and alert.level.warehouse != self.warehouse:
            return
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(alert)

    async def next(self) -> StockAlertRecord:
        return await self.queue.get()


class StockAlerts:
    """Detects crossings, publishes them to every process, hands them to subscribers."""

    def __init__(self, scm: ScmClient, states: StockStates, *, prefix: str) -> None:
        self._scm = scm
        self._states = states
        self.channel = stock_channel(prefix)
        self.subscribers: set[AlertSubscriber] = set()

    async def detect(self, skus: Sequence[str]) -> list[StockAlertRecord]:
        """The crossings of these skus since the last state seen; raises UpstreamError
        when the SCM cannot be read (the webhook is then refused and sent again)."""
        wanted = list(dict.fromkeys(sku for sku in skus if sku))
        if not wanted:
            return []
        stock = await self._scm.stock_levels(wanted)
        levels = {
            f"{level.sku}|{level.warehouse}": level for found in stock.values() for level in found
        }
        before = await self._states.swap({key: is_below(level) for key, level in levels.items()})
        now = datetime.now(UTC)
        alerts: list[StockAlertRecord] = []
        for key, level in levels.items():
            below, was_below = is_below(level), bool(before[key])
            if below != was_below:
                alerts.append(StockAlertRecord(BELOW if below else RECOVERED, level, now))
        return alerts

    async def publish(self, alerts: Sequence[StockAlertRecord]) -> None:
        self.deliver(alerts)

    def deliver(self, alerts: Iterable[StockAlertRecord]) -> None:
        for alert in alerts:
            for subscriber in list(self.subscribers):
                subscriber.offer(alert)

    @contextlib.asynccontextmanager
    async def subscribe(self, warehouse: str | None) -> AsyncIterator[AlertSubscriber]:
        subscriber = AlertSubscriber(warehouse)
        self.subscribers.add(subscriber)
        try:
            await self._listening()
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    async def _listening(self) -> None:
        return None

    async def close(self) -> None:
        await self._states.close()


class RedisStockAlerts(StockAlerts):
    """Alerts through one Redis channel, to the subscribers of every process."""

    def __init__(
        self,
        scm: ScmClient,
        url: str,
        *,
        prefix: str,
        cluster: bool = False,
        timeout_s: float = 0.1,
        connect_timeout_s: float = 0.5,
    ) -> None:
        self._publisher, self._listener = publisher_and_listener(
            url, cluster=cluster, timeout_s=timeout_s, connect_timeout_s=connect_timeout_s
        )
        super().__init__(scm, RedisStockStates(self._publisher, prefix), prefix=prefix)
        self._listening_task = ChannelListener(
            self._listener,
            self.channel,
            what="stock alerts",
            on_message=lambda data: self.deliver(alerts_of_message(data)),
        )

    async def publish(self, alerts: Sequence[StockAlertRecord]) -> None:
        if not alerts:
            return
        try:
            message = orjson.dumps([alert_as_json(alert) for alert in alerts])
            await self._publisher.publish(self.channel, message)
        except BACKEND_ERRORS as error:
            logger.warning(
                "cannot publish stock alerts to Redis (%s); only this process's "
                "subscribers hear of them",
                type(error).__name__,
            )
            self.deliver(alerts)

    async def _listening(self) -> None:
        await self._listening_task.ready()

    async def close(self) -> None:
        await self._listening_task.stop()
        for client in (self._publisher, self._listener):
            with contextlib.suppress(*BACKEND_ERRORS):
                await close_redis_client(client)


def open_stock_alerts(
    scm: ScmClient, redis_url: str | None, *, prefix: str, timeout_s: float, cluster: bool = False
) -> StockAlerts:
    """Through Redis when a URL is given, else inside this process."""
    if redis_url:
        return RedisStockAlerts(scm, redis_url, prefix=prefix, cluster=cluster, timeout_s=timeout_s)
    return StockAlerts(scm, LocalStockStates(), prefix=prefix)
