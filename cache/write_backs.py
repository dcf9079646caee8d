"""Cache writes that run beside the request instead of in front of its next level.

A batch's records go back to its loader as soon as the upstream answers; writing them
to the store (encode, one round trip) then runs while the next level's calls
are already out. Awaited in line, that write sat between an order arriving and its
customer being asked for: 0.5-2 ms per level on a cold tracking request, more when
several answers land together.

Each request owns a ``WriteBacks`` and settles it before it answers, so that whatever a
client has been told is already in the cache when the answer reaches it (the next
request, from any replica, finds it), and a write of the request's own (a mutation's
invalidation) comes after what the request itself read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class WriteBacks:
    """The cache writes one request has started and not yet seen finish."""

    def __init__(self) -> None:
        self._pending: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, task: asyncio.Task[None]) -> None:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def settle(self) -> None:
        """Return once every write started so far has finished (failed ones included)."""
        while self._pending:
            await asyncio.wait(list(self._pending))


class BackgroundWrites:
    """The write tasks of one process: kept referenced until done, drained at shutdown."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._running)

    def start(self, write: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(_logged(write))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def drain(self) -> None:
        while self._running:
            await asyncio.wait(list(self._running))


async def _logged(write: Coroutine[Any, Any, None]) -> None:
    # A cache write that fails must not surface in a request that has its answer:
    # the store already fails open; anything else is a bug worth a log line.
    try:
        await write
    except Exception:
        logger.exception("a cache write-back failed")
