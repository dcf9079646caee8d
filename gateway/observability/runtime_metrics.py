"""The cache's counters and the breakers' states, copied into Prometheus metrics.

``EntityCache`` and the stores count in plain integers (``cache.counters``,
``cache.store.StoreStats``): the cache knows nothing of Prometheus. ``RuntimeMetrics``
adds what each counter gained since the last copy to the matching Prometheus counter,
and sets each system's breaker gauge. It runs every ``interval_s`` in the background and
on every scrape, so a scraped worker is exact and the others lag by one interval at most
(with several workers each copies its own counters into the shared files).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Protocol

from prometheus_client import Counter

from cache.entity_cache import EntityCache
from cache.store import StoreStats
from gateway.observability.metrics import (
    BREAKER_STATE,
    BREAKER_STATE_VALUES,
    CACHE_ERRORS,
    CACHE_KEYS,
    CACHE_STORE_FAILURES,
    CACHE_STORE_ROUND_TRIPS,
    DEGRADED_UPSTREAMS,
    NEAR_CACHE_ENTRIES,
)

logger = logging.getLogger(__name__)

# KindCounters field -> (metric, label value)
_KIND_FIELDS = {
    "hits": (CACHE_KEYS, "hit"),
    "negative_hits": (CACHE_KEYS, "negative_hit"),
    "misses": (CACHE_KEYS, "miss"),
    "fetched": (CACHE_KEYS, "fetched"),
    "shared": (CACHE_KEYS, "shared"),
    "stale_served": (CACHE_KEYS, "stale_served"),
    "writes": (CACHE_KEYS, "written"),
    "writes_invalidated": (CACHE_KEYS, "write_invalidated"),
    "codec_errors": (CACHE_ERRORS, "codec"),
    "upstream_errors": (CACHE_ERRORS, "upstream"),
}
_STORE_FAILURES = {"errors": "error", "skipped": "skipped", "pool_exhausted": "pool_exhausted"}


class BreakerSource(Protocol):
    """What ``RuntimeMetrics`` needs of ``resolvers.clients.UpstreamClients``."""

    def breakers(self) -> Mapping[str, str]: ...


class RuntimeMetrics:
    def __init__(
        self,
        entity_cache: EntityCache,
        store_stats: StoreStats,
        breakers: BreakerSource,
        *,
        interval_s: float = 1.0,
    ) -> None:
        self._cache = entity_cache
        self._store_stats = store_stats
        self._breakers = breakers
        self._interval_s = interval_s
        self._copied: dict[tuple[int | str, ...], int] = {}
        self._breaker_states: dict[str, str] = {}
        self._held = 0
        self._task: asyncio.Task[None] | None = None

    def sync(self) -> None:
        for kind, counters in self._cache.counters_snapshot().items():
            for field, value in counters.items():
                metric_and_label = _KIND_FIELDS.get(field)
                if metric_and_label is not None:
                    metric, label = metric_and_label
                    self._add(metric, (kind, label), value)
        stats = self._store_stats
        for command, count in list(stats.commands.items()):
            self._add(CACHE_STORE_ROUND_TRIPS, (command,), count)
        for field, reason in _STORE_FAILURES.items():
            self._add(CACHE_STORE_FAILURES, (reason,), getattr(stats, field))
        held = len(self._cache.near) if self._cache.near is not None else 0
        if held != self._held:  # on change only, as for the breakers below
            NEAR_CACHE_ENTRIES.set(held)
            self._held = held
        for system, state in self._breakers.breakers().items():
            # Set on change only: several runtimes in one process (tests) do not
            # overwrite each other's news with their unchanged states.
            if self._breaker_states.get(system) != state:
                BREAKER_STATE.labels(system).set(BREAKER_STATE_VALUES.get(state, 0))
                self._breaker_states[system] = state
                DEGRADED_UPSTREAMS.set(
                    sum(1 for known in self._breaker_states.values() if known == "open")
                )

    def _add(self, metric: Counter, labels: tuple[str, ...], value: int) -> None:
        key: tuple[int | str, ...] = (id(metric), *labels)
        copied = self._copied.get(key, 0)
        # A plain counter that went down was reset (tests do): all of it is new.
        gained = value - copied if value >= copied else value
        if gained > 0:
            # Children are made only once there is something to count: under several
            # workers each child is a file entry, and idle ones are noise.
            metric.labels(*labels).inc(gained)
        self._copied[key] = value

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="runtime-metrics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.sync()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                self.sync()
            except Exception:  # never let metrics take the worker down
                logger.exception("copying runtime metrics failed")
