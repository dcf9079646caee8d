"""The order change hub: fan-out to the subscribers of an order, one Redis channel shared
by processes, reconnection after Redis comes back, local delivery while it is away."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from gateway.pubsub import (
    LocalOrderEvents,
    OrderChanges,
    RedisOrderEvents,
    order_ids_of,
)
from tests.gateway.live_helpers import free_port, wait_until
from tests.gateway_fixtures import REDIS_URL

TIMEOUT_S = 10.0


async def heard(changes: OrderChanges) -> bool:
    try:
        await asyncio.wait_for(changes.next(), TIMEOUT_S)
    except TimeoutError:
        return False
    return True


def pending(changes: OrderChanges) -> int:
    return changes._pending.qsize()


def hub(url: str = REDIS_URL, prefix: str | None = None) -> RedisOrderEvents:
    return RedisOrderEvents(url, prefix=prefix or f"sgtest-{uuid.uuid4().hex[:8]}", timeout_s=1.0)


async def test_a_notice_wakes_the_subscribers_of_that_order_only():
    events = LocalOrderEvents()
    async with (
        events.subscribe("SO-1") as first,
        events.subscribe("SO-1") as second,
        events.subscribe("SO-2") as other,
    ):
        await events.publish(["SO-1", "SO-3"])
        assert await heard(first) and await heard(second)
        assert pending(other) == 0
    assert len(events.fan_out) == 0


async def test_notices_for_a_busy_subscriber_coalesce_into_one_re_read():
    events = LocalOrderEvents()
    async with events.subscribe("SO-1") as changes:
        for _ in range(5):
            await events.publish(["SO-1"])
        assert pending(changes) == 1


async def test_two_processes_on_one_redis_channel_hear_each_others_notices():
    prefix = f"sgtest-{uuid.uuid4().hex[:8]}"
    first, second = hub(prefix=prefix), hub(prefix=prefix)
    try:
        async with first.subscribe("SO-7") as on_first, second.subscribe("SO-7") as on_second:
            assert first.listening and second.listening
            await first.publish(["SO-7"])
            assert await heard(on_first) and await heard(on_second)
    finally:
        await first.close()
        await second.close()


async def test_hubs_with_another_prefix_hear_nothing():
    mine, theirs = hub(), hub()
    try:
        async with mine.subscribe("SO-8") as changes:
            await theirs.publish(["SO-8"])
            await mine.publish(["SO-9"])
            await mine.publish(["SO-8"])
            assert await heard(changes)
            await asyncio.sleep(0.1)
            assert pending(changes) == 0  # only the one notice that named SO-8 here
    finally:
        await mine.close()
        await theirs.close()


async def test_without_redis_a_publish_still_reaches_this_processs_subscribers():
    dead = hub(url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        async with dead.subscribe("SO-5") as changes:
            assert not dead.listening
            await dead.publish(["SO-5"])
            assert await heard(changes)
    finally:
        await dead.close()


def start_redis(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def private_redis_port() -> Iterator[int]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    yield free_port()


async def test_after_redis_restarts_the_hub_resubscribes_and_wakes_every_subscriber(
    private_redis_port,
):
    port = private_redis_port
    redis = start_redis(port)
    events = hub(url=f"redis://127.0.0.1:{port}/0")
    try:
        async with events.subscribe("SO-1") as changes:
            assert events.listening
            redis.kill()
            redis.wait()
            await wait_until(lambda: not events.listening)
            redis = await asyncio.to_thread(start_redis, port)
            # Notices may have been lost meanwhile: every subscriber re-reads once.
            assert await heard(changes)
            assert events.listening and events.reconnects == 1
            await events.publish(["SO-1"])
            assert await heard(changes)
    finally:
        await events.close()
        redis.kill()
        redis.wait()


def test_a_malformed_notice_names_no_order():
    assert order_ids_of(b'["SO-1", 2, "SO-3"]') == ["SO-1", "SO-3"]
    assert order_ids_of(b"not json") == []
    assert order_ids_of(b'{"SO-1": true}') == []
    assert order_ids_of(None) == []
