"""A timeout that does not count the time our own event loop was blocked."""

from __future__ import annotations

import asyncio
import time

import pytest

from cache.patient_timeout import within


async def answer_after(seconds: float, value: str = "answer") -> str:
    await asyncio.sleep(seconds)
    return value


async def test_an_answer_in_time_comes_back():
    assert await within(answer_after(0.0), 0.5) == "answer"


async def test_a_slow_answer_on_a_free_loop_times_out_and_is_cancelled():
    slow = asyncio.ensure_future(answer_after(10.0))

    with pytest.raises(TimeoutError):
        await within(slow, 0.05)

    await asyncio.sleep(0)
    assert slow.cancelled()


async def test_a_loop_blocked_past_the_deadline_gives_the_answer_another_budget():
    pending = asyncio.create_task(within(answer_after(0.02), 0.05))
    await asyncio.sleep(0)  # started: its timer is set
    time.sleep(0.2)  # noqa: ASYNC251 - our own CPU work, holding the loop

    assert await pending == "answer"


async def test_the_extensions_are_bounded():
    async def blocked_again_and_again() -> None:
        for _ in range(5):
            await asyncio.sleep(0.06)
            time.sleep(0.1)  # noqa: ASYNC251 - our own CPU work, holding the loop

    blocker = asyncio.create_task(blocked_again_and_again())
    with pytest.raises(TimeoutError):
        await within(answer_after(10.0), 0.05, max_extensions=1)
    blocker.cancel()


async def test_a_loop_kept_busy_in_short_runs_counts_as_ours_not_the_far_sides():
    async def busy_in_short_runs() -> None:
        while True:
            time.sleep(0.005)  # noqa: ASYNC251 - our own CPU work, holding the loop
            await asyncio.sleep(0)

    busy = asyncio.create_task(busy_in_short_runs())
    try:
        assert await within(answer_after(0.15), 0.1) == "answer"
    finally:
        busy.cancel()
