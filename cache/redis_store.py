"""The cache's byte store in Redis, failing open.

Redis is an optimisation, never a dependency: any error or timeout makes the store
answer as if it were empty, opens a breaker (see ``cache.breaker``) so that the next
calls do not wait for Redis at all, and is logged once per outage, not once per call.
Timeouts are short (tens of milliseconds) because a slow cache is worse than none,
and redis-py's own retries are turned off: the breaker decides when to try again. The
timeout is the store's own (``cache.patient_timeout``), which does not count the time
this process's event loop was blocked by its own CPU work against Redis.

The client may be one server, a Redis Cluster or a Sentinel-managed master
(``cache.redis_clients``). On a Cluster, record keys carry no hash tag, so the entries
of one kind spread over every node; a batch read is split by slot instead, one MGET per
slot, pipelined per node (redis-py's ``mget_nonatomic``), so a batch costs one round
trip per node that holds part of it. Deletes are split the same way, and a pattern
delete scans every primary.

Reads issued in the same event-loop tick share one MGET (on one server): a tracking
view's order, plans, shipments and invoices loaders each read their keys at once, and
one round trip with one pooled connection serves all four. A batch's write is one call
of a small Lua script on one server (one reply to parse, not one per entry), and a
pipeline of SETs on a Cluster or on a server whose ACL refuses scripts.

``round_trip_hook(command, key_count)``, when given, wraps every round trip (tracing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import MaxConnectionsError, RedisError, ResponseError

from cache.breaker import Breaker
from cache.patient_timeout import within
from cache.redis_clients import close_redis_client, open_redis_client
from cache.store import StoreItem, StoreStats
from cache.write_guard import WriteGuard, marker_allows

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

# OSError covers TimeoutError and refused or reset sockets that slip past redis-py.
BACKEND_ERRORS = (RedisError, OSError)

RoundTripHook = Callable[[str, int], AbstractContextManager[object]]

# KEYS: the entries' keys; ARGV: each one's value and TTL in ms, in turn.
_SET_ALL = """
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2 * i - 1], 'PX', ARGV[2 * i])
end
return #KEYS
"""

# KEYS: n entries' keys, their n markers, then the batch's pattern markers;
# ARGV: n, the generation read before the fetch, then each entry's value and TTL in ms.
# See cache.write_guard: skip what an invalidation newer than the fetch has marked.
_SET_UNMARKED = """
local n = tonumber(ARGV[1])
local since = tonumber(ARGV[2])
local function allows(marker)
  if not marker then return true end
  local number = tonumber(marker)
  return number ~= nil and number <= since
end
for i = 2 * n + 1, #KEYS do
  if not allows(redis.call('GET', KEYS[i])) then return 0 end
end
local written = 0
for i = 1, n do
  if allows(redis.call('GET', KEYS[n + i])) then
    redis.call('SET', KEYS[i], ARGV[2 * i + 1], 'PX', ARGV[2 * i + 2])
    written = written + 1
  end
end
return written
"""

# KEYS[1]: a generation counter; ARGV[1]: its TTL in ms. Absent (expired, evicted) or
# not a number (the older random tokens), it starts from the server's time in
# microseconds, so that no number handed out before comes back.
_COUNT_UP = """
local current = redis.call('GET', KEYS[1])
if not current or not tonumber(current) then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], tonumber(now[1]) * 1000000 + tonumber(now[2]))
end
local number = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return number
"""


@dataclass
class _TickReads:
    """The keys asked for during one event-loop tick, read together when it ends."""

    answer: asyncio.Future[list[bytes | None]]
    keys: list[str] = field(default_factory=list)


class RedisStore:
    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        breaker_open_s: float = 5.0,
        scan_batch: int = 500,
        round_trip_hook: RoundTripHook | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self._client = client
        # None: only the client's own socket timeout bounds a call.
        self._timeout_s = timeout_s
        self._cluster = isinstance(client, RedisCluster)
        self._breaker = Breaker(breaker_open_s)
        self._scan_batch = scan_batch
        self._round_trip_hook = round_trip_hook
        self._tick_reads: _TickReads | None = None
        # One server: a batch's entries are written by one script call, one reply to
        # parse; a pipeline of N SETs cost N replies through redis-py's parser (~1.5 ms
        # of CPU for a cold availability view). A Cluster spreads the keys over slots,
        # which one script may not touch: it keeps the pipeline.
        self._set_all: AsyncScript | None = (
            None if self._cluster else client.register_script(_SET_ALL)
        )
        # The guarded write's keys span slots, so a Cluster checks markers first and
        # writes after (see set_many_guarded); the counter is one key: a script anywhere.
        self._set_unmarked: AsyncScript | None = (
            None if self._cluster else client.register_script(_SET_UNMARKED)
        )
        self._count_up: AsyncScript | None = client.register_script(_COUNT_UP)
        self._flushes: set[asyncio.Task[None]] = set()
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
        cluster: bool = False,
        round_trip_hook: RoundTripHook | None = None,
    ) -> RedisStore:
        """A store over a new client for ``url`` (any form ``cache.redis_clients`` reads;
        ``cluster`` makes a ``redis://`` URL a Cluster's startup node).

        ``max_connections`` bounds the pool (per node on a Cluster); a call finding every
        connection busy skips the cache rather than wait for one.
        """
        client = open_redis_client(
            url,
            cluster=cluster,
            # A backstop only: the store's own timeout (cache.patient_timeout) is the one
            # that counts, since it does not expire while this process's loop is blocked.
            socket_timeout_s=max(1.0, 10 * socket_timeout_s),
            connect_timeout_s=connect_timeout_s,
            max_connections=max_connections,
        )
        return cls(
            client,
            breaker_open_s=breaker_open_s,
            round_trip_hook=round_trip_hook,
            timeout_s=socket_timeout_s,
        )

    @property
    def cluster(self) -> bool:
        return self._cluster

    @property
    def available(self) -> bool:
        """False from a failure until Redis answers again."""
        return not self._breaker.failing

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        if self._cluster:
            values: list[bytes | None] = await self._mget(
                self._client.mget_nonatomic,  # type: ignore[union-attr]
                list(keys),
            )
        else:
            values = await self._read_with_this_tick(keys)
        self.stats.count_reads(values)
        return values

    async def _read_with_this_tick(self, keys: Sequence[str]) -> list[bytes | None]:
        reads = self._tick_reads
        if reads is None:
            loop = asyncio.get_running_loop()
            reads = self._tick_reads = _TickReads(loop.create_future())
            loop.call_soon(self._flush_tick_reads)
        start = len(reads.keys)
        reads.keys.extend(keys)
        # shield: one reader cancelled must not cancel the read the others wait for.
        values = await asyncio.shield(reads.answer)
        return values[start : start + len(keys)]

    def _flush_tick_reads(self) -> None:
        reads, self._tick_reads = self._tick_reads, None
        if reads is None:
            return
        task = asyncio.get_running_loop().create_task(self._read_for_tick(reads))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _read_for_tick(self, reads: _TickReads) -> None:
        try:
            values = await self._mget(self._client.mget, reads.keys)
        except BaseException as error:
            if not reads.answer.done():
                reads.answer.set_exception(error)
            raise
        if not reads.answer.done():
            reads.answer.set_result(values)

    async def _mget(
        self, read: Callable[[list[str]], Awaitable[Any]], keys: list[str]
    ) -> list[bytes | None]:
        values: list[bytes | None] = await self._call(
            "MGET", partial(read, keys), [None] * len(keys), len(keys)
        )
        return values

    async def set_many(self, items: Sequence[StoreItem]) -> None:
        if items:
            await self._call("PIPELINE", partial(self._write_batch, items), None, len(items))

    async def set_many_guarded(self, items: Sequence[StoreItem], guard: WriteGuard) -> int | None:
        if not items:
            return 0
        written: int | None = await self._call(
            "PIPELINE", partial(self._write_unmarked, items, guard), None, len(items)
        )
        return written

    async def increment(self, key: str, ttl_ms: int) -> int | None:
        number: int | None = await self._call("INCR", partial(self._count, key, ttl_ms), None)
        return number

    async def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        deleted: int = await self._call("UNLINK", partial(self._client.unlink, *keys), 0, len(keys))
        return deleted

    async def ping(self) -> bool:
        """True when Redis answers now (asked even while the breaker is open)."""
        try:
            if self._timeout_s is None:
                return bool(await self._client.ping())
            return bool(await within(self._client.ping(), self._timeout_s))
        except BACKEND_ERRORS:
            return False

    async def delete_matching(self, pattern: str) -> int:
        if self._cluster:
            return await self._delete_matching_on_every_primary(pattern)
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

    async def _delete_matching_on_every_primary(self, pattern: str) -> int:
        # A Cluster's keys are spread over its primaries: each is scanned to its end.
        async def matching_keys() -> list[str]:
            found = [
                key.decode()
                async for key in self._client.scan_iter(match=pattern, count=self._scan_batch)
            ]
            return found

        keys: list[str] = await self._call("SCAN", matching_keys, [])
        deleted = 0
        for start in range(0, len(keys), self._scan_batch):
            deleted += await self.delete(keys[start : start + self._scan_batch])
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
        await close_redis_client(self._client)

    async def _write_batch(self, items: Sequence[StoreItem]) -> None:
        if self._set_all is not None:
            keys = [key for key, _, _ in items]
            args = [part for _, value, ttl_ms in items for part in (value, ttl_ms)]
            try:
                await self._set_all(keys=keys, args=args)
                return
            except ResponseError as error:
                # A server that refuses scripts (an ACL without @scripting) still takes
                # plain SETs: use those from now on rather than lose every write.
                logger.warning("Redis refused the batch-write script (%s); using pipelines", error)
                self._set_all = None
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value, ttl_ms in items:
                pipe.set(key, value, px=ttl_ms)
            await pipe.execute()

    async def _count(self, key: str, ttl_ms: int) -> int:
        if self._count_up is not None:
            try:
                return int(await self._count_up(keys=[key], args=[ttl_ms]))
            except ResponseError as error:
                logger.warning("Redis refused the counter script (%s); using INCR", error)
                self._count_up = None
        # The script's steps in one pipeline: start from the time if absent, count up.
        start = time.time_ns() // 1000
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.set(key, start, nx=True)
            pipe.incr(key)
            pipe.pexpire(key, ttl_ms)
            _, counted, _ = await pipe.execute(raise_on_error=False)
        if isinstance(counted, ResponseError):
            # Not a number: an older random token. Start counting from the time.
            await self._client.set(key, start, px=ttl_ms)
            return start
        if isinstance(counted, Exception):
            raise counted
        return int(counted)

    async def _write_unmarked(self, items: Sequence[StoreItem], guard: WriteGuard) -> int:
        keys = [key for key, _, _ in items]
        if self._set_unmarked is not None:
            args: list[bytes | int] = [len(items), guard.since]
            args += [part for _, value, ttl_ms in items for part in (value, ttl_ms)]
            try:
                written = await self._set_unmarked(
                    keys=[*keys, *guard.markers, *guard.floors], args=args
                )
                return int(written)
            except ResponseError as error:
                logger.warning("Redis refused the guarded-write script (%s); checking first", error)
                self._set_unmarked = None
        # Check, then write: not atomic. A marker left between the two is followed by
        # its invalidation's drop, which then removes what was written; only a drop
        # that lands between the check and the write can be overtaken.
        marks = await self._read_all([*guard.floors, *guard.markers])
        floors, markers = marks[: len(guard.floors)], marks[len(guard.floors) :]
        if not all(marker_allows(floor, guard.since) for floor in floors):
            return 0
        allowed = [
            item
            for item, marker in zip(items, markers, strict=True)
            if marker_allows(marker, guard.since)
        ]
        if allowed:
            await self._write_batch(allowed)
        return len(allowed)

    async def _read_all(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        if self._cluster:
            values: list[bytes | None] = await self._client.mget_nonatomic(keys)  # type: ignore[union-attr]
        else:
            values = await self._client.mget(keys)  # type: ignore[assignment]
        return values

    async def _call(
        self,
        command: str,
        operation: Callable[[], Awaitable[Any]],
        fallback: ResultT,
        key_count: int = 1,
    ) -> ResultT:
        if not self._breaker.allows_call():
            self.stats.skipped += 1
            return fallback
        self.stats.count_round_trip(command)
        hook = self._round_trip_hook
        try:
            with nullcontext() if hook is None else hook(command, key_count):
                if self._timeout_s is None:
                    result: ResultT = await operation()
                else:
                    result = await within(operation(), self._timeout_s)
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
