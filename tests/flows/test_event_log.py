"""The event log itself: entries as documented, and capped near its configured length."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from gateway.flows.events import DomainEvent, EventLog, StreamNames
from tests.gateway_fixtures import REDIS_URL


def test_the_log_keeps_the_documented_fields_and_stays_near_its_cap() -> None:
    async def scenario() -> tuple[int, DomainEvent, dict[bytes | str, bytes | str]]:
        redis = Redis.from_url(REDIS_URL)
        names = StreamNames.under(f"sglog-{uuid.uuid4().hex[:8]}")
        try:
            log = EventLog(redis, names, max_len=100)
            event = DomainEvent("e-1", "erp", "production.updated", ("SO-1",), {"ids": [4]})
            for _ in range(1000):
                await log.append(event)
            length = await redis.xlen(names.events)
            newest = await redis.xrevrange(names.events, count=1)
            assert newest is not None
            [(_, fields)] = newest
            assert fields is not None
            return length, DomainEvent.from_fields(fields), fields
        finally:
            await redis.delete(names.events)
            await redis.aclose()

    length, read_back, fields = asyncio.run(scenario())
    assert 100 <= length < 300, "MAXLEN ~ trims whole nodes: near the cap, never 1000"
    assert set(fields) == {
        b"event_id",
        b"system",
        b"event",
        b"keys",
        b"data",
        b"occurred_at",
        b"received_at",
    }
    assert (read_back.system, read_back.event, read_back.keys) == (
        "erp",
        "production.updated",
        ("SO-1",),
    )
    assert read_back.data == {"ids": [4]} and read_back.received_at > 0
