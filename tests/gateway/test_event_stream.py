"""orderTrackingUpdated as Server-Sent Events on /graphql/stream, for clients without a
WebSocket: the same updates, the same tokens (header or ``?token=``), refusals as JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from strawberry.types.execution import ExecutionResult

from gateway.sse import COMPLETE_EVENT, KEEPALIVE_COMMENT, SubscriptionStream
from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import (
    EVENT_TIMEOUT_S,
    READ_SCOPES,
    TRACKING_SUBSCRIPTION,
    Gateway,
    bearer,
    cancel_upstream,
    order_with_status,
    restored_after,
    secured_settings,
    send_webhook,
    token,
)

STAFF = token(READ_SCOPES)


@pytest.fixture(scope="module")
def gateways(simulators: RunningSimulators) -> Iterator[tuple[Gateway, Gateway]]:
    settings = secured_settings(simulators)
    with restored_after(simulators), Gateway(settings) as first, Gateway(settings) as second:
        yield first, second


def stream_params(order_id: str, **extra: str) -> dict[str, str]:
    return {"query": TRACKING_SUBSCRIPTION, "variables": json.dumps({"id": order_id}), **extra}


@contextmanager
def event_stream(
    gateway: Gateway, order_id: str, headers: dict[str, str] | None = None, **extra: str
) -> Iterator[Iterator[tuple[str, dict[str, Any]]]]:
    with httpx.stream(
        "GET",
        f"{gateway.url}/graphql/stream",
        params=stream_params(order_id, **extra),
        headers=headers,
        timeout=EVENT_TIMEOUT_S,
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield events_of(response)


def events_of(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of an event stream; comments are skipped."""
    event, data = "message", list[str]()
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if data:
                yield event, json.loads("\n".join(data)) if data != [""] else {}
            event, data = "message", list[str]()
        elif line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))


def tracking_of(event: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    name, body = event
    assert name == "next"
    assert "errors" not in body, body
    return dict(body["data"]["orderTrackingUpdated"])


def test_an_event_stream_sends_the_current_state_then_each_change(gateways, simulators):
    first, second = gateways
    order = order_with_status(simulators, "in_production", skip=1)
    with event_stream(second, order.id, bearer(STAFF)) as events:
        assert tracking_of(next(events))["stage"] == "IN_PRODUCTION"
        cancel_upstream(simulators, order.id)
        send_webhook(first.url, "crm", "order.updated", [order.id])
        update = tracking_of(next(events))
    assert update["stage"] == "CANCELLED"
    assert update["order"] == {"id": order.id, "status": "CANCELLED"}


def test_an_event_source_may_send_its_token_in_the_query_string(gateways):
    first, _ = gateways
    with event_stream(first, "SO-100020", token=STAFF) as events:
        assert tracking_of(next(events))["order"]["id"] == "SO-100020"


def test_a_subscription_may_be_posted_as_json(gateways):
    first, _ = gateways
    body = {"query": TRACKING_SUBSCRIPTION, "variables": {"id": "SO-100021"}}
    with httpx.stream(
        "POST", f"{first.url}/graphql/stream", json=body, headers=bearer(STAFF), timeout=30
    ) as response:
        assert response.status_code == 200
        assert tracking_of(next(events_of(response)))["order"]["id"] == "SO-100021"


def test_leaving_an_event_stream_ends_its_subscription(gateways):
    first, _ = gateways
    with event_stream(first, "SO-100022", bearer(STAFF)) as events:
        next(events)
        assert len(first.fan_out) == 1
    for _ in range(int(EVENT_TIMEOUT_S / 0.02)):
        if len(first.fan_out) == 0:
            break
        asyncio.run(asyncio.sleep(0.02))
    assert len(first.fan_out) == 0


def other_customer(customer_id: str) -> str:
    return "C-000001" if customer_id != "C-000001" else "C-000002"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no token", 401, "UNAUTHENTICATED"),
        ("bad token", 401, "UNAUTHENTICATED"),
        # To a customer's token another customer's order does not exist.
        ("another customer's order", 404, "NOT_FOUND"),
        ("unknown order", 404, "NOT_FOUND"),
        ("a query, not a subscription", 400, "BAD_REQUEST"),
        ("variables that are not JSON", 400, "BAD_REQUEST"),
    ],
)
def test_a_refused_stream_is_a_json_answer_with_an_error_status(
    gateways, simulators, case, status, code, caplog
):
    first, _ = gateways
    order = order_with_status(simulators, "delivered", skip=7)
    params = stream_params(order.id)
    headers = bearer(STAFF)
    if case == "no token":
        headers = {}
    elif case == "bad token":
        headers = bearer("not-a-jwt")
    elif case == "another customer's order":
        headers = bearer(token(READ_SCOPES, customer_id=other_customer(order.customer_id)))
    elif case == "unknown order":
        params = stream_params("SO-999999")
    elif case == "a query, not a subscription":
        params["query"] = "query($id: ID!) { order(id: $id) { id } }"
    else:
        params["variables"] = "{not json"
    response = httpx.get(f"{first.url}/graphql/stream", params=params, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert order.id not in json.dumps(response.json())
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_an_idle_stream_sends_keepalives_completes_with_its_source_and_then_finishes():
    release = asyncio.Event()
    exits = 0

    async def finish() -> None:
        nonlocal exits
        exits += 1

    async def results() -> AsyncGenerator[ExecutionResult, None]:
        await release.wait()
        yield ExecutionResult(data={"n": 2}, errors=None)

    stream = SubscriptionStream(view=None, keepalive_s=0.01)  # type: ignore[arg-type]
    first: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
    first.set_result(ExecutionResult(data={"n": 1}, errors=None))
    chunks = stream.events(first, results(), finish, asyncio.Event())
    assert await anext(chunks) == b'event: next\ndata: {"data":{"n":1}}\n\n'
    assert await anext(chunks) == KEEPALIVE_COMMENT
    release.set()
    received = [chunk async for chunk in chunks if chunk != KEEPALIVE_COMMENT]
    assert received == [b'event: next\ndata: {"data":{"n":2}}\n\n', COMPLETE_EVENT]
    assert exits == 1  # the request's exit work ran once, when the stream ended


async def test_a_stream_ends_without_complete_when_the_server_drains_and_finishes_its_source():
    exits, closed = 0, False
    draining = asyncio.Event()

    async def finish() -> None:
        nonlocal exits
        exits += 1

    async def results() -> AsyncGenerator[ExecutionResult, None]:
        nonlocal closed
        try:
            await asyncio.Event().wait()  # a subscription with nothing to say, ever
            yield ExecutionResult(data=None, errors=None)
        finally:
            closed = True

    stream = SubscriptionStream(view=None, keepalive_s=60)  # type: ignore[arg-type]
    first: asyncio.Future[ExecutionResult | None] = asyncio.get_running_loop().create_future()
    first.set_result(ExecutionResult(data={"n": 1}, errors=None))
    source = results()
    chunks = stream.events(first, source, finish, draining)
    assert await anext(chunks) == b'event: next\ndata: {"data":{"n":1}}\n\n'
    later = asyncio.ensure_future(anext(chunks, None))
    await asyncio.sleep(0)
    draining.set()

    assert await later is None  # no COMPLETE_EVENT: the client should connect again
    assert closed and exits == 1
