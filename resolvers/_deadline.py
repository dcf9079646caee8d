"""A time budget: of one logical upstream call (attempts and waits included), or of a
whole GraphQL request (``resolvers.request_deadline``)."""

from __future__ import annotations

from resolvers.resilience import Clock


class Deadline:
    def __init__(
        self, budget_s: float, clock: Clock, *, label: str | None = None, of_request: bool = False
    ) -> None:
        self.budget_s = budget_s
        # True when this is (what is left of) a whole request's deadline.
        self.of_request = of_request
        # How an error names this budget: "the 8 s deadline", "the request's 5 s deadline".
        self.label = label or f"the {budget_s:g} s deadline"
        self._clock = clock
        self._expires_at = clock() + budget_s

    def remaining(self) -> float:
        return max(0.0, self._expires_at - self._clock())

    def allows_wait(self, seconds: float) -> bool:
        """True when after waiting ``seconds`` some time is still left for an attempt."""
        return seconds < self.remaining()
