"""Fake time for the resilience tests: a clock that moves only when told, and a sleep
that records how long it was asked to wait and moves the clock by as much."""

from __future__ import annotations

import asyncio


class FakeTime:
    def __init__(self, start: float = 1_000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        # Still a suspension point, as a real sleep is.
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def elapsed(self) -> float:
        return self.now - self.start
