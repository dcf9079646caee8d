"""The Redis entity cache, seen from outside: warm answers cost no upstream calls, webhooks
drop exactly what they name, failures fall back safely."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cache.keys import KeyLayout
from gateway.app import create_app
from gateway.auth import issue_token
from gateway.runtime import SCHEMA_VERSION
from gateway.server_thread import ThreadedServer
from tests.cache.private_redis import PrivateRedis
from tests.gateway.test_upstream_calls import DASHBOARD, calls_by_operation
from tests.gateway_fixtures import JWT_SECRET, gateway_settings

TRACKING = """query($id: ID!) { orderTracking(orderId: $id) {
    stage order { id status customer { name } } timeline { at label } } }"""


def signed(secret: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": f"sha256={signature}", "Content-Type": "application/json"}


def webhook(system: str, event: str, keys: list[str]) -> tuple[bytes, dict[str, str]]:
    return signed(
        f"{system}-webhook-secret",
        {
            "event_id": uuid.uuid4().hex,
            "event": event,
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": keys,
            "data": {},
        },
    )


@pytest.fixture
def fresh_gateway(simulators) -> Iterator[str]:
    """A gateway of its own, with an empty cache (a new key prefix in the real Redis)."""
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server.url


def post(
    url: str, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, **kwargs
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_warm_repeat_of_the_dashboard_costs_no_upstream_call(fresh_gateway, sim_counters):
    cold = post(fresh_gateway, DASHBOARD)
    sim_counters.reset()
    warm = post(fresh_gateway, DASHBOARD)
    assert warm == cold
    assert calls_by_operation(sim_counters.read()) == {}


def test_no_cache_requests_skip_cache_reads_but_refill_it(fresh_gateway, sim_counters):
    post(fresh_gateway, TRACKING, {"id": "SO-100002"})
    sim_counters.reset()
    post(fresh_gateway, TRACKING, {"id": "SO-100002"}, headers={"Cache-Control": "no-cache"})
    assert calls_by_operation(sim_counters.read()) != {}
    sim_counters.reset()
    post(fresh_gateway, TRACKING, {"id": "SO-100002"})
    assert calls_by_operation(sim_counters.read()) == {}


def test_an_order_webhook_drops_only_that_order_and_its_customers_lists(
    fresh_gateway, sim_counters
):
    post(fresh_gateway, TRACKING, {"id": "SO-100003"})
    post(fresh_gateway, TRACKING, {"id": "SO-100004"})
    body, headers = webhook("crm", "order.updated", ["SO-100003"])
    response = httpx.post(f"{fresh_gateway}/webhooks/crm", content=body, headers=headers)
    assert response.status_code == 202
    sim_counters.reset()
    post(fresh_gateway, TRACKING, {"id": "SO-100003"})
    post(fresh_gateway, TRACKING, {"id": "SO-100004"})
    assert calls_by_operation(sim_counters.read()) == {"orders.by_ids": 1}
    assert sim_counters.read()["crm"]["operations"]["orders.by_ids"]["batch_sizes"] == [1]


def test_a_stock_webhook_drops_exactly_those_skus(fresh_gateway, sim_counters, upstream):
    [product] = upstream.search_read("product.product", [["default_code", "=", "P-1003"]])
    query = '{ products(codes: ["P-1003", "P-1001"]) { availableToPromise } }'
    post(fresh_gateway, query)
    body, headers = webhook("scm", "stock.changed", [product["scm_sku"]])
    assert (
        httpx.post(f"{fresh_gateway}/webhooks/scm", content=body, headers=headers).json()["dropped"]
        >= 1
    )
    sim_counters.reset()
    post(fresh_gateway, query)
    stats = sim_counters.read()
    assert calls_by_operation(stats) == {"stockLevels": 1}
    assert stats["scm"]["operations"]["stockLevels"]["batch_sizes"] == [1]


def test_a_webhook_with_a_bad_signature_gets_401_and_drops_nothing(fresh_gateway, sim_counters):
    post(fresh_gateway, TRACKING, {"id": "SO-100005"})
    body, headers = webhook("crm", "order.updated", ["SO-100005"])
    for bad in ("sha256=" + "0" * 64, "", "md5=abc"):
        response = httpx.post(
            f"{fresh_gateway}/webhooks/crm", content=body, headers={**headers, "X-Signature": bad}
        )
        assert response.status_code == 401
    sim_counters.reset()
    post(fresh_gateway, TRACKING, {"id": "SO-100005"})
    assert calls_by_operation(sim_counters.read()) == {}


def test_a_replayed_event_id_is_acknowledged_and_ignored(fresh_gateway):
    body, headers = webhook("erp", "product.updated", ["P-1001"])
    first = httpx.post(f"{fresh_gateway}/webhooks/erp", content=body, headers=headers)
    again = httpx.post(f"{fresh_gateway}/webhooks/erp", content=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["status"] == "accepted"
    assert again.json()["status"] == "duplicate"


def test_a_customer_token_cannot_read_what_a_staff_token_warmed(simulators, upstream):
    settings = gateway_settings(simulators, jwt_secret=JWT_SECRET, auth_disabled=False)
    order = upstream.orders(["SO-100006"])["SO-100006"]
    staff = issue_token(JWT_SECRET, "staff", "crm:read erp:read scm:read")
    other = "C-000001" if order["customer_id"] != "C-000001" else "C-000002"
    intruder = issue_token(JWT_SECRET, "app", "crm:read erp:read scm:read", customer_id=other)
    with ThreadedServer(create_app(settings)) as server:
        warmed = post(
            server.url, TRACKING, {"id": "SO-100006"}, headers={"Authorization": f"Bearer {staff}"}
        )
        assert warmed["data"]["orderTracking"]["order"]["id"] == "SO-100006"
        stolen = post(
            server.url,
            TRACKING,
            {"id": "SO-100006"},
            headers={"Authorization": f"Bearer {intruder}"},
        )
    assert stolen["data"]["orderTracking"] is None
    # To a customer's token another customer's order is unknown (test_unknown_or_foreign).
    assert stolen["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "SO-100006" not in json.dumps(stolen["data"])


def test_an_expired_entry_is_served_when_its_system_is_down_and_named_stale(
    simulators, sim_counters
):
    settings = gateway_settings(simulators, cache_ttls={"product": 0.2})
    faults = f"{simulators.erp_url}/_sim/faults"
    with ThreadedServer(create_app(settings)) as server:
        fresh = post(server.url, '{ product(code: "P-1004") { name } }')
        time.sleep(0.3)  # let the entry pass its TTL; it is kept for the grace period
        httpx.post(faults, json={"down": True}).raise_for_status()
        try:
            stale = post(server.url, '{ product(code: "P-1004") { name } }')
        finally:
            httpx.post(faults, json={"down": False}).raise_for_status()
    assert stale["data"] == fresh["data"]
    [read] = stale["extensions"]["stale"]
    assert read["system"] == "erp" and read["entity"] == "product" and read["key"] == "P-1004"
    assert read["age_s"] >= 0.2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_queries_still_answer_when_redis_dies(simulators, sim_counters):
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        settings = gateway_settings(simulators, redis_url=f"redis://127.0.0.1:{port}/0")
        with ThreadedServer(create_app(settings)) as server:
            before = post(server.url, TRACKING, {"id": "SO-100007"})
            redis.kill()
            redis.wait()
            sim_counters.reset()
            after = post(server.url, TRACKING, {"id": "SO-100007"})
            again = post(server.url, TRACKING, {"id": "SO-100007"})
    finally:
        if redis.poll() is None:
            redis.kill()
    assert after == before == again
    assert "errors" not in after
    assert calls_by_operation(sim_counters.read())["orders.by_ids"] == 2


def test_every_record_of_a_cold_answer_is_in_redis_when_the_answer_arrives(simulators):
    # The writes run beside the request (cache.write_backs); the answer waits for them,
    # even when Redis holds every write back for a moment.
    private = PrivateRedis()
    private.start()
    try:
        settings = gateway_settings(simulators, redis_url=private.url, response_cache=False)
        layout = KeyLayout(settings.cache_prefix, SCHEMA_VERSION)
        expected = [
            layout.entity_key("crm", "order", "SO-100002"),
            layout.entity_key("erp", "plans_of_order", "SO-100002"),
            layout.entity_key("scm", "shipments_of_order", "SO-100002"),
            layout.entity_key("erp", "invoices_of_order", "SO-100002"),
        ]
        with ThreadedServer(create_app(settings)) as server, private.client() as admin:
            post(server.url, TRACKING, {"id": "SO-100001"})  # the document is known now
            admin.execute_command("CLIENT", "PAUSE", "300", "WRITE")
            post(server.url, TRACKING, {"id": "SO-100002"})
            assert [admin.exists(key) for key in expected] == [1, 1, 1, 1]
            assert len(admin.keys(layout.entity_key("crm", "customer", "*"))) == 2
    finally:
        private.kill()
