"""The cache on a real 3-master Redis Cluster, and two gateways sharing one Redis.

Record keys carry no hash tag: a batch spreads over the masters and is read with one
MGET per slot, pipelined per node. These tests check that the store, the entity cache,
webhook invalidation, event de-duplication and APQ all work across slots, and that two
gateways with their own runtimes share what one of them cached, dropped or registered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from cache.apq import PersistedQueries, query_sha256
from cache.entity_cache import EntityCache
from cache.invalidation import Invalidator, mark_seen, was_seen
from cache.policy import entity_kind
from cache.redis_store import RedisStore
from core.records import OrderRecord, ProductRecord
from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.cache import samples
from tests.cache.fakes import FakeFetch
from tests.cache.test_write_guard import check_counting, check_guarded_writes
from tests.gateway_fixtures import REDIS_URL, SimCounters, gateway_settings
from tests.redis_cluster import LocalRedisCluster, LocalRedisSentinel, cluster_available

pytestmark = pytest.mark.skipif(not cluster_available(), reason="redis-server is not installed")

ORDER = entity_kind("crm", "order", ttl_s=30)
PRODUCT = entity_kind("erp", "product", ttl_s=300)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalRedisCluster]:
    running = LocalRedisCluster().start()
    yield running
    running.stop()


@pytest.fixture
async def cluster_store(cluster: LocalRedisCluster) -> AsyncIterator[RedisStore]:
    store = RedisStore.from_url(cluster.cluster_url, socket_timeout_s=2.0, connect_timeout_s=2.0)
    yield store
    await store.close()


def orders(*ids: str) -> dict[str, OrderRecord]:
    return {order_id: samples.order(order_id) for order_id in ids}


async def test_a_batch_spread_over_every_master_is_read_in_one_call_in_order(
    cluster, cluster_store, prefix
):
    keys = [f"{prefix}:v1:crm:order:SO-{n}" for n in range(60)]
    await cluster_store.set_many([(key, key.encode(), 60_000) for key in keys])
    assert all(count > 0 for count in cluster.keys_per_node(f"{prefix}:*").values())

    wanted = [*keys[::-1], f"{prefix}:v1:crm:order:missing"]
    values = await cluster_store.get_many(wanted)

    assert values == [key.encode() for key in keys[::-1]] + [None]
    assert cluster_store.stats.commands == {"PIPELINE": 1, "MGET": 1}
    assert cluster_store.stats.errors == 0


async def test_a_plain_url_with_the_cluster_flag_reaches_the_cluster_too(cluster, prefix):
    store = RedisStore.from_url(cluster.url, cluster=True, socket_timeout_s=2.0)
    try:
        await store.set_many([(f"{prefix}:a", b"1", 60_000), (f"{prefix}:b", b"2", 60_000)])
        assert await store.get_many([f"{prefix}:a", f"{prefix}:b"]) == [b"1", b"2"]
        assert store.cluster
        assert await store.ping()
    finally:
        await store.close()


async def test_the_entity_cache_answers_a_warm_batch_from_the_cluster(cluster_store, prefix):
    cache = EntityCache(cluster_store, prefix=prefix)
    fetch = FakeFetch(orders(*(f"SO-{n}" for n in range(40))))
    ids = [f"SO-{n}" for n in range(40)]

    cold = await cache.wrap(ORDER, fetch, key_of=str, value_type=OrderRecord | None)(ids)
    warm = await cache.wrap(ORDER, fetch, key_of=str, value_type=OrderRecord | None)(ids[::-1])

    assert cold == warm == orders(*ids)
    assert len(fetch.calls) == 1
    assert cache.counters(ORDER).hits == 40


async def test_a_webhook_drops_exactly_its_keys_and_an_admin_drop_empties_every_master(
    cluster, cluster_store, prefix
):
    cache = EntityCache(cluster_store, prefix=prefix)
    codes = [f"P-{1000 + n}" for n in range(30)]
    products = {code: samples.product(code) for code in codes}
    fetch = FakeFetch(products)
    await cache.wrap(PRODUCT, fetch, key_of=str, value_type=ProductRecord | None)(codes)
    invalidator = Invalidator(cluster_store, prefix=prefix)

    invalidation = await invalidator.invalidate("erp", "product.updated", codes[:5])

    assert len(invalidation.dropped) == 5
    values = await cluster_store.get_many(cache.layout.entity_keys("erp", "product", codes))
    assert [value is None for value in values] == [True] * 5 + [False] * 25

    dropped = await invalidator.drop_system("erp")

    assert dropped == 25
    assert set(cluster.keys_per_node(f"{prefix}:v1:erp:*").values()) == {0}


async def test_persisted_queries_and_webhook_dedup_work_on_the_cluster(cluster_store, prefix):
    queries = PersistedQueries(cluster_store, prefix=prefix)
    query = '{ products(codes: ["P-1001"]) { code } }'
    await queries.put(query_sha256(query), query)

    assert await queries.get(query_sha256(query)) == query
    assert not await was_seen(cluster_store, prefix, "crm", "evt-1")
    assert await mark_seen(cluster_store, prefix, "crm", "evt-1")
    assert await was_seen(cluster_store, prefix, "crm", "evt-1")


# Two gateways, each with its own runtime (HTTP pool, clients, cache), sharing one Redis.

TRACKING = """query Track($id: ID!) { orderTracking(orderId: $id) {
    stage order { id status customer { name } } } }"""


def signed_webhook(system: str, event: str, keys: list[str]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "event": event,
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": keys,
            "data": {},
        }
    ).encode()
    digest = hmac.new(f"{system}-webhook-secret".encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def upstream_calls(counters: SimCounters) -> int:
    return sum(
        figures["calls"]
        for system in counters.read().values()
        for figures in system["operations"].values()
    )


@pytest.fixture(params=["redis", "cluster"])
def two_gateways(request, simulators) -> Iterator[tuple[str, str]]:
    if request.param == "cluster":
        cluster: LocalRedisCluster = request.getfixturevalue("cluster")
        shared: dict[str, Any] = {"redis_url": cluster.url, "redis_cluster": True}
    else:
        shared = {"redis_url": REDIS_URL}
    shared["cache_prefix"] = f"sgtest-{uuid.uuid4().hex[:8]}"
    first = ThreadedServer(create_app(gateway_settings(simulators, **shared)))
    second = ThreadedServer(create_app(gateway_settings(simulators, **shared)))
    with first, second:
        yield first.url, second.url


def ask(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/graphql", json=body, timeout=30)
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    assert not answer.get("errors"), answer
    return answer


def test_what_one_gateway_cached_the_other_serves_without_upstream_calls(two_gateways, simulators):
    first, second = two_gateways
    counters = SimCounters(simulators)
    body = {"query": TRACKING, "variables": {"id": "SO-100003"}}
    from_first = ask(first, body)
    counters.reset()

    from_second = ask(second, body)

    assert from_second == from_first
    assert upstream_calls(counters) == 0


def test_a_webhook_received_by_one_gateway_invalidates_for_both(two_gateways, simulators):
    first, second = two_gateways
    counters = SimCounters(simulators)
    body = {"query": TRACKING, "variables": {"id": "SO-100004"}}
    ask(first, body)
    ask(second, body)
    event, headers = signed_webhook("crm", "order.updated", ["SO-100004"])

    accepted = httpx.post(f"{first}/webhooks/crm", content=event, headers=headers)
    counters.reset()
    ask(second, body)

    assert accepted.status_code == 202
    crm = counters.read()["crm"]["operations"]
    assert sum(figures["calls"] for figures in crm.values()) >= 1
    assert upstream_calls(counters) == sum(figures["calls"] for figures in crm.values())


def test_a_query_persisted_on_one_gateway_runs_by_hash_on_the_other(two_gateways):
    first, second = two_gateways
    query = 'query Named { products(codes: ["P-1001"]) { code name } }'
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": query_sha256(query)}}
    registered = ask(first, {"query": query, "extensions": extensions})

    by_hash = ask(second, {"extensions": extensions})

    assert by_hash == registered


async def test_a_sentinel_url_reaches_the_master_sentinel_names(prefix):
    sentinel = LocalRedisSentinel().start()
    store = RedisStore.from_url(sentinel.url, socket_timeout_s=2.0, connect_timeout_s=2.0)
    try:
        await store.set_many([(f"{prefix}:k", b"v", 60_000)])
        assert await store.get_many([f"{prefix}:k"]) == [b"v"]
        assert await store.ping()
        assert store.stats.errors == 0
    finally:
        await store.close()
        sentinel.stop()


async def test_the_cluster_guards_writes_and_counts_generations_like_one_server(
    cluster_store, prefix
):
    # Keys in many slots: no script can hold them all, markers are checked before writing.
    await check_guarded_writes(cluster_store, prefix)
    await check_counting(cluster_store, prefix)
