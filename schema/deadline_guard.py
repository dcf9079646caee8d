"""When a request's deadline passes, whatever it still waits for becomes an error.

Every upstream call already ends by the request's deadline (``resolvers.request_deadline``)
and a cache read by its own short timeout, so the fields fail by themselves, each with
its system's ``UPSTREAM_TIMEOUT`` (or are served from an expired cache entry). This guard
is the backstop for anything still pending a moment later: every key of the request's
loaders not yet answered is failed with ``UPSTREAM_TIMEOUT`` and its system, so
graphql-core completes the answer with those fields null instead of waiting on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.errors import UpstreamTimeout
from resolvers._deadline import Deadline
from resolvers.loaders import RequestLoader
from schema.context import GatewayContext

# Past the deadline, the upstream calls' own timeouts fire first (and may still serve a
# stale cache entry); the guard waits this much longer so that it only catches leftovers.
GRACE_S = 0.1


@contextmanager
def expiring_at(deadline: Deadline, context: GatewayContext) -> Iterator[None]:
    """Inside, ``context``'s loaders fail what is unanswered ``GRACE_S`` past ``deadline``."""
    handle = asyncio.get_running_loop().call_later(
        deadline.remaining() + GRACE_S, expire, deadline, context
    )
    try:
        yield
    finally:
        handle.cancel()


def expire(deadline: Deadline, context: GatewayContext) -> int:
    def timed_out(loader: RequestLoader[Any, Any]) -> UpstreamTimeout:
        return UpstreamTimeout(
            loader.system, f"{loader.fetcher_name}: no answer within {deadline.label}"
        )

    return context.loaders.expire_pending(timed_out)
