"""The byte store under the cache: what Redis and the in-process store both offer.

Every method is one round trip at most, and none raises: a store that cannot reach
its backend answers as if it were empty (reads miss, writes are dropped) so that the
gateway keeps serving from the upstream systems. ``set_if_absent`` then answers True,
so a webhook is processed rather than wrongly taken for a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cache.write_guard import WriteGuard

# (key, value, ttl in milliseconds)
StoreItem = tuple[str, bytes, int]


@dataclass(slots=True)
class StoreStats:
    """Plain counters; ``commands`` counts round trips by command (``MGET``; ``PIPELINE``
    for a batch write, one round trip whether a script call or a pipeline)."""

    round_trips: int = 0
    hits: int = 0
    misses: int = 0
    errors: int = 0
    skipped: int = 0  # calls not sent because the breaker was open
    pool_exhausted: int = 0  # calls not sent because every connection was busy
    commands: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        """Calls answered by the fail-open fallback instead of the backend."""
        return self.errors + self.skipped + self.pool_exhausted

    def count_round_trip(self, command: str) -> None:
        self.round_trips += 1
        self.commands[command] = self.commands.get(command, 0) + 1

    def count_reads(self, values: Sequence[bytes | None]) -> None:
        found = sum(value is not None for value in values)
        self.hits += found
        self.misses += len(values) - found


class CacheStore(Protocol):
    stats: StoreStats

    @property
    def available(self) -> bool:
        """False while the store fails (its answers then read as empty)."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """One value or None per key, in order (one MGET)."""
        ...

    async def set_many(self, items: Sequence[StoreItem]) -> None:
        """Every item with its own TTL, in one round trip."""
        ...

    async def set_many_guarded(self, items: Sequence[StoreItem], guard: WriteGuard) -> int | None:
        """Like ``set_many``, but only the items no invalidation newer than
        ``guard.since`` has marked (``cache.write_guard``), checked atomically with the
        write where the backend allows; how many were written, None if the call failed."""
        ...

    async def increment(self, key: str, ttl_ms: int) -> int | None:
        """``key`` counted up by one (INCR, then its TTL renewed); None if it failed."""
        ...

    async def delete(self, keys: Sequence[str]) -> int:
        """How many of ``keys`` existed."""
        ...

    async def delete_matching(self, pattern: str) -> int:
        """Every key matching a Redis glob ``pattern``, deleted in batches."""
        ...

    async def set_if_absent(self, key: str, value: bytes, ttl_ms: int) -> bool:
        """True if ``key`` was absent and is now set (SET NX PX)."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_ms: int) -> None: ...

    async def close(self) -> None: ...
