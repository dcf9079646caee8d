"""Choosing the cache's store from configuration values (settings pass them in)."""

from __future__ import annotations

from cache.local_store import LocalStore
from cache.redis_store import RedisStore, RoundTripHook
from cache.store import CacheStore


def open_store(
    redis_url: str | None,
    *,
    socket_timeout_s: float = 0.05,
    connect_timeout_s: float = 0.2,
    breaker_open_s: float = 5.0,
    local_max_entries: int = 50_000,
    cluster: bool = False,
    round_trip_hook: RoundTripHook | None = None,
) -> CacheStore:
    """Redis when a URL is given, else an in-process store. Opening connects lazily:
    an unreachable Redis shows on first use, as misses, not here as an error.

    ``redis_url`` may name one server, a Cluster or a Sentinel service (see
    ``cache.redis_clients``); ``cluster`` makes a plain ``redis://`` URL a Cluster node.
    """
    if redis_url:
        return RedisStore.from_url(
            redis_url,
            socket_timeout_s=socket_timeout_s,
            connect_timeout_s=connect_timeout_s,
            breaker_open_s=breaker_open_s,
            cluster=cluster,
            round_trip_hook=round_trip_hook,
        )
    return LocalStore(local_max_entries)
