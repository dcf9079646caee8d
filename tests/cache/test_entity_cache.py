from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from cache.entity_cache import CopyCheck, EntityCache, Fetch
from cache.local_store import LocalStore
from cache.policy import NO_CACHE_POLICY, EntityKind, RequestCachePolicy, entity_kind
from cache.redis_store import RedisStore
from cache.stale_log import StaleLog
from core.errors import (
    InputTooLargeError,
    RequestDeadlineExceeded,
    UpstreamBadResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from core.records import OrderRecord, SupplierRecord
from tests.cache import samples
from tests.cache.fakes import FakeFetch
from tests.cache.private_redis import PrivateRedis

ORDER = entity_kind("crm", "order", ttl_s=30)
ORDERS_OF_CUSTOMER = entity_kind("crm", "orders_of_customer", ttl_s=30)


def orders(*ids: str) -> dict[str, OrderRecord]:
    return {order_id: samples.order(order_id) for order_id in ids}


def wrap_orders(cache: EntityCache, fetch, kind: EntityKind = ORDER, **options):
    return cache.wrap(kind, fetch, key_of=str, value_type=OrderRecord | None, **options)


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_a_cold_batch_fetches_every_key_once_and_answers_them(entity_cache):
    fetch = FakeFetch(orders("SO-1", "SO-2"))

    answer = await wrap_orders(entity_cache, fetch)(["SO-1", "SO-2"])

    assert answer == orders("SO-1", "SO-2")
    assert fetch.calls == [["SO-1", "SO-2"]]


async def test_a_warm_repeat_never_calls_the_fetcher(entity_cache):
    fetch = FakeFetch(orders("SO-1", "SO-2"))
    await wrap_orders(entity_cache, fetch)(["SO-1", "SO-2"])

    answer = await wrap_orders(entity_cache, fetch)(["SO-2", "SO-1"])

    assert answer == orders("SO-1", "SO-2")
    assert len(fetch.calls) == 1
    assert entity_cache.counters(ORDER).hits == 2


async def test_only_the_misses_go_upstream(entity_cache):
    fetch = FakeFetch(orders("SO-1", "SO-2", "SO-3"))
    await wrap_orders(entity_cache, fetch)(["SO-1"])

    answer = await wrap_orders(entity_cache, fetch)(["SO-1", "SO-2", "SO-3"])

    assert answer == orders("SO-1", "SO-2", "SO-3")
    assert fetch.calls == [["SO-1"], ["SO-2", "SO-3"]]


async def test_a_batch_of_fifty_keys_is_one_mget_and_one_pipeline(entity_cache):
    keys = [f"SO-{n}" for n in range(50)]
    fetch = FakeFetch(orders(*keys[:40]))  # ten of them are unknown upstream

    await wrap_orders(entity_cache, fetch)(keys)

    assert entity_cache.store.stats.commands == {"MGET": 1, "PIPELINE": 1}
    await wrap_orders(entity_cache, fetch)(keys)
    assert entity_cache.store.stats.commands == {"MGET": 2, "PIPELINE": 1}
    assert len(fetch.calls) == 1


async def test_the_redis_server_itself_sees_one_mget_per_batch(private_redis: PrivateRedis):
    # Counted by the server, not by the store: nothing of the batch goes around the store.
    store = RedisStore.from_url(private_redis.url, socket_timeout_s=2.0)
    keys = [f"SO-{n}" for n in range(50)]
    try:
        with private_redis.client() as admin:
            admin.config_resetstat()
            await wrap_orders(EntityCache(store), FakeFetch(orders(*keys)))(keys)
            stats = admin.info("commandstats")
        assert stats["cmdstat_mget"]["calls"] == 1
        # The write-back is one script call (the first also loads the script).
        assert stats["cmdstat_set"]["calls"] == 50
        assert stats["cmdstat_evalsha"]["calls"] - stats["cmdstat_evalsha"]["failed_calls"] == 1
        data_commands = {
            name
            for name in stats
            if not name.startswith(("cmdstat_hello", "cmdstat_config", "cmdstat_script"))
        }
        assert data_commands == {"cmdstat_mget", "cmdstat_set", "cmdstat_evalsha", "cmdstat_get"}
    finally:
        await store.close()


async def test_keys_the_upstream_does_not_know_are_cached_as_absent(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(entity_cache, fetch)(["SO-1", "SO-404"])

    answer = await wrap_orders(entity_cache, fetch)(["SO-404", "SO-1"])

    assert answer == orders("SO-1")  # absent keys are left out, as the upstream does
    assert len(fetch.calls) == 1
    assert entity_cache.counters(ORDER).negative_hits == 1


async def test_an_absent_key_is_asked_again_after_the_short_negative_ttl(entity_cache):
    kind = EntityKind("crm", "order", ttl_s=60, negative_ttl_s=0.05, grace_s=0)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(entity_cache, fetch, kind)(["SO-1", "SO-404"])
    fetch.data.update(orders("SO-404"))  # created upstream meanwhile

    await asyncio.sleep(0.1)
    answer = await wrap_orders(entity_cache, fetch, kind)(["SO-1", "SO-404"])

    assert answer == orders("SO-1", "SO-404")
    assert fetch.calls == [["SO-1", "SO-404"], ["SO-404"]]


async def test_an_entry_is_fetched_again_once_its_ttl_has_passed(entity_cache):
    kind = EntityKind("crm", "order", ttl_s=0.05, negative_ttl_s=0.05, grace_s=0)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(entity_cache, fetch, kind)(["SO-1"])
    await wrap_orders(entity_cache, fetch, kind)(["SO-1"])
    assert len(fetch.calls) == 1

    await asyncio.sleep(0.1)
    fetch.data["SO-1"] = samples.order("SO-1", status="shipped")
    answer = await wrap_orders(entity_cache, fetch, kind)(["SO-1"])

    assert answer["SO-1"].status == "shipped"
    assert len(fetch.calls) == 2


async def test_redis_drops_an_entry_after_its_ttl_plus_grace(redis_store, prefix):
    kind = EntityKind("crm", "order", ttl_s=0.03, negative_ttl_s=0.03, grace_s=0.03)
    cache = EntityCache(redis_store, prefix=prefix)
    await wrap_orders(cache, FakeFetch(orders("SO-1")), kind)(["SO-1"])
    key = cache.layout.entity_key("crm", "order", "SO-1")

    assert 0 < await redis_store._client.pttl(key) <= 60
    await asyncio.sleep(0.1)
    assert await redis_store.get(key) is None


async def test_an_expired_copy_is_served_and_logged_when_the_upstream_fails(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(cache, fetch)(["SO-1", "SO-404"])
    clock.now += ORDER.ttl_s + 12  # past freshness, within grace
    fetch.error = UpstreamUnavailable("crm", "503 from the CRM")
    stale_log = StaleLog()

    answer = await wrap_orders(cache, fetch, stale_log=stale_log)(["SO-1", "SO-404"])

    assert answer == orders("SO-1")
    assert len(fetch.calls) == 2  # it did try the upstream first
    assert sorted((e.system, e.entity, e.key, e.age_s) for e in stale_log.entries) == [
        ("crm", "order", "SO-1", 42.0),
        ("crm", "order", "SO-404", 42.0),
    ]
    assert cache.counters(ORDER).stale_served == 2
    assert cache.counters(ORDER).upstream_errors == 1


async def test_the_upstream_error_is_raised_when_a_miss_has_no_copy(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1", "SO-2"))
    await wrap_orders(cache, fetch)(["SO-1"])
    clock.now += ORDER.ttl_s + 1
    fetch.error = UpstreamTimeout("crm", "no answer")
    stale_log = StaleLog()

    with pytest.raises(UpstreamTimeout):
        await wrap_orders(cache, fetch, stale_log=stale_log)(["SO-1", "SO-2"])
    assert not stale_log


class OrderGate:
    """A request's gate that guards orders only, with ``admits(key, value)``; it
    remembers which joins it was asked about and which copies."""

    def __init__(self, admits: Callable[[str, object], bool]) -> None:
        self.admits = admits
        self.joins: list[str] = []
        self.copies: list[tuple[str, object]] = []

    def __call__(self, join: str) -> CopyCheck | None:
        self.joins.append(join)
        if join != ORDER.entity:
            return None

        async def check(key: str, value: object) -> bool:
            self.copies.append((key, value))
            return self.admits(key, value)

        return check


async def test_a_copy_the_gate_holds_back_fails_its_batch_as_a_key_never_cached(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1", "SO-2"))
    await wrap_orders(cache, fetch)(["SO-1", "SO-2"])
    clock.now += ORDER.ttl_s + 1
    error = UpstreamUnavailable("crm", "503 from the CRM")
    fetch.error = error
    gate = OrderGate(lambda key, _: key == "SO-1")

    stale_log = StaleLog()
    gated = wrap_orders(cache, fetch, stale_log=stale_log, gate=gate)
    with pytest.raises(UpstreamUnavailable) as raised:
        await gated(["SO-1", "SO-2"])
    assert raised.value is error
    assert not stale_log
    assert cache.counters(ORDER).stale_served == 0
    assert sorted(gate.copies) == sorted(orders("SO-1", "SO-2").items())

    assert await gated(["SO-1"]) == orders("SO-1")
    assert [entry.key for entry in stale_log.entries] == ["SO-1"]


async def test_the_gate_is_not_asked_when_a_failed_key_has_no_copy_at_all(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(cache, fetch)(["SO-1"])
    clock.now += ORDER.ttl_s + 1
    fetch.error = UpstreamUnavailable("crm", "down")
    gate = OrderGate(lambda _key, _value: True)

    with pytest.raises(UpstreamUnavailable):
        await wrap_orders(cache, fetch, gate=gate)(["SO-1", "SO-2"])
    assert gate.copies == []


@pytest.mark.parametrize("near_entries", [0, 10])
async def test_a_fresh_copy_the_gate_holds_back_is_fetched_as_a_key_never_cached(
    store, prefix, near_entries
):
    cache = EntityCache(store, prefix=prefix, near_entries=near_entries)
    fetch = FakeFetch(orders("SO-1", "SO-2"))
    await wrap_orders(cache, fetch)(["SO-1", "SO-2"])
    written = cache.counters(ORDER).writes
    gate = OrderGate(lambda key, _: key == "SO-1")

    answer = await wrap_orders(cache, fetch, gate=gate)(["SO-1", "SO-2"])

    # Its record comes from the upstream, as an unknown id's answer would.
    assert answer == orders("SO-1", "SO-2")
    assert fetch.calls == [["SO-1", "SO-2"], ["SO-2"]]
    assert sorted(gate.copies) == sorted(orders("SO-1", "SO-2").items())
    counters = cache.counters(ORDER)
    assert (counters.hits, counters.misses) == (1, 2 + 1)
    # What it fetched is written back, as any fetch's is.
    assert counters.writes == written + 1


async def test_a_negative_entry_the_gate_holds_back_is_asked_upstream_again(store, prefix):
    cache = EntityCache(store, prefix=prefix)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(cache, fetch)(["SO-1", "SO-404"])
    gate = OrderGate(lambda _key, value: value is not None)

    answer = await wrap_orders(cache, fetch, gate=gate)(["SO-404", "SO-1"])

    assert answer == orders("SO-1")
    assert fetch.calls == [["SO-1", "SO-404"], ["SO-404"]]
    assert sorted(gate.copies, key=str) == sorted(
        [("SO-1", orders("SO-1")["SO-1"]), ("SO-404", None)], key=str
    )
    assert cache.counters(ORDER).negative_hits == 0


async def test_a_kind_the_gate_does_not_guard_is_served_without_asking_it(store, prefix):
    cache = EntityCache(store, prefix=prefix)
    fetch = FakeFetch({("C-1", None): [samples.order("SO-1")]})

    def wrap_lists(gate: OrderGate | None = None) -> Fetch[tuple[str, None], list[OrderRecord]]:
        return cache.wrap(
            ORDERS_OF_CUSTOMER, fetch, key_of=str, value_type=list[OrderRecord], gate=gate
        )

    await wrap_lists()([("C-1", None)])
    gate = OrderGate(lambda _key, _value: False)

    answer = await wrap_lists(gate)([("C-1", None)])

    assert answer == fetch.data
    assert len(fetch.calls) == 1
    assert gate.joins == [ORDERS_OF_CUSTOMER.entity]
    assert gate.copies == []


async def test_a_copy_older_than_its_grace_is_not_served(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(cache, fetch)(["SO-1"])
    clock.now += ORDER.ttl_s + ORDER.grace_s + 1
    fetch.error = UpstreamUnavailable("crm", "down")

    with pytest.raises(UpstreamUnavailable):
        await wrap_orders(cache, fetch)(["SO-1"])


async def test_errors_that_are_not_upstream_errors_are_never_hidden(store, prefix):
    clock = FakeClock()
    cache = EntityCache(store, prefix=prefix, clock=clock)
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(cache, fetch)(["SO-1"])
    clock.now += ORDER.ttl_s + 1
    fetch.error = KeyError("a bug")

    with pytest.raises(KeyError):
        await wrap_orders(cache, fetch)(["SO-1"])


async def test_no_cache_skips_the_read_but_still_writes(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(entity_cache, fetch)(["SO-1"])
    fetch.data["SO-1"] = samples.order("SO-1", status="shipped")
    stats = entity_cache.store.stats

    answer = await wrap_orders(entity_cache, fetch, policy=NO_CACHE_POLICY)(["SO-1"])
    assert answer["SO-1"].status == "shipped"
    assert stats.commands == {"MGET": 1, "PIPELINE": 2}

    again = await wrap_orders(entity_cache, fetch)(["SO-1"])
    assert again["SO-1"].status == "shipped"
    assert len(fetch.calls) == 2


async def test_a_policy_without_writes_leaves_the_cache_alone(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    no_writes = RequestCachePolicy(write=False)

    await wrap_orders(entity_cache, fetch, policy=no_writes)(["SO-1"])
    await wrap_orders(entity_cache, fetch)(["SO-1"])

    assert len(fetch.calls) == 2


async def test_an_unreadable_entry_is_a_miss(entity_cache):
    key = entity_cache.layout.entity_key("crm", "order", "SO-1")
    await entity_cache.store.set_many([(key, b"\x00 not json", 60_000)])
    fetch = FakeFetch(orders("SO-1"))

    answer = await wrap_orders(entity_cache, fetch)(["SO-1"])

    assert answer == orders("SO-1")
    assert entity_cache.counters(ORDER).codec_errors == 1
    assert await wrap_orders(entity_cache, fetch)(["SO-1"]) == orders("SO-1")
    assert len(fetch.calls) == 1  # the good copy replaced the bad one


async def test_list_values_and_tuple_keys_are_cached_per_key(entity_cache: EntityCache):
    lists: dict[tuple[str, str | None], list[OrderRecord]] = {
        ("C-1", None): [samples.order("SO-1")],
        ("C-1", "shipped"): [],
    }
    fetch = FakeFetch(lists)

    def key_text(key: tuple[str, str | None]) -> str:
        return f"{key[0]}|{key[1] or '*'}"

    def wrapped() -> Fetch[tuple[str, str | None], list[OrderRecord]]:
        return entity_cache.wrap(
            ORDERS_OF_CUSTOMER, fetch, key_of=key_text, value_type=list[OrderRecord]
        )

    await wrapped()(list(lists))
    answer = await wrapped()(list(lists))

    assert answer == lists  # an empty list is an answer, not an absence
    assert len(fetch.calls) == 1
    assert await entity_cache.store.get_many(
        [f"{entity_cache.layout.namespace}:crm:orders_of_customer:C-1|*"]
    ) != [None]


async def test_two_requests_missing_the_same_key_fetch_it_once(entity_cache):
    fetch = FakeFetch(orders("SO-1", "SO-2"))
    fetch.gate = asyncio.Event()

    first = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await fetch.started.wait()
    second = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1", "SO-2"]))
    await asyncio.sleep(0.01)
    fetch.gate.set()

    assert await first == orders("SO-1")
    assert await second == orders("SO-1", "SO-2")
    assert fetch.calls == [["SO-1"], ["SO-2"]]
    assert entity_cache.counters(ORDER).shared == 1


async def test_every_waiter_gets_the_error_of_the_shared_fetch(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    fetch.gate = asyncio.Event()
    fetch.error = UpstreamBadResponse("crm", "not the contract")

    first = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await fetch.started.wait()
    second = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await asyncio.sleep(0.01)
    fetch.gate.set()

    results = await asyncio.gather(first, second, return_exceptions=True)
    assert [type(result) for result in results] == [UpstreamBadResponse] * 2
    assert len(fetch.calls) == 1


@pytest.mark.parametrize(
    "owners_own",
    [
        InputTooLargeError("crm: URL too long", system="crm", limit="url", value=8192),
        RequestDeadlineExceeded("crm", "crm: no answer within the request's 1.5 s deadline"),
    ],
    ids=["its input", "its deadline"],
)
async def test_a_waiter_fetches_itself_when_the_shared_fetch_failed_for_its_owners_reasons(
    entity_cache, owners_own
):
    fetch = FakeFetch(orders("SO-1"))
    fetch.gate = asyncio.Event()
    fetch.error = owners_own

    async def fails_once(keys: list[str]) -> dict[str, OrderRecord]:
        try:
            return await fetch(keys)
        finally:
            fetch.error = None  # only the owner's own fetch fails

    first = asyncio.create_task(wrap_orders(entity_cache, fails_once)(["SO-1"]))
    await fetch.started.wait()
    second = asyncio.create_task(wrap_orders(entity_cache, fails_once)(["SO-1"]))
    await asyncio.sleep(0.01)
    fetch.gate.set()

    with pytest.raises(type(owners_own)):
        await first
    assert await second == orders("SO-1")
    assert fetch.calls == [["SO-1"], ["SO-1"]]


async def test_a_waiter_fetches_itself_when_the_request_it_waited_for_is_cancelled(
    entity_cache,
):
    fetch = FakeFetch(orders("SO-1"))
    fetch.gate = asyncio.Event()

    first = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await fetch.started.wait()
    second = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.sleep(0.01)
    fetch.gate.set()

    assert await second == orders("SO-1")
    assert first.cancelled()
    assert fetch.calls == [["SO-1"], ["SO-1"]]


async def test_a_cancelled_waiter_does_not_disturb_the_fetch_it_waited_for(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    fetch.gate = asyncio.Event()

    first = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await fetch.started.wait()
    second = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-1"]))
    await asyncio.sleep(0.01)
    second.cancel()
    fetch.gate.set()

    assert await first == orders("SO-1")
    assert second.cancelled()
    assert len(fetch.calls) == 1


async def test_nothing_stays_in_flight_after_success_failure_or_cancellation(entity_cache):
    fetch = FakeFetch(orders("SO-1"))
    await wrap_orders(entity_cache, fetch)(["SO-1", "SO-2"])
    fetch.error = UpstreamUnavailable("crm", "down")
    with pytest.raises(UpstreamUnavailable):
        await wrap_orders(entity_cache, fetch)(["SO-3"])
    fetch.gate = asyncio.Event()
    task = asyncio.create_task(wrap_orders(entity_cache, fetch)(["SO-4"]))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert len(entity_cache._flights) == 0


async def test_the_cache_fails_open_when_redis_is_gone(private_redis: PrivateRedis):
    store = RedisStore.from_url(private_redis.url, breaker_open_s=60)
    cache = EntityCache(store)
    fetch = FakeFetch(orders("SO-1"))
    try:
        private_redis.kill()
        assert await wrap_orders(cache, fetch)(["SO-1"]) == orders("SO-1")
        assert await wrap_orders(cache, fetch)(["SO-1"]) == orders("SO-1")
        assert len(fetch.calls) == 2
    finally:
        await store.close()


async def test_counters_are_kept_per_kind_as_plain_integers():
    cache = EntityCache(LocalStore())
    supplier_kind = entity_kind("scm", "supplier", ttl_s=600)
    fetch = FakeFetch({"SUP-001": samples.supplier()})
    wrapped = cache.wrap(supplier_kind, fetch, key_of=str, value_type=SupplierRecord | None)
    await wrapped(["SUP-001", "SUP-404"])
    await wrapped(["SUP-001", "SUP-404"])

    assert cache.counters_snapshot() == {
        "scm.supplier": {
            "hits": 2,
            "negative_hits": 1,
            "misses": 2,
            "fetched": 2,
            "shared": 0,
            "stale_served": 0,
            "upstream_errors": 0,
            "codec_errors": 0,
            "writes": 2,
            "writes_invalidated": 0,
        }
    }
