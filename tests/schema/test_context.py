"""A request's exit work (``GatewayContext.finish``): what every path calls as it ends."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from cache.write_backs import WriteBacks
from gateway.auth import ANONYMOUS_STAFF
from schema.config import SchemaConfig
from schema.context import GatewayContext


def context_with(write_backs: WriteBacks) -> GatewayContext:
    # Nothing here is read: finishing touches only the request's cache writes.
    return GatewayContext(
        config=SchemaConfig(erp_currency="EUR", request_deadline_s=5.0),
        viewer=ANONYMOUS_STAFF,
        clients=cast(Any, None),
        loaders=cast(Any, None),
        make_loaders=lambda: cast(Any, None),
        write_backs=write_backs,
    )


async def test_finishing_a_request_waits_for_every_cache_write_it_started():
    write_backs = WriteBacks()
    release = asyncio.Event()
    written: list[int] = []

    async def write(n: int) -> None:
        await release.wait()
        written.append(n)

    for n in range(3):
        write_backs.add(asyncio.create_task(write(n)))
    finishing = asyncio.create_task(context_with(write_backs).finish())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not finishing.done() and written == []

    release.set()
    await finishing
    assert sorted(written) == [0, 1, 2]
    assert len(write_backs) == 0


async def test_work_alongside_the_finish_runs_while_the_cache_writes_are_still_pending():
    write_backs = WriteBacks()
    release = asyncio.Event()
    events: list[str] = []

    async def write() -> None:
        await release.wait()
        events.append("written")

    async def keep_answer() -> None:
        events.append("keeping")
        release.set()  # had it waited for the writes, they would never finish

    write_backs.add(asyncio.create_task(write()))
    async with asyncio.timeout(10):  # a guard against a hang, not a measurement
        await context_with(write_backs).finish(keep_answer())
    assert events == ["keeping", "written"]
