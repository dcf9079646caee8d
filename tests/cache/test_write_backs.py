"""A batch's cache write runs beside the request, and the request settles it."""

from __future__ import annotations

from cache.entity_cache import EntityCache
from cache.policy import NO_CACHE_POLICY, entity_kind
from cache.redis_store import RedisStore
from cache.write_backs import WriteBacks
from core.records import OrderRecord
from tests.cache import samples
from tests.cache.fakes import FakeFetch

ORDER = entity_kind("crm", "order", ttl_s=30)


def orders(*ids: str) -> dict[str, OrderRecord]:
    return {order_id: samples.order(order_id) for order_id in ids}


def entry_key(cache: EntityCache, order_id: str) -> str:
    return cache.layout.entity_key("crm", "order", order_id)


def wrap(cache: EntityCache, fetch: FakeFetch[str, OrderRecord], write_backs: WriteBacks | None):
    return cache.wrap(
        ORDER, fetch, key_of=str, value_type=OrderRecord | None, write_backs=write_backs
    )


async def test_a_batch_answers_before_its_write_lands_and_settling_lands_it(
    redis_store: RedisStore, prefix: str
):
    cache = EntityCache(redis_store, prefix=prefix)
    write_backs = WriteBacks()

    answer = await wrap(cache, FakeFetch(orders("SO-1", "SO-2")), write_backs)(["SO-1", "SO-2"])

    assert answer == orders("SO-1", "SO-2")
    assert len(write_backs) == 1
    assert await redis_store.get(entry_key(cache, "SO-1")) is None
    await write_backs.settle()
    assert len(write_backs) == 0
    assert await redis_store.get(entry_key(cache, "SO-1")) is not None
    assert await redis_store.get(entry_key(cache, "SO-2")) is not None


async def test_without_write_backs_the_batch_writes_before_it_answers(
    redis_store: RedisStore, prefix: str
):
    cache = EntityCache(redis_store, prefix=prefix)

    await wrap(cache, FakeFetch(orders("SO-1")), None)(["SO-1"])

    assert await redis_store.get(entry_key(cache, "SO-1")) is not None


async def test_a_batch_arriving_while_the_write_runs_takes_the_fetched_records(
    redis_store: RedisStore, prefix: str
):
    cache = EntityCache(redis_store, prefix=prefix)
    fetch = FakeFetch(orders("SO-1"))
    first, second = WriteBacks(), WriteBacks()
    await wrap(cache, fetch, first)(["SO-1"])
    assert len(first) == 1  # still being written

    # Another request, cache reads off: it would go upstream but for the held flight.
    again = cache.wrap(
        ORDER,
        fetch,
        key_of=str,
        value_type=OrderRecord | None,
        policy=NO_CACHE_POLICY,
        write_backs=second,
    )
    answer = await again(["SO-1"])

    assert answer == orders("SO-1")
    assert fetch.calls == [["SO-1"]]
    await first.settle()
    # Once written, the flight is released: a no-cache batch goes upstream again.
    await again(["SO-1"])
    assert fetch.calls == [["SO-1"], ["SO-1"]]


async def test_drain_waits_for_every_write_still_running(redis_store: RedisStore, prefix: str):
    cache = EntityCache(redis_store, prefix=prefix)
    write_backs = WriteBacks()
    await wrap(cache, FakeFetch(orders("SO-1")), write_backs)(["SO-1"])

    await cache.drain()

    assert len(write_backs) == 0
    assert await redis_store.get(entry_key(cache, "SO-1")) is not None
