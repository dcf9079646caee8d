"""A record invalidated while a fetch of it is under way is not written back by that fetch
(cache.write_guard), on Redis and on the in-process store, with and without a near cache.

Each test holds the fetch on a gate, lets the invalidation land, then releases it: no
sleeps, the order of events is fixed by the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cache.entity_cache import EntityCache
from cache.invalidation import Invalidator
from cache.policy import NO_CACHE_POLICY, RequestCachePolicy, entity_kind
from cache.store import CacheStore
from core.records import OrderRecord
from tests.cache import samples
from tests.cache.fakes import FakeFetch

ORDER = entity_kind("crm", "order", ttl_s=30)

Change = Callable[[Invalidator], Awaitable[object]]


class AnsweredThenHeld(FakeFetch[str, OrderRecord]):
    """The upstream reads its data when asked, then its answer is held on the gate:
    what a change made meanwhile does, the answer does not show."""

    async def __call__(self, keys: list[str]) -> dict[str, OrderRecord]:
        self.calls.append(list(keys))
        answer = {key: self.data[key] for key in keys if key in self.data}
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return answer


def order_fetch() -> AnsweredThenHeld:
    return AnsweredThenHeld({key: samples.order(key) for key in ("SO-1", "SO-2")})


def read(cache: EntityCache, fetch: AnsweredThenHeld, policy=None):
    options = {} if policy is None else {"policy": policy}
    return cache.wrap(ORDER, fetch, key_of=str, value_type=OrderRecord | None, **options)(["SO-1"])


async def read_while(
    cache: EntityCache,
    fetch: AnsweredThenHeld,
    change: Change,
    invalidator: Invalidator,
    policy: RequestCachePolicy | None = None,
) -> None:
    """A read of SO-1 whose fetch is held until ``change`` has been made and applied."""
    fetch.gate = asyncio.Event()
    reading = asyncio.create_task(read(cache, fetch, policy))
    await fetch.started.wait()
    await change(invalidator)
    fetch.gate.set()
    await reading
    fetch.gate = None


async def cancel_so_1(fetch: AnsweredThenHeld, invalidator: Invalidator) -> None:
    fetch.data["SO-1"] = samples.order("SO-1", status="cancelled")
    await invalidator.invalidate("crm", "order.updated", ["SO-1"])


async def test_an_order_changed_during_its_fetch_is_read_anew_not_from_the_old_fetch(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()

    await read_while(
        cache, fetch, lambda inv: cancel_so_1(fetch, inv), Invalidator(store, prefix=prefix)
    )
    after = await read(cache, fetch)

    assert after["SO-1"].status == "cancelled"  # was "confirmed" for the entry's TTL
    assert fetch.calls == [["SO-1"], ["SO-1"]]
    assert cache.counters(ORDER).writes_invalidated == 1


async def test_a_no_cache_read_changed_during_its_fetch_does_not_write_the_old_state(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()
    invalidator = Invalidator(store, prefix=prefix)

    await read_while(
        cache, fetch, lambda inv: cancel_so_1(fetch, inv), invalidator, NO_CACHE_POLICY
    )

    assert (await read(cache, fetch))["SO-1"].status == "cancelled"
    assert len(fetch.calls) == 2


async def test_the_gateways_own_cancel_during_a_fetch_counts_as_a_change(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()

    async def cancel_order(invalidator: Invalidator) -> None:
        fetch.data["SO-1"] = samples.order("SO-1", status="cancelled")
        await invalidator.drop_orders({"SO-1": "C-000001"})

    await read_while(cache, fetch, cancel_order, Invalidator(store, prefix=prefix))

    assert (await read(cache, fetch))["SO-1"].status == "cancelled"


async def test_a_whole_system_dropped_during_a_fetch_stops_its_write(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()

    async def drop_crm(invalidator: Invalidator) -> None:
        fetch.data["SO-1"] = samples.order("SO-1", status="cancelled")
        await invalidator.drop_system("crm")

    await read_while(cache, fetch, drop_crm, Invalidator(store, prefix=prefix))

    assert (await read(cache, fetch))["SO-1"].status == "cancelled"


async def test_a_change_to_another_key_during_a_fetch_does_not_stop_its_write(
    store: CacheStore, prefix: str
):
    # Per key, not per system: webhook traffic about other records costs no hits.
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()

    async def change_so_2(invalidator: Invalidator) -> None:
        await invalidator.invalidate("crm", "order.updated", ["SO-2"])

    await read_while(cache, fetch, change_so_2, Invalidator(store, prefix=prefix))
    await read(cache, fetch)

    assert fetch.calls == [["SO-1"]]
    assert cache.counters(ORDER).writes_invalidated == 0


async def test_a_change_made_before_a_fetch_began_does_not_stop_its_write(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix), order_fetch()
    await cancel_so_1(fetch, Invalidator(store, prefix=prefix))

    first = await read(cache, fetch)
    again = await read(cache, fetch)

    assert first["SO-1"].status == again["SO-1"].status == "cancelled"
    assert fetch.calls == [["SO-1"]]


async def test_a_near_cache_does_not_serve_what_was_invalidated_during_its_fetch(
    store: CacheStore, prefix: str
):
    cache, fetch = EntityCache(store, prefix=prefix, near_entries=100), order_fetch()

    await read_while(
        cache, fetch, lambda inv: cancel_so_1(fetch, inv), Invalidator(store, prefix=prefix)
    )

    assert (await read(cache, fetch))["SO-1"].status == "cancelled"
    assert len(fetch.calls) == 2
