"""The time budget of one logical upstream call, attempts and waits included."""

from __future__ import annotations

from resolvers.resilience import Clock


class Deadline:
    def __init__(self, budget_s: float, clock: Clock) -> None:
        self.budget_s = budget_s
        self._clock = clock
        self._expires_at = clock() + budget_s

    def remaining(self) -> float:
        return max(0.0, self._expires_at - self._clock())

    def allows_wait(self, seconds: float) -> bool:
        """True when after waiting ``seconds`` some time is still left for an attempt."""
        return seconds < self.remaining()
