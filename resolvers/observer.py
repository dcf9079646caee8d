"""What the gateway may watch of each upstream HTTP attempt, without resolvers knowing how.

``UpstreamEndpoint`` describes every attempt as an ``UpstreamCall`` and runs it inside
``observer.observe(call)`` of the call log it was given (``resolvers.call_log``). The
gateway implements ``UpstreamObserver`` for metrics, tracing and its slow-request log;
resolvers import neither Prometheus nor OpenTelemetry.

An observer may add headers to ``call.extra_headers`` (``traceparent``, ``X-Request-Id``)
when ``observe`` starts; they are sent with the request. It never sees the endpoint's
credentials. The endpoint fills in ``status_code`` when an answer arrives; an attempt
that ends in an exception leaves it None and the observer sees the exception instead.

Batch size: ``gather_per_chunk`` runs each chunk inside ``batch_of(len(chunk))``, so an
attempt made for a chunk knows how many keys it carries (None for calls not batched).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from core.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable

_BATCH_SIZE: ContextVar[int | None] = ContextVar("supplygraph_batch_size", default=None)


@dataclass(slots=True)
class UpstreamCall:
    system: str
    operation: str
    method: str
    batch_size: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    status_code: int | None = None


class UpstreamObserver(Protocol):
    def observe(self, call: UpstreamCall) -> AbstractContextManager[object]:
        """Entered just before the attempt is sent, left when it ends (also by raising)."""
        ...


@contextmanager
def batch_of(size: int) -> Iterator[None]:
    """Attempts made inside carry ``size`` as their batch size."""
    token = _BATCH_SIZE.set(size)
    try:
        yield
    finally:
        _BATCH_SIZE.reset(token)


def current_batch_size() -> int | None:
    return _BATCH_SIZE.get()


def outcome_of(call: UpstreamCall, error: BaseException | None) -> str:
    """A short label for how an attempt ended: the HTTP status (``"200"``, ``"503"``) when
    an answer came, else ``timeout``, ``unreachable``, ``cancelled`` or ``error``."""
    if call.status_code is not None:
        return str(call.status_code)
    if error is None:
        return "ok"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    if isinstance(error, UpstreamError) and error.status is not None:
        return str(error.status)
    if isinstance(error, UpstreamTimeout):
        return "timeout"
    if isinstance(error, UpstreamUnavailable):
        return "unreachable"
    return "error"
