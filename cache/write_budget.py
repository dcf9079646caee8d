"""A bound on how many bytes a kind of entry may add to the cache per minute.

Persisted queries and kept answers are written on behalf of whoever asks: any token
could send fresh documents or fresh variables as fast as it likes and fill Redis. A
budget per process, refilled continuously, caps the rate; with the entries' TTL it caps
what they can ever hold (rate x TTL x processes). Past it, entries are simply not
written: the request is answered all the same, and the next one can try again.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class WriteBudget:
    def __init__(
        self, bytes_per_minute: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = bytes_per_minute / 60.0
        self._capacity = float(bytes_per_minute)
        self._available = float(bytes_per_minute)
        self._clock = clock
        self._last = clock()

    def spend(self, size: int) -> bool:
        """Takes ``size`` bytes from the budget; False (and takes nothing) if not there."""
        now = self._clock()
        self._available = min(self._capacity, self._available + (now - self._last) * self._rate)
        self._last = now
        if size > self._available:
            return False
        self._available -= size
        return True
