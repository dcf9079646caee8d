"""Caching the resolvers' ``Fetchers`` per request, in one line for the gateway.

    fetchers = build_fetchers(clients)                  # once per process
    ...
    wrap = caching_wrapper(entity_cache, policy=policy, stale_log=stale_log,
                           write_backs=write_backs)
    loaders = loaders_from(fetchers.wrapped(wrap))       # per request

A fetcher is matched to its kind by name (``crm.order`` is system ``crm``, entity
``order``); a fetcher whose name has no kind is passed through uncached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from cache.entity_cache import EntityCache, Fetch
from cache.policy import DEFAULT_POLICY, RequestCachePolicy
from cache.stale_log import StaleLog
from cache.value_types import VALUE_TYPES
from cache.write_backs import WriteBacks

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")


class NamedFetcher(Protocol[KeyT, ValueT]):
    """What this module needs of ``resolvers.fetchers.Fetcher``."""

    @property
    def name(self) -> str: ...

    @property
    def fetch(self) -> Fetch[KeyT, ValueT]: ...

    @property
    def key_text(self) -> Callable[[KeyT], str]: ...

    def with_fetch(self, fetch: Fetch[KeyT, ValueT]) -> NamedFetcher[KeyT, ValueT]: ...


FetcherT = TypeVar("FetcherT", bound=NamedFetcher[Any, Any])


def caching_wrapper(
    cache: EntityCache,
    *,
    policy: RequestCachePolicy = DEFAULT_POLICY,
    stale_log: StaleLog | None = None,
    write_backs: WriteBacks | None = None,
) -> Callable[[FetcherT], FetcherT]:
    """A ``FetcherWrapper`` that puts every known fetcher behind ``cache``."""

    def wrap(fetcher: FetcherT) -> FetcherT:
        system, _, entity = fetcher.name.partition(".")
        kind = cache.kinds.get(entity)
        if kind is None or kind.system != system or entity not in VALUE_TYPES:
            return fetcher
        cached = cache.wrap(
            kind,
            fetcher.fetch,
            key_of=fetcher.key_text,
            value_type=VALUE_TYPES[entity],
            policy=policy,
            stale_log=stale_log,
            write_backs=write_backs,
        )
        # with_fetch returns the fetcher's own class (a frozen dataclass `replace`).
        new_fetcher: FetcherT = fetcher.with_fetch(cached)  # type: ignore[assignment]
        return new_fetcher

    return wrap
