"""Decoded records held in the process in front of the store (cache.near_cache)."""

from __future__ import annotations

import pytest

from cache.entity_cache import EntityCache
from cache.generations import SystemGenerations
from cache.invalidation import Invalidator
from cache.keys import KeyLayout
from cache.policy import NO_CACHE_POLICY, entity_kind
from cache.redis_store import RedisStore
from cache.store import CacheStore
from tests.cache.fakes import FakeFetch
from tests.cache.private_redis import PrivateRedis
from tests.cache.test_entity_cache import FakeClock, orders, wrap_orders

ORDER = entity_kind("crm", "order", ttl_s=30)
KEYS = ["SO-1", "SO-2", "SO-3"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def near_cache(store: CacheStore, prefix: str, clock: FakeClock) -> EntityCache:
    return EntityCache(store, prefix=prefix, near_entries=100, clock=clock)


def keys_read(store: CacheStore) -> int:
    return store.stats.hits + store.stats.misses


async def test_a_held_batch_reads_only_its_systems_token_from_the_store(
    near_cache: EntityCache, store: CacheStore
):
    fetch = FakeFetch(orders(*KEYS))
    await wrap_orders(near_cache, fetch)(KEYS)
    read_before = keys_read(store)

    answer = await wrap_orders(near_cache, fetch)(KEYS)

    assert answer == orders(*KEYS)
    assert len(fetch.calls) == 1
    assert keys_read(store) - read_before == 1  # the generation token, nothing else
    assert near_cache.counters(ORDER).hits == 3


async def test_an_invalidation_by_another_process_retires_what_this_one_holds(
    near_cache: EntityCache, store: CacheStore, prefix: str
):
    fetch = FakeFetch(orders(*KEYS))
    await wrap_orders(near_cache, fetch)(KEYS)
    # Another gateway process handles the webhook: same store, its own objects.
    elsewhere = Invalidator(
        store, prefix=prefix, generations=SystemGenerations(store, KeyLayout(prefix))
    )
    await elsewhere.invalidate("crm", "order.updated", ["SO-2"])
    read_before = keys_read(store)

    answer = await wrap_orders(near_cache, fetch)(KEYS)

    assert answer == orders(*KEYS)
    # Held entries were read again from the store; only the dropped one went upstream.
    assert fetch.calls == [KEYS, ["SO-2"]]
    assert keys_read(store) - read_before == 1 + len(KEYS)


async def test_a_held_entry_past_its_freshness_is_not_served(
    near_cache: EntityCache, clock: FakeClock
):
    fetch = FakeFetch(orders(*KEYS))
    await wrap_orders(near_cache, fetch)(KEYS)

    clock.now += ORDER.fresh_for_s(True) + 1

    await wrap_orders(near_cache, fetch)(KEYS)
    assert fetch.calls == [KEYS, KEYS]


async def test_a_request_that_skips_cache_reads_holds_nothing_it_fetched(
    near_cache: EntityCache,
):
    fetch = FakeFetch(orders(*KEYS))
    await wrap_orders(near_cache, fetch, policy=NO_CACHE_POLICY)(KEYS)

    assert near_cache.near is not None and len(near_cache.near) == 0


async def test_nothing_held_is_trusted_while_the_store_fails(private_redis: PrivateRedis):
    store = RedisStore.from_url(private_redis.url, socket_timeout_s=0.5)
    cache = EntityCache(store, prefix="near", near_entries=100)
    fetch = FakeFetch(orders(*KEYS))
    try:
        await wrap_orders(cache, fetch)(KEYS)
        private_redis.kill()

        answer = await wrap_orders(cache, fetch)(KEYS)
    finally:
        await store.close()

    # No webhook can reach this process while Redis is down: ask the upstream instead.
    assert answer == orders(*KEYS)
    assert fetch.calls == [KEYS, KEYS]
