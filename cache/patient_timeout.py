"""A timeout that measures the far side, not the time our own process was busy.

Redis gets a short budget (0.1 s by default): a slow cache is worse than none. But a
timer on the event loop also runs out while the loop is busy with CPU work of its own:
graphql-core completing a 50-customer dashboard in one synchronous run of 150-250 ms,
or many requests' decoding at once. A reply that arrived meanwhile sat unread (under
uvloop the timers of a loop iteration even run before its I/O is read), the call
failed, the cache's breaker opened, and every request of the next 5 s went to the
upstreams: because of the gateway's own CPU, not because Redis was slow.

``within(awaitable, budget_s)`` therefore grants a fresh budget when, over the budget
just spent, this process was busy on the CPU for most of the time or its timer fired
late (the loop was blocked past the deadline), up to ``max_extensions`` times, and only
then gives up. A Redis that is really slow while the process idles fails after one
budget.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

# A timer firing later than this after its deadline means the loop was blocked.
LATE_S = 0.01
# Busier than this share of a budget on the CPU, the process itself was the bottleneck.
BUSY_SHARE = 0.5


async def within(awaitable: Awaitable[T], budget_s: float, *, max_extensions: int = 3) -> T:
    """The result of ``awaitable``, or ``TimeoutError`` once it has had ``budget_s`` of
    time during which this process was free to read its answer."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(awaitable)
    window_start, cpu_start = loop.time(), time.process_time()
    deadline = window_start + budget_s
    extensions = 0
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=max(deadline - loop.time(), 0.0))
            if done:
                return task.result()
            now, cpu = loop.time(), time.process_time()
            late = now - deadline > LATE_S
            busy = cpu - cpu_start > BUSY_SHARE * (now - window_start)
            if (late or busy) and extensions < max_extensions:
                extensions += 1
                window_start, cpu_start = now, cpu
                deadline = now + budget_s
                continue
            raise TimeoutError(f"no answer within {budget_s:g} s")
    finally:
        if not task.done():
            task.cancel()
