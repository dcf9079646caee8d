"""What is known about the request being served, reachable from anywhere in its task.

The middleware sets a ``RequestRecord`` in a contextvar when a request starts. Tasks
started while serving it (dataloader batches, chunked upstream calls) copy the context,
so they count into the same record: the slow-request log lists its upstream calls.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

# Printable, no spaces or quotes: safe to echo in a header and a log line.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


@dataclass(slots=True)
class UpstreamTally:
    """The calls of one (system, operation) made while serving one request."""

    system: str
    operation: str
    calls: int = 0
    total_ms: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "operation": self.operation,
            "calls": self.calls,
            "total_ms": round(self.total_ms, 1),
            "outcomes": dict(self.outcomes),
        }


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    operation: str | None = None  # the GraphQL operation's name, once known
    operation_type: str | None = None  # query, mutation, subscription
    outcome: str | None = None  # ok, partial, error (set by the operations extension)
    # Tallied, not listed: a stream or a websocket may live for hours, its memory may not grow.
    upstream: dict[tuple[str, str], UpstreamTally] = field(default_factory=dict)

    def count_upstream_call(
        self, system: str, operation: str, outcome: str, duration_ms: float
    ) -> None:
        tally = self.upstream.get((system, operation))
        if tally is None:
            tally = self.upstream[(system, operation)] = UpstreamTally(system, operation)
        tally.calls += 1
        tally.total_ms += duration_ms
        tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + 1

    @property
    def upstream_call_count(self) -> int:
        return sum(tally.calls for tally in self.upstream.values())

    def upstream_by_time(self) -> list[dict[str, object]]:
        """The tallies, the most time-consuming first."""
        ordered = sorted(self.upstream.values(), key=lambda tally: -tally.total_ms)
        return [tally.as_dict() for tally in ordered]


_CURRENT: ContextVar[RequestRecord | None] = ContextVar("supplygraph_request", default=None)


def current_request() -> RequestRecord | None:
    return _CURRENT.get()


def current_request_id() -> str | None:
    record = _CURRENT.get()
    return record.request_id if record is not None else None


def enter_request(record: RequestRecord) -> Token[RequestRecord | None]:
    """Makes ``record`` current; pass the returned token to ``leave_request``."""
    return _CURRENT.set(record)


def leave_request(token: Token[RequestRecord | None]) -> None:
    _CURRENT.reset(token)


def request_id_from(header: str | None) -> str:
    """The caller's ``X-Request-Id`` when it is a sane one, else a new random id."""
    if header is not None and _ACCEPTABLE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex
