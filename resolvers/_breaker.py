"""A circuit breaker for one upstream system, so a dead system costs no waiting.

    closed  ──failure rate ≥ threshold over the window (and ≥ minimum calls)──▶  open
    open    ──cool-down over──▶  half_open (the next request is the one probe)
    half_open ──probe answered──▶ closed      ──probe failed──▶ open again

It counts outcomes of logical calls (a read's retries included) in a sliding window of
the last ``window_s`` seconds, as resilience4j's time-based window does, and opens only
when at least ``minimum_calls`` ended there and the share that failed reaches
``failure_rate``. Opening on N failures in a row turned a system failing half its calls
into one failing all of them: with the SCM failing 50 % of calls, 96 % of answers had
errors with that breaker and 21 % without any (``bench/partial_failure.py``).

Only availability failures (unreachable, 5xx, timeouts) count as failures. A refusal or
an off-contract answer still proves the system is up, so for the breaker it is a success.
"""

from __future__ import annotations

import enum
import math
from collections import deque

from core.errors import UpstreamUnavailable
from resolvers.resilience import BreakerState, Clock


class CircuitOpen(UpstreamUnavailable):
    """Refused without a request: the breaker of this system is open."""


class Admission(enum.Enum):
    """Why a request was let through; the outcome of a probe decides the breaker's state."""

    REGULAR = "regular"
    PROBE = "probe"


class _Bucket:
    """The outcomes of one second of the window."""

    __slots__ = ("calls", "failures", "second")

    def __init__(self, second: int) -> None:
        self.second = second
        self.calls = 0
        self.failures = 0


class CircuitBreaker:
    """The state lives here, on one object per upstream endpoint of one process."""

    def __init__(
        self,
        *,
        failure_rate: float,
        minimum_calls: int,
        window_s: float,
        cooldown_s: float,
        clock: Clock,
    ) -> None:
        self._failure_rate = failure_rate
        self._minimum_calls = minimum_calls
        self._window_s = max(1, math.ceil(window_s))
        self._cooldown_s = cooldown_s
        self._clock = clock
        # One bucket per second that saw an outcome, oldest first: memory stays bounded by
        # the window's length whatever the load.
        self._buckets: deque[_Bucket] = deque()
        self._calls = 0
        self._failures = 0
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

    def failure_rate(self) -> float | None:
        """The share of calls in the window that failed; None below the minimum of calls."""
        self._forget_old(self._clock())
        if self._calls < self._minimum_calls:
            return None
        return self._failures / self._calls

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
        if admission is Admission.PROBE:
            # The system answers again: close, with a window that starts afresh.
            self._probe_in_flight = False
            self._opened_at = None
            self._reset_window()
            return
        if self._opened_at is None:
            self._count(failed=False)

    def record_failure(self, admission: Admission) -> None:
        if admission is Admission.PROBE:
            self._probe_in_flight = False
            self._opened_at = self._clock()
            return
        if self._opened_at is not None:
            # Let in before the breaker opened: the outage is known, the cool-down stays.
            return
        self._count(failed=True)
        rate = self.failure_rate()
        if rate is not None and rate >= self._failure_rate:
            self._opened_at = self._clock()
            self._reset_window()

    def abandon(self, admission: Admission) -> None:
        """The request ended without telling anything (cancelled): free the probe slot."""
        if admission is Admission.PROBE:
            self._probe_in_flight = False

    def _count(self, *, failed: bool) -> None:
        second = math.floor(self._clock())
        self._forget_old(second)
        if not self._buckets or self._buckets[-1].second != second:
            self._buckets.append(_Bucket(second))
        bucket = self._buckets[-1]
        bucket.calls += 1
        bucket.failures += failed
        self._calls += 1
        self._failures += failed

    def _forget_old(self, now: float) -> None:
        oldest_kept = math.floor(now) - self._window_s + 1
        while self._buckets and self._buckets[0].second < oldest_kept:
            gone = self._buckets.popleft()
            self._calls -= gone.calls
            self._failures -= gone.failures

    def _reset_window(self) -> None:
        self._buckets.clear()
        self._calls = 0
        self._failures = 0
