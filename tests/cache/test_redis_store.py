from __future__ import annotations

import asyncio
import logging
import time

from cache.redis_store import RedisStore
from tests.cache.private_redis import PrivateRedis

BREAKER_S = 0.2


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "cache.redis_store" and record.levelno == logging.WARNING
    ]


async def test_values_come_back_in_key_order_with_misses_as_none(redis_store, prefix):
    await redis_store.set_many([(f"{prefix}:a", b"1", 10_000), (f"{prefix}:b", b"2", 10_000)])

    assert await redis_store.get_many([f"{prefix}:b", f"{prefix}:x", f"{prefix}:a"]) == [
        b"2",
        None,
        b"1",
    ]
    assert redis_store.stats.commands == {"PIPELINE": 1, "MGET": 1}
    assert (redis_store.stats.hits, redis_store.stats.misses) == (2, 1)


async def test_every_item_gets_its_own_ttl(redis_store, prefix):
    await redis_store.set_many([(f"{prefix}:short", b"1", 30), (f"{prefix}:long", b"2", 10_000)])

    await asyncio.sleep(0.08)

    assert await redis_store.get_many([f"{prefix}:short", f"{prefix}:long"]) == [None, b"2"]


async def test_set_if_absent_sets_only_once(redis_store, prefix):
    assert await redis_store.set_if_absent(f"{prefix}:event", b"1", 10_000) is True
    assert await redis_store.set_if_absent(f"{prefix}:event", b"1", 10_000) is False


async def test_single_values_are_set_and_read(redis_store, prefix):
    await redis_store.set(f"{prefix}:apq", b"query", 10_000)

    assert await redis_store.get(f"{prefix}:apq") == b"query"
    assert await redis_store.get(f"{prefix}:nothing") is None


async def test_delete_matching_scans_and_unlinks_in_batches(prefix):
    store = RedisStore.from_url("redis://127.0.0.1:6379/15", socket_timeout_s=2.0)
    store._scan_batch = 10  # many pages, so that batching is exercised
    try:
        await store.set_many([(f"{prefix}:crm:{n}", b"", 10_000) for n in range(35)])
        await store.set_many([(f"{prefix}:erp:{n}", b"", 10_000) for n in range(3)])

        assert await store.delete_matching(f"{prefix}:crm:*") == 35
        assert await store.delete([f"{prefix}:erp:0", f"{prefix}:erp:9"]) == 1
        assert await store.get_many([f"{prefix}:erp:1"]) == [b""]
        assert store.stats.commands["SCAN"] > 1
    finally:
        await store.delete_matching(f"{prefix}:*")
        await store.close()


async def test_a_dead_redis_reads_as_misses_drops_writes_warns_once_and_recovers(
    private_redis: PrivateRedis, caplog
):
    caplog.set_level(logging.INFO, logger="cache.redis_store")
    store = RedisStore.from_url(private_redis.url, breaker_open_s=BREAKER_S)
    try:
        await store.set_many([("k", b"before", 60_000)])
        assert await store.get_many(["k"]) == [b"before"]

        private_redis.kill()
        assert await store.get_many(["k", "other"]) == [None, None]
        await store.set_many([("k", b"during", 60_000)])  # does not raise
        assert await store.set_if_absent("event", b"1", 60_000) is True
        assert await store.delete_matching("*") == 0
        assert store.available is False
        await asyncio.sleep(BREAKER_S * 1.5)  # the breaker lets one more try through
        assert await store.get_many(["k"]) == [None]
        assert len(warnings_of(caplog)) == 1
        assert store.stats.skipped >= 3  # the calls while open never reached Redis

        private_redis.start()  # same port, empty (no persistence)
        await asyncio.sleep(BREAKER_S * 1.5)
        await store.set_many([("k", b"after", 60_000)])
        assert await store.get_many(["k"]) == [b"after"]
        assert store.available is True
        assert len(warnings_of(caplog)) == 1
        assert any("available again" in record.message for record in caplog.records)
    finally:
        await store.close()


async def test_an_unreachable_redis_does_not_raise_from_the_first_call(caplog):
    store = RedisStore.from_url("redis://127.0.0.1:1/0", breaker_open_s=BREAKER_S)
    try:
        assert await store.get_many(["a"]) == [None]
        assert await store.get("a") is None
        await store.set("a", b"1", 1000)
        assert await store.delete(["a"]) == 0
        assert len(warnings_of(caplog)) == 1
    finally:
        await store.close()


async def test_a_slow_redis_times_out_and_fails_open(private_redis: PrivateRedis, caplog):
    store = RedisStore.from_url(private_redis.url, socket_timeout_s=0.05, breaker_open_s=BREAKER_S)
    blocker = RedisStore.from_url(private_redis.url, socket_timeout_s=5.0)
    try:
        await store.set_many([("k", b"v", 60_000)])
        sleeping = asyncio.create_task(blocker._client.execute_command("DEBUG", "SLEEP", "0.5"))
        await asyncio.sleep(0.05)  # the server is now asleep

        started = time.monotonic()
        assert await store.get_many(["k"]) == [None]
        assert time.monotonic() - started < 0.4  # did not wait for the server to wake
        assert store.stats.errors == 1
        assert len(warnings_of(caplog)) == 1

        await sleeping
        await asyncio.sleep(BREAKER_S * 1.5)
        assert await store.get_many(["k"]) == [b"v"]
    finally:
        await blocker.close()
        await store.close()


async def test_a_loop_blocked_by_our_own_work_is_not_taken_for_a_slow_redis(
    private_redis: PrivateRedis, caplog
):
    # A dashboard's synchronous completion holds the loop for longer than Redis's budget;
    # the reply that arrived meanwhile must still be read, and the breaker stay closed.
    store = RedisStore.from_url(private_redis.url, socket_timeout_s=0.05, breaker_open_s=BREAKER_S)
    blocker = RedisStore.from_url(private_redis.url, socket_timeout_s=5.0)
    try:
        await store.set_many([("k", b"v", 60_000)])
        # The server pauses 30 ms: our read is surely on the wire, unanswered, when the
        # loop blocks, and its answer arrives while the loop is still blocked.
        sleeping = asyncio.create_task(blocker._client.execute_command("DEBUG", "SLEEP", "0.03"))
        await asyncio.sleep(0.005)
        reading = asyncio.create_task(store.get_many(["k"]))
        await asyncio.sleep(0.01)  # the MGET is sent, its read timer running
        time.sleep(0.3)  # noqa: ASYNC251 - our own CPU work (a long completion)

        assert await reading == [b"v"]
        assert store.stats.errors == 0
        assert store.available
        assert warnings_of(caplog) == []
        await sleeping
    finally:
        await blocker.close()
        await store.close()


async def test_a_busy_connection_pool_skips_the_cache_without_opening_the_breaker(
    private_redis: PrivateRedis, caplog
):
    store = RedisStore.from_url(private_redis.url, socket_timeout_s=2.0, max_connections=1)
    blocker = RedisStore.from_url(private_redis.url, socket_timeout_s=5.0)
    try:
        await store.set_many([("k", b"v", 60_000)])
        sleeping = asyncio.create_task(blocker._client.execute_command("DEBUG", "SLEEP", "0.2"))
        await asyncio.sleep(0.05)
        holding = asyncio.create_task(store.get_many(["k"]))  # takes the only connection
        await asyncio.sleep(0.01)

        assert await store.get_many(["k"]) == [None]
        assert store.stats.pool_exhausted == 1
        assert store.available is True
        assert await holding == [b"v"]
        await sleeping
        assert warnings_of(caplog) == []
    finally:
        await blocker.close()
        await store.close()


async def test_reads_of_one_tick_share_one_mget_and_each_gets_its_own_values(redis_store, prefix):
    await redis_store.set_many([(f"{prefix}:{n}", str(n).encode(), 10_000) for n in range(6)])

    first, second, third = await asyncio.gather(
        redis_store.get_many([f"{prefix}:0", f"{prefix}:1"]),
        redis_store.get_many([f"{prefix}:5", f"{prefix}:missing"]),
        redis_store.get_many([f"{prefix}:1", f"{prefix}:3", f"{prefix}:4"]),
    )

    assert (first, second, third) == ([b"0", b"1"], [b"5", None], [b"1", b"3", b"4"])
    assert redis_store.stats.commands == {"PIPELINE": 1, "MGET": 1}
    assert (redis_store.stats.hits, redis_store.stats.misses) == (6, 1)


async def test_a_cancelled_reader_does_not_cancel_the_read_of_its_tick(redis_store, prefix):
    await redis_store.set_many([(f"{prefix}:kept", b"1", 10_000)])

    abandoned = asyncio.ensure_future(redis_store.get_many([f"{prefix}:gone"]))
    kept = asyncio.ensure_future(redis_store.get_many([f"{prefix}:kept"]))
    await asyncio.sleep(0)
    abandoned.cancel()

    assert await kept == [b"1"]
    assert abandoned.cancelled()


async def test_a_redis_that_refuses_scripts_still_gets_every_write(
    private_redis: PrivateRedis, caplog
):
    with private_redis.client() as admin:
        admin.execute_command(
            "ACL", "SETUSER", "noscripts", "on", ">secret", "~*", "+@all", "-@scripting"
        )
    url = f"redis://noscripts:secret@127.0.0.1:{private_redis.port}/0"
    store = RedisStore.from_url(url, socket_timeout_s=2.0, breaker_open_s=BREAKER_S)
    try:
        await store.set_many([("a", b"1", 60_000), ("b", b"2", 60_000)])
        await store.set_many([("c", b"3", 60_000)])

        assert await store.get_many(["a", "b", "c"]) == [b"1", b"2", b"3"]
        assert store.available
        assert store.stats.errors == 0
        assert len(warnings_of(caplog)) == 1  # said once, then pipelines
    finally:
        await store.close()
