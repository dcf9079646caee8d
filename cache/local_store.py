"""The cache's byte store inside the process, for when no Redis is configured.

Same semantics as ``RedisStore`` (per-key TTL, SET NX, glob deletes), bounded by an
LRU so that memory stays flat. It is per process: several gateway processes each
keep their own copy, and a webhook reaches only the process that received it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cache.lru import LruDict
from cache.store import StoreItem, StoreStats
from cache.write_guard import WriteGuard, marker_allows


@dataclass(frozen=True, slots=True)
class _Stored:
    value: bytes
    expires_at: float  # on the store's monotonic clock


class LocalStore:
    def __init__(
        self, max_entries: int = 50_000, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: LruDict[str, _Stored] = LruDict(max_entries)
        self._clock = clock
        self.stats = StoreStats()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def available(self) -> bool:
        return True  # memory of this process: it never fails

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        self.stats.count_round_trip("MGET")
        values = [self._read(key) for key in keys]
        self.stats.count_reads(values)
        return values

    async def set_many(self, items: Sequence[StoreItem]) -> None:
        if not items:
            return
        self.stats.count_round_trip("PIPELINE")
        for key, value, ttl_ms in items:
            self._write(key, value, ttl_ms)

    async def set_many_guarded(self, items: Sequence[StoreItem], guard: WriteGuard) -> int | None:
        if not items:
            return 0
        self.stats.count_round_trip("PIPELINE")
        # No await between check and write: atomic, as the script is in Redis.
        if not all(marker_allows(self._read(floor), guard.since) for floor in guard.floors):
            return 0
        written = 0
        for (key, value, ttl_ms), marker in zip(items, guard.markers, strict=True):
            if marker_allows(self._read(marker), guard.since):
                self._write(key, value, ttl_ms)
                written += 1
        return written

    async def increment(self, key: str, ttl_ms: int) -> int | None:
        self.stats.count_round_trip("INCR")
        try:
            number = int(self._read(key) or b"") + 1
        except ValueError:
            # Absent (evicted) or a token of the older, random kind: start from the time,
            # so that no number handed out before comes back (cache.generations).
            number = time.time_ns() // 1000
        self._write(key, str(number).encode(), ttl_ms)
        return number

    async def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        self.stats.count_round_trip("UNLINK")
        return sum(self._drop(key) for key in keys)

    async def delete_matching(self, pattern: str) -> int:
        self.stats.count_round_trip("SCAN")
        matches = glob_regex(pattern).fullmatch
        return sum(self._drop(key) for key in self._entries if matches(key))

    async def set_if_absent(self, key: str, value: bytes, ttl_ms: int) -> bool:
        self.stats.count_round_trip("SET")
        if self._read(key) is not None:
            return False
        self._write(key, value, ttl_ms)
        return True

    async def get(self, key: str) -> bytes | None:
        self.stats.count_round_trip("GET")
        value = self._read(key)
        self.stats.count_reads([value])
        return value

    async def set(self, key: str, value: bytes, ttl_ms: int) -> None:
        self.stats.count_round_trip("SET")
        self._write(key, value, ttl_ms)

    async def close(self) -> None:
        return None

    def _read(self, key: str) -> bytes | None:
        stored = self._entries.get(key)
        if stored is None:
            return None
        if stored.expires_at <= self._clock():
            self._entries.pop(key)
            return None
        return stored.value

    def _write(self, key: str, value: bytes, ttl_ms: int) -> None:
        self._entries.put(key, _Stored(value, self._clock() + ttl_ms / 1000))

    def _drop(self, key: str) -> bool:
        # An expired entry counts as gone, as in Redis.
        return self._read(key) is not None and self._entries.pop(key) is not None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The Redis glob ``pattern`` as a regex: ``*``, ``?`` and ``\\`` escapes.

    Character classes (``[a-z]``) are not needed by the cache's own patterns and are
    refused rather than half-supported.
    """
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "[":
            raise ValueError(f"character classes are not supported: {pattern!r}")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)
