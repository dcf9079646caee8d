"""A fetcher that answers from a dict and remembers what it was asked."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Generic, TypeVar

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


class FakeFetch(Generic[KeyT, ValueT]):
    def __init__(self, data: Mapping[KeyT, ValueT]) -> None:
        self.data = dict(data)
        self.calls: list[list[KeyT]] = []
        self.error: BaseException | None = None
        # When set, every call waits for it: a test can hold fetches in flight.
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    @property
    def fetched_keys(self) -> list[KeyT]:
        return [key for call in self.calls for key in call]

    async def __call__(self, keys: list[KeyT]) -> dict[KeyT, ValueT]:
        self.calls.append(list(keys))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return {key: self.data[key] for key in keys if key in self.data}
