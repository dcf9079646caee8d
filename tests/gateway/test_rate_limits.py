"""Rate limits per client, shared by replicas through the real Redis, and who may skip the cache.

Each test's gateways get a cache prefix of their own, so their counts start at zero.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from graphql import parse

import schema.limits
from gateway.app import create_app
from gateway.auth import issue_token
from gateway.server_thread import ThreadedServer
from schema.build import create_schema
from schema.limits import estimated_cost
from tests.cache.private_redis import free_port
from tests.gateway.live_helpers import Gateway, secured_settings, websocket_session
from tests.gateway.live_helpers import token as raw_token
from tests.gateway_fixtures import JWT_SECRET, SimCounters, gateway_settings

ORDER = '{ order(id: "SO-100001") { id status customer { name } } }'


def token(subject: str, scopes: str = "crm:read") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, subject, scopes)}"}


def ask(url: str, headers: dict[str, str] | None = None, query: str = ORDER) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30)


def limited(simulators: Any, prefix: str, **overrides: Any) -> ThreadedServer:
    values: dict[str, Any] = {"jwt_secret": JWT_SECRET, "cache_prefix": prefix, **overrides}
    settings = gateway_settings(simulators, **values).model_copy(update={"auth_disabled": False})
    return ThreadedServer(create_app(settings))


@pytest.fixture
def prefix() -> str:
    return f"sgtest-rl-{uuid.uuid4().hex[:8]}"


def test_past_its_requests_a_client_gets_429_with_retry_after_and_others_do_not(simulators, prefix):
    with limited(simulators, prefix, rate_limit_requests=3, rate_limit_window_s=30) as gateway:
        allowed = [ask(gateway.url, token("alice")) for _ in range(3)]
        refused = ask(gateway.url, token("alice"))
        someone_else = ask(gateway.url, token("bob"))

    assert [response.status_code for response in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    error = refused.json()["errors"][0]
    assert error["extensions"] == {"code": "RATE_LIMITED", "limit": "requests", "value": 3}
    assert "try again in" in error["message"]
    assert someone_else.status_code == 200


def test_replicas_share_the_counts_through_redis(simulators, prefix):
    with ExitStack() as stack:
        first = stack.enter_context(limited(simulators, prefix, rate_limit_requests=3))
        second = stack.enter_context(limited(simulators, prefix, rate_limit_requests=3))
        statuses = [
            ask(first.url, token("carol")).status_code,
            ask(second.url, token("carol")).status_code,
            ask(first.url, token("carol")).status_code,
            ask(second.url, token("carol")).status_code,
        ]

    assert statuses == [200, 200, 200, 429]


def test_requests_without_a_token_are_counted_by_address(simulators, prefix):
    settings = gateway_settings(
        simulators, cache_prefix=prefix, rate_limit_requests=2, jwt_secret=JWT_SECRET
    )
    with ThreadedServer(create_app(settings)) as gateway:  # auth disabled: anonymous staff
        statuses = [ask(gateway.url).status_code for _ in range(3)]
        with_token = ask(gateway.url, token("dave")).status_code

    assert statuses == [200, 200, 429]
    assert with_token == 200  # a token is its own client, not its address


def cost_of(query: str) -> int:
    built = create_schema()
    return estimated_cost(built._schema, parse(query), None, {}, built.limits)


def test_an_operation_that_would_pass_the_cost_budget_is_refused_before_it_runs(simulators, prefix):
    cost = cost_of(ORDER)
    counters = SimCounters(simulators)
    # Room for two such operations in the window, not three.
    with limited(simulators, prefix, rate_limit_cost=2 * cost + cost // 2) as gateway:
        first = ask(
            gateway.url, token("erin", "crm:read cache:bypass") | {"Cache-Control": "no-cache"}
        )
        second = ask(
            gateway.url, token("erin", "crm:read cache:bypass") | {"Cache-Control": "no-cache"}
        )
        counters.reset()
        refused = ask(
            gateway.url, token("erin", "crm:read cache:bypass") | {"Cache-Control": "no-cache"}
        )
        calls = sum(int(stats["requests"]) for stats in counters.read().values())

    assert cost > 1
    assert (first.status_code, second.status_code) == (200, 200)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["limit"] == "cost"
    assert calls == 0  # refused before any upstream call


def test_the_cost_is_measured_once_per_operation_and_reused_by_the_limit_check(
    simulators, prefix, monkeypatch
):
    measured: list[str] = []
    original = schema.limits.measure_operation

    def counting(*args: Any, **kwargs: Any) -> Any:
        measured.append("walk")
        return original(*args, **kwargs)

    monkeypatch.setattr(schema.limits, "measure_operation", counting)
    query = '{ order(id: "SO-100002") { id } }'
    with limited(simulators, prefix, rate_limit_cost=1_000_000) as gateway:
        response = ask(gateway.url, token("frank"), query)

    assert response.status_code == 200
    assert response.json()["data"] == {"order": {"id": "SO-100002"}}
    assert measured == ["walk"]


def test_with_redis_down_requests_are_let_through_and_it_is_logged_once(simulators, prefix, caplog):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="supplygraph.rate_limit")
    with limited(
        simulators, prefix, redis_url=dead, redis_timeout_s=0.2, rate_limit_requests=1
    ) as gateway:
        statuses = [ask(gateway.url, token("grace")).status_code for _ in range(3)]

    warnings = [r for r in caplog.records if r.name == "supplygraph.rate_limit"]
    assert statuses == [200, 200, 200]
    assert len(warnings) == 1
    assert "rate limits not enforced" in warnings[0].getMessage()


# Cache-Control: no-cache


@pytest.fixture
def secured(simulators, prefix) -> Iterator[str]:
    with limited(simulators, prefix) as gateway:
        yield gateway.url


@pytest.mark.parametrize(
    ("scopes", "upstream_calls_expected"),
    [("crm:read", False), ("crm:read cache:bypass", True)],
)
def test_no_cache_is_honoured_only_for_tokens_with_the_cache_bypass_scope(
    simulators, secured, scopes, upstream_calls_expected
):
    counters = SimCounters(simulators)
    query = '{ order(id: "SO-100003") { id status } }'
    warm = ask(secured, token("henry", scopes), query)
    counters.reset()
    again = ask(secured, token("henry", scopes) | {"Cache-Control": "no-cache"}, query)
    calls = sum(int(stats["requests"]) for stats in counters.read().values())

    assert warm.status_code == again.status_code == 200
    assert again.json() == warm.json()
    assert (calls > 0) is upstream_calls_expected


def test_without_redis_the_counts_are_kept_in_the_process(simulators, prefix):
    with limited(simulators, prefix, redis_url=None, rate_limit_requests=2) as gateway:
        statuses = [ask(gateway.url, token("ivan")).status_code for _ in range(3)]
        other = ask(gateway.url, token("judy")).status_code

    assert statuses == [200, 200, 429]
    assert other == 200


async def test_each_websocket_operation_counts_as_a_request_and_past_the_budget_gets_its_error(
    simulators, prefix
):
    settings = secured_settings(
        simulators, cache_prefix=prefix, rate_limit_requests=3, rate_limit_window_s=30
    )
    with Gateway(settings) as gateway:
        async with websocket_session(gateway, raw_token("crm:read", subject="carol")) as session:
            request = GraphQLRequest(ORDER)
            answers = [await session.execute(request) for _ in range(3)]
            with pytest.raises(TransportQueryError) as refused:
                await session.execute(request)
            # The socket stays open (the budget ran out, not the connection): the next
            # operation on it gets its own refusal rather than a closed connection.
            with pytest.raises(TransportQueryError) as again:
                await session.execute(request)
        # Another client's budget is its own, over HTTP as well.
        other = await asyncio.to_thread(ask, gateway.url, token("dave"))

    assert [answer["order"]["id"] for answer in answers] == ["SO-100001"] * 3
    [error] = refused.value.errors or []
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "requests" and error["extensions"]["value"] == 3
    assert 1 <= error["extensions"]["retryAfter"] <= 30
    assert [e["extensions"]["code"] for e in again.value.errors or []] == ["RATE_LIMITED"]
    assert other.status_code == 200


def test_an_event_stream_counts_as_a_request_and_past_the_budget_gets_429(simulators, prefix):
    subscription = "subscription($id: ID!) { orderTrackingUpdated(orderId: $id) { stage } }"
    params = {"query": subscription, "variables": json.dumps({"id": "SO-100001"})}
    with limited(simulators, prefix, rate_limit_requests=2, rate_limit_window_s=30) as gateway:
        spent = [ask(gateway.url, token("erin")) for _ in range(2)]
        refused = httpx.get(
            f"{gateway.url}/graphql/stream", params=params, headers=token("erin"), timeout=30
        )

    assert [response.status_code for response in spent] == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
