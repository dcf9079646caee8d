"""The cache's byte store in Redis, failing open.

Redis is an optimisation, never a dependency: any error or timeout makes the store
answer as if it were empty, opens a breaker (see ``cache.breaker``) so that the next
calls do not wait for Redis at all, and is logged once per outage, not once per call.
Timeouts are short (tens of milliseconds) because a slow cache is worse than none,
and redis-py's own retries are turned off: the breaker decides when to try again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import MaxConnectionsError, RedisError

from cache.breaker import Breaker
from cache.store import StoreItem, StoreStats

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

# OSError covers TimeoutError and refused or reset sockets that slip past redis-py.
BACKEND_ERRORS = (RedisError, OSError)


class RedisStore:
    def __init__(
        self,
        client: Redis,
        *,
        breaker_open_s: float = 5.0,
        scan_batch: int = 500,
    ) -> None:
        self._client = client
        self._breaker = Breaker(breaker_open_s)
        self._scan_batch = scan_batch
        self.stats = StoreStats()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        socket_timeout_s: float = 0.05,
        connect_timeout_s: float = 0.2,
        breaker_open_s: float = 5.0,
        max_connections: int = 100,
    ) -> RedisStore:
        """A store over a new client; ``url`` is ``redis://…`` or ``rediss://…``.

        ``max_connections`` bounds the pool; a call finding every connection busy
        skips the cache rather than wait for one.
        """
        client = Redis.from_url(
            url,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=connect_timeout_s,
            retry=Retry(NoBackoff(), 0),
            max_connections=max_connections,
        )
        return cls(client, breaker_open_s=breaker_open_s)

    @property
    def available(self) -> bool:
        """False from a failure until Redis answers again."""
        return not self._breaker.failing

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values: list[bytes | None] = await self._call(
            "MGET", partial(self._client.mget, list(keys)), [None] * len(keys)
        )
        self.stats.count_reads(values)
        return values

    async def set_many(self, items: Sequence[StoreItem]) -> None:
        if items:
            await self._call("PIPELINE", partial(self._write_pipelined, items), None)

    async def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        deleted: int = await self._call("UNLINK", partial(self._client.unlink, *keys), 0)
        return deleted

    async def delete_matching(self, pattern: str) -> int:
        # SCAN, not KEYS: it never blocks Redis for long, whatever the key count.
        deleted = 0
        cursor = 0
        while True:
            page: tuple[int, list[bytes]] | None = await self._call(
                "SCAN",
                partial(self._client.scan, cursor, match=pattern, count=self._scan_batch),
                None,
            )
            if page is None:
                return deleted
            cursor, keys = page
            if keys:
                deleted += await self.delete([key.decode() for key in keys])
            if cursor == 0:
                return deleted

    async def set_if_absent(self, key: str, value: bytes, ttl_ms: int) -> bool:
        # Without Redis, True: better to process a webhook twice than to drop it.
        was_set: bool | None = await self._call(
            "SET", partial(self._client.set, key, value, px=ttl_ms, nx=True), True
        )
        return bool(was_set)

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self._call("GET", partial(self._client.get, key), None)
        self.stats.count_reads([value])
        return value

    async def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        await self._call("SET", partial(self._client.set, key, value, px=ttl_ms), None)

    async def close(self) -> None:
        await self._client.aclose()

    async def _write_pipelined(self, items: Sequence[StoreItem]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value, ttl_ms in items:
                pipe.set(key, value, px=ttl_ms)
            await pipe.execute()

    async def _call(
        self, command: str, operation: Callable[[], Awaitable[Any]], fallback: ResultT
    ) -> ResultT:
        if not self._breaker.allows_call():
            self.stats.skipped += 1
            return fallback
        self.stats.count_round_trip(command)
        try:
            result: ResultT = await operation()
        except MaxConnectionsError:
            # Every pooled connection is busy: Redis is fine, this process is just
            # busier than its pool. Skip the cache for this call; no breaker, no log.
            self.stats.pool_exhausted += 1
            return fallback
        except BACKEND_ERRORS as error:
            self.stats.errors += 1
            if self._breaker.record_failure():
                logger.warning(
                    "Redis cache unavailable (%s: %s); serving without it, retrying every %.1f s",
                    type(error).__name__,
                    error,
                    self._breaker.open_for_s,
                )
            return fallback
        if self._breaker.record_success():
            logger.info("Redis cache available again")
        return result
