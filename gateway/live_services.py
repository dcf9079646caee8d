"""The schema's ``LiveServices`` (``schema.live``), filled from one process's runtime."""

from __future__ import annotations

from cache.policy import NO_CACHE_POLICY
from cache.stale_log import StaleLog
from gateway.idempotency import Idempotency
from gateway.observability.metrics import subscription_open
from gateway.runtime import Runtime
from resolvers.loaders import Loaders
from schema.live import LiveServices


def live_services_of(runtime: Runtime) -> LiveServices:
    def uncached_loaders() -> Loaders:
        return runtime.loaders_for(NO_CACHE_POLICY, StaleLog())

    return LiveServices(
        idempotency=Idempotency(runtime.store, prefix=runtime.settings.cache_prefix),
        invalidator=runtime.invalidator,
        order_events=runtime.order_events,
        stock_alerts=runtime.stock_alerts,
        uncached_loaders=uncached_loaders,
        loaders_for=runtime.loaders_for,
        subscription_open=subscription_open,
        flow_runs=runtime.flow_runs,
    )
