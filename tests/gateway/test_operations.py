"""Running the gateway: /metrics, /readyz and request ids, seen over real HTTP.

Metrics are per process (every gateway of a test run shares them), so each test looks
at how much a sample grew around what it did, on a gateway of its own where the cache
must start empty.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.observability.metrics import (
    MAX_OPERATION_NAMES,
    SUBSCRIPTIONS_OPEN,
    operation_label,
    subscription_closed,
    subscription_open,
    subscription_opened,
)
from gateway.server_thread import ThreadedServer
from tests.cache.private_redis import free_port
from tests.gateway.scrape import by_label, delta, scrape, total
from tests.gateway_fixtures import SimCounters, gateway_settings

DASHBOARD = """query Dashboard { customers(first: 7) { edges { node { id name
    orders { id status lines { product { code inventory { available } } } } } } } }"""


@pytest.fixture
def fresh_gateway(simulators) -> Iterator[str]:
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server.url


def post(url: str, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30)


def upstream_calls_per_system(counters: SimCounters) -> dict[str, int]:
    return {
        system: sum(figures["calls"] for figures in stats["operations"].values())
        for system, stats in counters.read().items()
    }


# Request ids


def test_a_response_echoes_the_request_id_the_caller_sent(gateway_url):
    response = httpx.get(f"{gateway_url}/healthz", headers={"X-Request-Id": "order-app:42"})

    assert response.headers["X-Request-Id"] == "order-app:42"


def test_a_request_without_a_sane_request_id_gets_a_new_one(gateway_url):
    without = httpx.get(f"{gateway_url}/healthz")
    unsafe = httpx.get(f"{gateway_url}/healthz", headers={"X-Request-Id": 'a b"<script>'})

    assert len(without.headers["X-Request-Id"]) == 32
    assert unsafe.headers["X-Request-Id"] not in ('a b"<script>', without.headers["X-Request-Id"])


# Metrics


def test_graphql_requests_are_counted_by_operation_name_and_outcome(
    gateway_url, secured_gateway_url
):
    name = f"Count{uuid.uuid4().hex[:8]}"

    def requests() -> None:
        assert (
            post(
                gateway_url,
                f"query {name} {{ customers(first: 1) {{ edges {{ node {{ id }} }} }} }}",
            ).status_code
            == 200
        )
        assert post(gateway_url, f"query {name} {{ nosuchfield }}").status_code in (200, 400)
        assert (
            post(secured_gateway_url, f'query {name} {{ order(id: "SO-1") {{ id }} }}').status_code
            == 401
        )

    grown, _ = delta(gateway_url, requests)

    outcomes = by_label(grown, "supplygraph_graphql_requests_total", "outcome", operation=name)
    assert outcomes == {"ok": 1, "error": 1}
    assert (
        total(
            grown, "supplygraph_graphql_requests_total", operation="none", outcome="unauthenticated"
        )
        == 1
    )
    assert total(grown, "supplygraph_graphql_request_duration_seconds_count", operation=name) == 2


def test_upstream_calls_are_counted_as_the_systems_saw_them(fresh_gateway, simulators):
    counters = SimCounters(simulators)
    counters.reset()

    grown, response = delta(fresh_gateway, lambda: post(fresh_gateway, DASHBOARD))

    assert response.status_code == 200 and not response.json().get("errors")
    seen_by_systems = upstream_calls_per_system(counters)
    counted = by_label(grown, "supplygraph_upstream_calls_total", "system")
    assert counted == {system: n for system, n in seen_by_systems.items() if n}
    assert set(by_label(grown, "supplygraph_upstream_calls_total", "outcome")) == {"200"}
    assert by_label(grown, "supplygraph_upstream_call_duration_seconds_count", "system") == counted


def test_batch_sizes_are_observed_per_upstream_operation(fresh_gateway):
    grown, _ = delta(fresh_gateway, lambda: post(fresh_gateway, DASHBOARD))

    name = "supplygraph_upstream_batch_size"
    labels = {"system": "crm", "operation": "orders_by_customer_ids"}
    assert total(grown, f"{name}_count", **labels) == 1
    assert total(grown, f"{name}_sum", **labels) == 7  # the page's seven customers


def test_cache_hits_and_misses_are_exported_per_entity_kind(fresh_gateway):
    query = 'query Prod { products(codes: ["P-1001", "P-1002"]) { code name } }'
    cold, _ = delta(fresh_gateway, lambda: post(fresh_gateway, query))
    # Another text, so the answer is built again (from the entity cache), not kept whole.
    again = query.replace("code name", "name code")
    warm, _ = delta(fresh_gateway, lambda: post(fresh_gateway, again))

    kind = "erp.product"
    assert by_label(cold, "supplygraph_cache_keys_total", "result", kind=kind) == {
        "miss": 2, "fetched": 2, "written": 2,
    }  # fmt: skip
    assert by_label(warm, "supplygraph_cache_keys_total", "result", kind=kind) == {"hit": 2}
    assert total(warm, "supplygraph_cache_store_round_trips_total", command="MGET") >= 1


def test_kept_answers_are_counted_and_their_requests_still_are(fresh_gateway):
    query = 'query Kept { products(codes: ["P-1003"]) { code } }'
    built, _ = delta(fresh_gateway, lambda: post(fresh_gateway, query))
    served, _ = delta(fresh_gateway, lambda: post(fresh_gateway, query))

    assert by_label(built, "supplygraph_answer_cache_total", "result") == {"miss": 1, "kept": 1}
    assert by_label(served, "supplygraph_answer_cache_total", "result") == {"hit": 1}
    requests = "supplygraph_graphql_requests_total"
    assert by_label(served, requests, "outcome", operation="Kept") == {"ok": 1}


def test_records_held_in_process_are_reported(fresh_gateway):
    query = '{ products(codes: ["P-1004", "P-1005"]) { code name } }'
    post(fresh_gateway, query)
    after = scrape(fresh_gateway)

    assert total(after, "supplygraph_near_cache_entries") >= 2


def test_webhooks_are_counted_by_outcome(gateway_url):
    event = {"event_id": uuid.uuid4().hex, "event": "stock.changed", "keys": ["P-1001"]}
    body = json.dumps(event).encode()
    signature = hmac.new(b"scm-webhook-secret", body, hashlib.sha256).hexdigest()
    good = {"X-Signature": f"sha256={signature}"}

    def send() -> list[int]:
        return [
            httpx.post(f"{gateway_url}/webhooks/scm", content=body, headers=good).status_code,
            httpx.post(f"{gateway_url}/webhooks/scm", content=body, headers=good).status_code,
            httpx.post(
                f"{gateway_url}/webhooks/scm", content=body, headers={"X-Signature": "sha256=0"}
            ).status_code,
        ]

    grown, statuses = delta(gateway_url, send)

    assert statuses == [202, 202, 401]
    assert by_label(grown, "supplygraph_webhooks_total", "outcome", system="scm") == {
        "accepted": 1, "duplicate": 1, "rejected": 1,
    }  # fmt: skip


def test_the_open_subscriptions_gauge_follows_the_helpers(gateway_url):
    before = SUBSCRIPTIONS_OPEN._value.get()
    subscription_opened()
    subscription_opened()
    subscription_closed()
    with subscription_open():
        inside = total(scrape(gateway_url), "supplygraph_subscriptions_open")

    assert inside == before + 2
    assert total(scrape(gateway_url), "supplygraph_subscriptions_open") == before + 1
    subscription_closed()


def test_operation_names_from_clients_cannot_grow_the_label_set_without_bound():
    assert operation_label(None) == "anonymous"
    assert operation_label("not a name") == "invalid"
    names = {operation_label(f"Op{n}") for n in range(MAX_OPERATION_NAMES + 50)}
    assert "other" in names
    assert len(names) <= MAX_OPERATION_NAMES + 1


# Readiness and breakers


def test_ready_when_redis_answers_and_no_breaker_is_open(gateway_url):
    response = httpx.get(f"{gateway_url}/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"ok": True, "state": "reachable"}
    assert response.json()["checks"]["upstreams"]["breakers"] == {
        "crm": "closed", "erp": "closed", "scm": "closed",
    }  # fmt: skip


def test_ready_without_redis_when_none_is_configured(simulators):
    with ThreadedServer(create_app(gateway_settings(simulators, redis_url=None))) as server:
        response = httpx.get(f"{server.url}/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"ok": True, "state": "absent"}


def test_not_ready_when_the_configured_redis_does_not_answer(simulators):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    settings = gateway_settings(simulators, redis_url=dead_redis, redis_timeout_s=0.2)
    with ThreadedServer(create_app(settings)) as server:
        response = httpx.get(f"{server.url}/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "state": "unreachable"}
    assert response.json()["checks"]["upstreams"]["ok"] is True


def test_an_open_breaker_makes_the_gateway_unready_and_shows_in_metrics(simulators):
    overrides: dict[str, Any] = {
        "crm_url": f"http://127.0.0.1:{free_port()}",
        "upstream_breaker_minimum_calls": 1,
        "upstream_max_read_retries": 0,
        "upstream_breaker_cooldown_s": 60,
    }
    with ThreadedServer(create_app(gateway_settings(simulators, **overrides))) as server:
        answer = post(server.url, '{ order(id: "SO-100001") { id } }').json()
        response = httpx.get(f"{server.url}/readyz")
        states = by_label(scrape(server.url), "supplygraph_upstream_breaker_state", "system")

    assert answer["errors"][0]["extensions"]["system"] == "crm"
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["upstreams"] == {
        "ok": False, "breakers": {"crm": "open", "erp": "closed", "scm": "closed"},
    }  # fmt: skip
    assert states["crm"] == 2
