"""Turning a caller's keys into upstream-sized chunks that are fetched side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from resolvers.observer import batch_of

KeyT = TypeVar("KeyT", bound=Hashable)
ResultT = TypeVar("ResultT")
RecordT = TypeVar("RecordT")


def distinct_keys(keys: Iterable[KeyT]) -> list[KeyT]:
    """The keys once each, in first-seen order, without empty ones (``""``, ``None``).

    An empty key can never match upstream data (a crosswalk value may be empty), so it
    is not worth a place in a request.
    """
    return list(dict.fromkeys(key for key in keys if key))


def chunks(keys: Sequence[KeyT], size: int) -> list[Sequence[KeyT]]:
    if size < 1:
        raise ValueError(f"chunk size must be positive, got {size}")
    return [keys[start : start + size] for start in range(0, len(keys), size)]


async def gather_per_chunk(
    keys: Sequence[KeyT],
    size: int,
    fetch_chunk: Callable[[Sequence[KeyT]], Awaitable[ResultT]],
) -> list[ResultT]:
    """Run ``fetch_chunk`` for every chunk of ``keys`` concurrently; no keys, no call.

    When one chunk fails the others are cancelled: the caller gets the first error
    and no request keeps running on its behalf after it has given up.
    """
    key_chunks = chunks(keys, size)

    async def fetch_sized(chunk: Sequence[KeyT]) -> ResultT:
        # Each chunk's upstream calls carry its size (for metrics and traces).
        with batch_of(len(chunk)):
            return await fetch_chunk(chunk)

    if len(key_chunks) == 1:
        return [await fetch_sized(key_chunks[0])]
    return await gather_or_cancel([fetch_sized(chunk) for chunk in key_chunks])


async def gather_or_cancel(awaitables: Sequence[Awaitable[ResultT]]) -> list[ResultT]:
    """``asyncio.gather`` that cancels the rest once one fails, then raises that error."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
            # A chunk may still fail while being cancelled: its error is not news then.
            task.add_done_callback(_observe)
        raise


def _observe(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def group_by_key(
    keys: Iterable[KeyT],
    records: Iterable[RecordT],
    key_of: Callable[[RecordT], KeyT | None],
) -> dict[KeyT, list[RecordT]]:
    """Records listed under their key, in the order they came; every key gets a list.

    Keeping answer order matters: the CRM lists a customer's orders newest first.
    """
    grouped: dict[KeyT, list[RecordT]] = {key: [] for key in keys}
    for record in records:
        key = key_of(record)
        if key is not None:
            grouped.setdefault(key, []).append(record)
    return grouped
