"""The deadline of one whole GraphQL request, which every upstream call made for it honours.

A per-call deadline alone lets a request with several levels of slow calls take their
sum (an SCM answering after 30 s cost a one-order query 16 s). The gateway opens
``request_deadline(budget_s)`` around the execution of each operation; each upstream
call started inside it (the dataloaders' batches inherit the context of the load that
queued them) ends by the earlier of its own deadline and the request's, retries and
``Retry-After`` waits included, and a call started after it has passed is not sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from resolvers._deadline import Deadline

_REQUEST_DEADLINE: ContextVar[Deadline | None] = ContextVar(
    "supplygraph_request_deadline", default=None
)


@contextmanager
def request_deadline(budget_s: float) -> Iterator[Deadline]:
    """Upstream calls made inside end within ``budget_s`` seconds from now."""
    label = f"the request's {budget_s:g} s deadline"
    deadline = Deadline(budget_s, time.monotonic, label=label, of_request=True)
    token = _REQUEST_DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _REQUEST_DEADLINE.reset(token)


def current_request_deadline() -> Deadline | None:
    return _REQUEST_DEADLINE.get()
