"""A circuit breaker for the cache's own backend (Redis), not for upstream systems.

The cache is an optimisation: when Redis fails the gateway goes on without it. The
breaker keeps a dead Redis from costing a timeout on every call: after a failure the
cache is bypassed for ``open_for_s`` seconds, then the next call tries Redis again.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    def __init__(self, open_for_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_for_s = open_for_s
        self._clock = clock
        self._failing = False  # True from a failure until the next success
        self._retry_at = 0.0

    @property
    def failing(self) -> bool:
        return self._failing

    def allows_call(self) -> bool:
        """False while open; once the open period is over, calls may try again."""
        return not self._failing or self._clock() >= self._retry_at

    def record_failure(self) -> bool:
        """Opens the breaker; True when this failure starts an outage (log it once)."""
        started = not self._failing
        self._failing = True
        self._retry_at = self._clock() + self.open_for_s
        return started

    def record_success(self) -> bool:
        """Closes the breaker; True when this success ends an outage."""
        ended = self._failing
        self._failing = False
        return ended
