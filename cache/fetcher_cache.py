"""Caching the resolvers' ``Fetchers`` per request, in one line for the gateway.

    fetchers = build_fetchers(clients)                  # once per process
    ...
    wrap = caching_wrapper(entity_cache, policy=policy, stale_log=stale_log,
                           write_backs=write_backs)
    loaders = loaders_from(fetchers.wrapped(wrap))       # per request

A fetcher brings what the cache needs to know of it (``resolvers.joins`` puts it there):
its system and entity (``crm.order``, the cache namespace), how a key is spelled, the
type of its values and its TTL. A fetcher without a TTL is passed through uncached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from cache.entity_cache import CacheGate, EntityCache, Fetch
from cache.policy import DEFAULT_POLICY, RequestCachePolicy, entity_kind
from cache.stale_log import StaleLog
from cache.write_backs import WriteBacks

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")


class NamedFetcher(Protocol[KeyT, ValueT]):
    """What this module needs of ``resolvers.fetchers.Fetcher``."""

    @property
    def system(self) -> str: ...

    @property
    def entity(self) -> str: ...

    @property
    def fetch(self) -> Fetch[KeyT, ValueT]: ...

    @property
    def key_text(self) -> Callable[[KeyT], str]: ...

    @property
    def value_type(self) -> object: ...

    @property
    def ttl_s(self) -> float | None: ...

    def with_fetch(self, fetch: Fetch[KeyT, ValueT]) -> NamedFetcher[KeyT, ValueT]: ...


FetcherT = TypeVar("FetcherT", bound=NamedFetcher[Any, Any])


def caching_wrapper(
    cache: EntityCache,
    *,
    policy: RequestCachePolicy = DEFAULT_POLICY,
    stale_log: StaleLog | None = None,
    write_backs: WriteBacks | None = None,
    gate: CacheGate | None = None,
) -> Callable[[FetcherT], FetcherT]:
    """A ``FetcherWrapper`` that puts every fetcher with a TTL behind ``cache``."""

    def wrap(fetcher: FetcherT) -> FetcherT:
        if fetcher.ttl_s is None:
            return fetcher
        cached = cache.wrap(
            entity_kind(fetcher.system, fetcher.entity, fetcher.ttl_s),
            fetcher.fetch,
            key_of=fetcher.key_text,
            value_type=fetcher.value_type,
            policy=policy,
            stale_log=stale_log,
            write_backs=write_backs,
            gate=gate,
        )
        # with_fetch returns the fetcher's own class (a frozen dataclass `replace`).
        new_fetcher: FetcherT = fetcher.with_fetch(cached)  # type: ignore[assignment]
        return new_fetcher

    return wrap
