"""The store's guarded write and generation counter (cache.write_guard), on Redis, the
in-process store, and a Redis whose ACL refuses scripts."""

from __future__ import annotations

import pytest

from cache.redis_store import RedisStore
from cache.store import CacheStore
from cache.write_guard import WriteGuard
from tests.cache.private_redis import PrivateRedis

TTL_MS = 60_000


def guard(prefix: str, since: int, *keys: str) -> WriteGuard:
    return WriteGuard(since, [f"{prefix}:marker:{key}" for key in keys], [f"{prefix}:floor"])


async def check_guarded_writes(store: CacheStore, prefix: str) -> None:
    keys = [f"{prefix}:a", f"{prefix}:b"]
    items = [(keys[0], b"A", TTL_MS), (keys[1], b"B", TTL_MS)]
    await store.set_many([(f"{prefix}:marker:{keys[1]}", b"7", TTL_MS)])

    # b was invalidated at generation 7: a fetch that read 6 may not write it, one that read 7 may.
    assert await store.set_many_guarded(items, guard(prefix, 6, *keys)) == 1
    assert await store.get_many(keys) == [b"A", None]
    assert await store.set_many_guarded(items, guard(prefix, 7, *keys)) == 2

    # A pattern drop at generation 9 stops every write of a fetch older than it.
    await store.delete(keys)
    await store.set_many([(f"{prefix}:floor", b"9", TTL_MS)])
    assert await store.set_many_guarded(items, guard(prefix, 8, *keys)) == 0
    assert await store.get_many(keys) == [None, None]


async def check_counting(store: CacheStore, prefix: str) -> None:
    counter = f"{prefix}:generation"
    await store.set_many([(counter, b"0f3a9c", TTL_MS)])  # an older random token

    first = await store.increment(counter, TTL_MS)
    second = await store.increment(counter, TTL_MS)

    assert first is not None and second == first + 1
    assert first > 1_000_000_000_000_000  # from the time in microseconds, not from 1


async def test_a_guarded_write_skips_exactly_the_keys_invalidated_since_the_fetch_began(
    store: CacheStore, prefix: str
):
    await check_guarded_writes(store, prefix)


async def test_a_generation_counts_up_from_the_time_whatever_was_there_before(
    store: CacheStore, prefix: str
):
    await check_counting(store, prefix)
    await store.delete([f"{prefix}:generation"])
    await check_counting(store, f"{prefix}:again")


@pytest.fixture
async def scriptless_store(private_redis: PrivateRedis):
    with private_redis.client() as admin:
        admin.execute_command(
            "ACL", "SETUSER", "noscripts", "on", ">secret", "~*", "+@all", "-@scripting"
        )
    url = f"redis://noscripts:secret@127.0.0.1:{private_redis.port}/0"
    store = RedisStore.from_url(url, socket_timeout_s=2.0)
    yield store
    await store.close()


async def test_a_redis_that_refuses_scripts_still_guards_writes_and_counts(
    scriptless_store: RedisStore,
):
    await check_guarded_writes(scriptless_store, "sg")
    await check_counting(scriptless_store, "sg")
    assert scriptless_store.stats.errors == 0
