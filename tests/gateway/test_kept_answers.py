"""Whole answers kept per view (cache.response_cache), over HTTP in front of the simulators.

Each test runs its own gateway over a new key prefix in the real Redis.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.server_thread import ThreadedServer
from tests.gateway.test_caching import TRACKING, webhook
from tests.gateway.test_upstream_calls import DASHBOARD, calls_by_operation
from tests.gateway_fixtures import JWT_SECRET, SimCounters, gateway_settings

ORDER = """query ($id: ID!) { order(id: $id) { id status total { amount } } }"""


@pytest.fixture
def gateway(simulators: Any) -> Iterator[str]:
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server.url


@pytest.fixture
def secured_gateway(simulators: Any) -> Iterator[str]:
    settings = gateway_settings(simulators, jwt_secret=JWT_SECRET).model_copy(
        update={"auth_disabled": False}
    )
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


def ask(
    url: str, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30.0,
    )
    assert response.status_code == 200, response.text
    return response


def bearer(scopes: str, customer_id: str | None = None) -> str:
    return "Bearer " + issue_token(JWT_SECRET, "kept-answers", scopes, customer_id=customer_id)


def test_a_repeated_dashboard_is_answered_whole_with_no_upstream_call(
    gateway: str, sim_counters: SimCounters
) -> None:
    first = ask(gateway, DASHBOARD)
    sim_counters.reset()

    again = ask(gateway, DASHBOARD)

    assert again.headers["x-cache"] == "hit" and "x-cache" not in first.headers
    assert int(again.headers["age"]) >= 0
    assert again.json() == first.json()
    assert calls_by_operation(sim_counters.read()) == {}


def test_other_variables_are_another_answer(gateway: str) -> None:
    ask(gateway, ORDER, {"id": "SO-100001"})

    other = ask(gateway, ORDER, {"id": "SO-100002"})

    assert "x-cache" not in other.headers
    assert other.json()["data"]["order"]["id"] == "SO-100002"


def test_a_customer_never_gets_the_answer_staff_warmed(secured_gateway: str, upstream: Any) -> None:
    order = upstream.orders(["SO-100001"])["SO-100001"]
    staff = bearer("crm:read erp:read scm:read")
    ask(secured_gateway, ORDER, {"id": "SO-100001"}, Authorization=staff)
    assert (
        ask(secured_gateway, ORDER, {"id": "SO-100001"}, Authorization=staff).headers["x-cache"]
        == "hit"
    )

    stranger = ask(
        secured_gateway,
        ORDER,
        {"id": "SO-100001"},
        Authorization=bearer("crm:read", customer_id="C-999999"),
    )
    owner = ask(
        secured_gateway,
        ORDER,
        {"id": "SO-100001"},
        Authorization=bearer("crm:read erp:read scm:read", customer_id=order["customer_id"]),
    )

    assert "x-cache" not in stranger.headers
    assert stranger.json()["data"]["order"] is None
    # Another customer's order is unknown to this token, never FORBIDDEN (which would say
    # that it exists).
    assert {e["extensions"]["code"] for e in stranger.json()["errors"]} == {"NOT_FOUND"}
    # The owner sees the same order, built for its own view, not served from staff's.
    assert "x-cache" not in owner.headers
    assert owner.json()["data"]["order"]["id"] == "SO-100001"


def test_an_answer_with_errors_is_not_kept(secured_gateway: str) -> None:
    query = '{ order(id: "SO-100001") { id productionPlans { state } } }'
    crm_only = bearer("crm:read")

    for _ in range(2):
        response = ask(secured_gateway, query, Authorization=crm_only)
        assert "x-cache" not in response.headers
        assert response.json()["errors"]


def test_a_webhook_retires_the_answers_that_read_its_system(
    gateway: str, sim_counters: SimCounters
) -> None:
    ask(gateway, TRACKING, {"id": "SO-100003"})
    assert ask(gateway, TRACKING, {"id": "SO-100003"}).headers["x-cache"] == "hit"
    body, headers = webhook("crm", "order.updated", ["SO-100003"])
    assert httpx.post(f"{gateway}/webhooks/crm", content=body, headers=headers).status_code == 202
    sim_counters.reset()

    after = ask(gateway, TRACKING, {"id": "SO-100003"})

    assert "x-cache" not in after.headers
    # Rebuilt from the entity cache: only the order the webhook named is fetched again.
    assert calls_by_operation(sim_counters.read()) == {"orders.by_ids": 1}


def test_no_cache_builds_the_answer_again_and_keeps_the_new_one(gateway: str) -> None:
    ask(gateway, TRACKING, {"id": "SO-100004"})

    bypass = ask(gateway, TRACKING, {"id": "SO-100004"}, **{"Cache-Control": "no-cache"})
    again = ask(gateway, TRACKING, {"id": "SO-100004"})

    assert "x-cache" not in bypass.headers
    assert again.headers["x-cache"] == "hit" and again.json() == bypass.json()


def test_a_mutation_is_never_answered_from_a_kept_answer(gateway: str) -> None:
    mutation = """mutation { placeOrder(input: {customerId: "C-000001",
        lines: [{productCode: "P-1001", quantity: 1}]}) { order { id } } }"""

    first = ask(gateway, mutation)
    second = ask(gateway, mutation)

    assert "x-cache" not in second.headers
    placed = [r.json()["data"]["placeOrder"]["order"]["id"] for r in (first, second)]
    assert placed[0] != placed[1]


def test_an_answer_lives_no_longer_than_its_least_fresh_record(simulators: Any) -> None:
    settings = gateway_settings(simulators, cache_ttls={"stock_of_sku": 1.0})
    query = '{ products(codes: ["P-1001", "P-1002"]) { code availableToPromise } }'
    with ThreadedServer(create_app(settings)) as server:
        ask(server.url, query)
        assert ask(server.url, query).headers["x-cache"] == "hit"

        time.sleep(1.2)

        assert "x-cache" not in ask(server.url, query).headers


def test_a_client_holding_the_current_answer_gets_304_and_no_body(gateway: str) -> None:
    built = ask(gateway, ORDER, {"id": "SO-100005"})
    etag = built.headers["etag"]

    response = httpx.post(
        f"{gateway}/graphql",
        json={"query": ORDER, "variables": {"id": "SO-100005"}},
        headers={"If-None-Match": etag},
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag and response.headers["x-cache"] == "hit"


def test_an_answer_rebuilt_unchanged_after_a_webhook_is_still_not_modified(gateway: str) -> None:
    etag = ask(gateway, TRACKING, {"id": "SO-100006"}).headers["etag"]
    body, headers = webhook("crm", "order.updated", ["SO-100006"])
    httpx.post(f"{gateway}/webhooks/crm", content=body, headers=headers)

    response = httpx.post(
        f"{gateway}/graphql",
        json={"query": TRACKING, "variables": {"id": "SO-100006"}},
        # Weak already when it came compressed (gateway.compression); the same tag.
        headers={"If-None-Match": f'W/{etag.removeprefix("W/")}, "other"'},
    )

    assert response.status_code == 304
    assert "x-cache" not in response.headers  # rebuilt, and the same as the client's


def test_another_answer_has_another_etag_and_comes_whole(gateway: str) -> None:
    etag = ask(gateway, ORDER, {"id": "SO-100001"}).headers["etag"]

    response = httpx.post(
        f"{gateway}/graphql",
        json={"query": ORDER, "variables": {"id": "SO-100002"}},
        headers={"If-None-Match": etag},
    )

    assert response.status_code == 200
    assert response.headers["etag"] != etag
    assert response.json()["data"]["order"]["id"] == "SO-100002"
