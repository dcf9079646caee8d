"""A circuit breaker for one upstream system, so a dead system costs no waiting.

    closed  ──N availability failures in a row──▶  open
    open    ──cool-down over──▶  half_open (the next request is the one probe)
    half_open ──probe answered──▶ closed      ──probe failed──▶ open again

Only availability failures (unreachable, 5xx, timeouts) count. A refusal or an
off-contract answer still proves the system is up, so for the breaker it is a success.
"""

from __future__ import annotations

import enum

from gateway.errors import UpstreamUnavailable
from resolvers.resilience import BreakerState, Clock


class CircuitOpen(UpstreamUnavailable):
    """Refused without a request: the breaker of this system is open."""


class Admission(enum.Enum):
    """Why a request was let through; the outcome of a probe decides the breaker's state."""

    REGULAR = "regular"
    PROBE = "probe"


class CircuitBreaker:
    """The state lives here, on one object per upstream endpoint of one process."""

    def __init__(self, *, failure_threshold: int, cooldown_s: float, clock: Clock) -> None:
        self._failure_threshold = failure_threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures_in_a_row = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._cooldown_s:
            return "open"
        return "half_open"

    def seconds_until_probe(self) -> float:
        """How long the breaker will still refuse every request (0 unless open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self._cooldown_s - self._clock())

    def admit(self) -> Admission | None:
        """Let a request through, or None to refuse it without sending anything.

        Half-open lets exactly one probe through; the others are refused until its
        outcome is known, or a half-recovered system would get the full load at once.
        """
        state = self.state
        if state == "closed":
            return Admission.REGULAR
        if state == "open" or self._probe_in_flight:
            return None
        self._probe_in_flight = True
        return Admission.PROBE

    def record_success(self, admission: Admission) -> None:
        """The upstream answered: whatever the state, it is reachable again."""
        self._failures_in_a_row = 0
        self._opened_at = None
        if admission is Admission.PROBE:
            self._probe_in_flight = False

    def record_failure(self, admission: Admission) -> None:
        if admission is Admission.PROBE:
            self._probe_in_flight = False
            self._opened_at = self._clock()
            return
        if self._opened_at is not None:
            # Let in before the breaker opened: the outage is known, the cool-down stays.
            return
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= self._failure_threshold:
            self._opened_at = self._clock()

    def abandon(self, admission: Admission) -> None:
        """The request ended without telling anything (cancelled): free the probe slot."""
        if admission is Admission.PROBE:
            self._probe_in_flight = False
