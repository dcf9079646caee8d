"""What writes and subscriptions reach beyond the loaders, as the schema needs it.

Resolvers see it as ``info.context.live``: the idempotency slots of mutations, the
cache entries a write makes stale, the order change notices and stock alerts of every
process, loaders that read past the cache (a subscription must show the systems' state
now, not a cached copy) and the count of open subscriptions. The gateway fills it at run
time (``gateway.live_services``); the schema names only what it calls (the protocols
below), so it never learns about Redis channels, the runtime or the metrics registry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from cache.codec import ValueCodec
from cache.invalidation import Invalidator
from cache.policy import RequestCachePolicy
from cache.stale_log import StaleLog
from cache.write_backs import WriteBacks
from core.records import StockLevelRecord

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from schema.flow_runs import FlowRunSource

ResultT = TypeVar("ResultT")
ItemT_co = TypeVar("ItemT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class StockAlertRecord:
    kind: str  # BELOW_REORDER_POINT | RECOVERED (schema.stock_alerts.StockAlertKind)
    level: StockLevelRecord  # as the SCM reported it right after the change
    at: datetime  # when the gateway saw the crossing


class Changes(Protocol[ItemT_co]):
    """One subscriber's stream: ``await next()`` returns with the next change."""

    async def next(self) -> ItemT_co: ...


class OrderChangeFeed(Protocol):
    async def publish(self, order_ids: Sequence[str]) -> None:
        """Tells every gateway process that these orders changed."""
        ...

    def subscribe(self, order_id: str) -> AbstractAsyncContextManager[Changes[None]]:
        """Notices that this order changed, from entering until leaving the context."""
        ...


class StockAlertFeed(Protocol):
    def subscribe(
        self, warehouse: str | None
    ) -> AbstractAsyncContextManager[Changes[StockAlertRecord]]:
        """Alerts of one warehouse (None: all), from entering until leaving the context."""
        ...


class IdempotentWrites(Protocol):
    """``Idempotency-Key`` slots: a retried write returns the first answer."""

    def slot(self, subject: str, key: str, field: str) -> str: ...

    async def once(
        self,
        slot: str,
        fingerprint: str,
        codec: ValueCodec[ResultT],
        write: Callable[[], Awaitable[ResultT]],
    ) -> ResultT: ...


@dataclass(frozen=True, slots=True)
class LiveServices:
    idempotency: IdempotentWrites
    invalidator: Invalidator
    order_events: OrderChangeFeed
    stock_alerts: StockAlertFeed
    uncached_loaders: Callable[[], Loaders]
    # A request's loaders on a cache policy, stale log and cache writes of its own
    # (``Runtime.loaders_for``): each WebSocket operation's (``gateway.ws_operations``).
    loaders_for: Callable[[RequestCachePolicy, StaleLog, WriteBacks | None], Loaders]
    # Counts one open subscription for as long as its block runs (a metric of the gateway).
    subscription_open: Callable[[], AbstractContextManager[None]]
    # What the cross-system flows did (gateway.flows.runs); None without Redis.
    flow_runs: FlowRunSource | None = None

    async def order_written(self, order_id: str, customer_id: str) -> None:
        """After the gateway changed an order: forget its cached copies, tell subscribers."""
        await self.invalidator.drop_orders({order_id: customer_id})
        await self.order_events.publish([order_id])
