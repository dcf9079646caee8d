"""Which upstream failures are worth another attempt, and how long to wait before it.

Only reads are ever retried (the caller decides, see ``UpstreamEndpoint.request``); this
module only knows about errors. Worth retrying: the system was unreachable or answered
5xx, it did not answer in time, or it asked us to slow down (429). Not worth it: a
refusal (4xx), an off-contract answer, or an open circuit (that is the point of it).
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import UpstreamError, UpstreamRateLimited, UpstreamTimeout, UpstreamUnavailable
from resolvers._breaker import CircuitOpen

# Past this the ceiling is backoff_max_s anyway; the cap keeps 2**n a float.
_MAX_DOUBLINGS = 60


def is_availability_failure(error: UpstreamError) -> bool:
    """Failures that say the system is down or overloaded: what the breaker counts."""
    if isinstance(error, CircuitOpen):
        return False
    return isinstance(error, UpstreamUnavailable | UpstreamTimeout)


def is_retryable(error: UpstreamError) -> bool:
    return is_availability_failure(error) or isinstance(error, UpstreamRateLimited)


def backoff_delay(
    retry_number: int, base_s: float, max_s: float, random: Callable[[], float]
) -> float:
    """Full jitter: anywhere in ``[0, min(max_s, base_s * 2**retry_number)]``.

    Spreading retries over the whole window keeps clients that failed together from
    coming back together. ``random`` returns a float in ``[0, 1)``.
    """
    ceiling = min(max_s, base_s * 2.0 ** min(retry_number, _MAX_DOUBLINGS))
    return ceiling * random()


def wait_before_retry(
    error: UpstreamError,
    retry_number: int,
    *,
    base_s: float,
    max_s: float,
    random: Callable[[], float],
) -> float:
    """The upstream's own ``Retry-After`` when it sent one, else the jittered backoff."""
    if isinstance(error, UpstreamRateLimited) and error.retry_after is not None:
        return error.retry_after
    return backoff_delay(retry_number, base_s, max_s, random)
