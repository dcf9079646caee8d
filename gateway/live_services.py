"""What writes and subscriptions reach beyond the loaders, per gateway process.

Resolvers see it as ``info.context.live``: the idempotency slots of mutations, the
cache entries a write makes stale, the order change notices of every process, and
loaders that read past the cache (what a subscription must show is the systems' state
now, not a cached copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cache.invalidation import Invalidator
from cache.policy import NO_CACHE_POLICY, RequestCachePolicy
from cache.stale_log import StaleLog
from cache.write_backs import WriteBacks
from gateway.idempotency import Idempotency
from gateway.pubsub import OrderEvents
from gateway.runtime import Runtime
from gateway.stock_alerts import StockAlerts
from resolvers.loaders import Loaders
from schema.flow_runs import FlowRunSource


@dataclass(frozen=True, slots=True)
class LiveServices:
    idempotency: Idempotency
    invalidator: Invalidator
    order_events: OrderEvents
    stock_alerts: StockAlerts
    uncached_loaders: Callable[[], Loaders]
    # A request's loaders on a cache policy, stale log and cache writes of its own
    # (``Runtime.loaders_for``): each WebSocket operation's (``gateway.ws_operations``).
    loaders_for: Callable[[RequestCachePolicy, StaleLog, WriteBacks | None], Loaders]
    # What the cross-system flows did (gateway.flows.runs); None without Redis.
    flow_runs: FlowRunSource | None = None

    @classmethod
    def of(cls, runtime: Runtime) -> LiveServices:
        def uncached_loaders() -> Loaders:
            return runtime.loaders_for(NO_CACHE_POLICY, StaleLog())

        return cls(
            idempotency=Idempotency(runtime.store, prefix=runtime.settings.cache_prefix),
            invalidator=runtime.invalidator,
            order_events=runtime.order_events,
            stock_alerts=runtime.stock_alerts,
            uncached_loaders=uncached_loaders,
            loaders_for=runtime.loaders_for,
            flow_runs=runtime.flow_runs,
        )

    async def order_written(self, order_id: str, customer_id: str) -> None:
        """After the gateway changed an order: forget its cached copies, tell subscribers."""
        await self.invalidator.drop_orders({order_id: customer_id})
        await self.order_events.publish([order_id])
