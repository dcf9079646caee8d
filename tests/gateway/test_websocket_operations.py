"""Each operation on a WebSocket runs in a context of its own, under a token still valid.

A graphql-transport-ws connection used to run every operation in the context built when
it opened: one set of loaders for the socket's whole life (the second question about an
order got the first answer back) and a token checked only at ``connection_init`` (a query
sent after the token expired still got data). Real client (gql) and real short-lived JWTs.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from websockets.typing import Subprotocol

from schema.context import GatewayContext
from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import (
    EVENT_TIMEOUT_S,
    READ_SCOPES,
    Gateway,
    cancel_upstream,
    crm_calls,
    order_with_status,
    restored_after,
    secured_settings,
    token,
    wait_until,
    websocket_session,
)

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
ORDER_STATUS = "query($id: ID!) { order(id: $id) { id status } }"
# Long enough for connection_init and a first query on a slow machine; the test then
# waits this long again so that the token has certainly expired.
LIFETIME_S = 2


@pytest.fixture(scope="module")
def gateway(simulators: RunningSimulators) -> Iterator[Gateway]:
    with restored_after(simulators), Gateway(secured_settings(simulators)) as served:
        yield served


async def order_status(session: Any, order_id: str) -> str:
    result = await session.execute(GraphQLRequest(ORDER_STATUS, variable_values={"id": order_id}))
    return str(result["order"]["status"])


async def test_each_operation_on_one_websocket_reads_the_order_afresh(gateway, simulators):
    order = order_with_status(simulators, "confirmed", skip=5)
    async with websocket_session(gateway, token(READ_SCOPES)) as session:
        before = await asyncio.to_thread(crm_calls, simulators, "orders.by_ids")
        assert await order_status(session, order.id) == "CONFIRMED"
        # Changed in the CRM, with no webhook: only a new read can know.
        await asyncio.to_thread(cancel_upstream, simulators, order.id)
        assert await order_status(session, order.id) == "CANCELLED"
        after = await asyncio.to_thread(crm_calls, simulators, "orders.by_ids")
    # One read per operation: the second did not reuse the first operation's loader.
    assert after - before == 2


async def test_a_long_lived_websocket_holds_no_record_of_the_operations_it_has_finished(
    gateway, simulators
):
    """What an operation read goes with it: a socket open for hours does not accumulate
    every order it was ever asked about (the gateway runs in this process's thread)."""
    order_ids = sorted(simulators.dataset.orders)[:20]

    def held() -> set[str]:
        gc.collect()
        contexts = [item for item in gc.get_objects() if isinstance(item, GatewayContext)]
        return {
            order_id
            for context in contexts
            for order_id in order_ids
            if context.loaders.order.asked(order_id)
        }

    async with websocket_session(gateway, token(READ_SCOPES)) as session:
        for order_id in order_ids:
            await order_status(session, order_id)
        # The last operation may still be finishing (its cache writes) as its answer arrives.
        await wait_until(lambda: not held())


async def test_a_query_sent_after_the_token_expired_is_refused_with_unauthenticated(gateway):
    short_lived = token(READ_SCOPES, lifetime_s=LIFETIME_S)
    async with websocket_session(gateway, short_lived) as session:
        assert await order_status(session, "SO-100010")
        await asyncio.sleep(LIFETIME_S + 1)
        with pytest.raises(TransportQueryError) as refused:
            await order_status(session, "SO-100010")
    assert refused.value.data is None
    [error] = refused.value.errors or []
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in error["message"]


async def test_an_operation_after_expiry_gets_its_error_and_then_the_socket_closes_with_4403(
    gateway,
):
    """Per the protocol: an ``error`` message for that operation's id, then 4403
    (Forbidden: reconnect with a new token), not 4401 (subscribed before the ack)."""
    short_lived = token(READ_SCOPES, lifetime_s=LIFETIME_S)
    async with websockets.connect(gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {short_lived}"}}
        await ws.send(json.dumps(init))
        ack = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
        assert ack["type"] == "connection_ack"
        await asyncio.sleep(LIFETIME_S + 1)
        payload = {"query": ORDER_STATUS, "variables": {"id": "SO-100010"}}
        await ws.send(json.dumps({"id": "late", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
    assert message["id"] == "late" and message["type"] == "error"
    assert [error["extensions"]["code"] for error in message["payload"]] == ["UNAUTHENTICATED"]
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_the_legacy_graphql_ws_protocol_is_not_served(gateway):
    """Its handler would run a socket's operations in one context under the opening token."""
    async with websockets.connect(gateway.ws_url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


def test_an_event_stream_ends_with_unauthenticated_when_its_token_expires(gateway):
    short_lived = token(READ_SCOPES, lifetime_s=LIFETIME_S)
    subscription = "subscription($id: ID!) { orderTrackingUpdated(orderId: $id) { order { id } } }"
    events: list[tuple[str, str]] = []
    with httpx.stream(
        "POST",
        f"{gateway.url}/graphql/stream",
        json={"query": subscription, "variables": {"id": "SO-100010"}},
        headers={"Authorization": f"Bearer {short_lived}"},
        timeout=EVENT_TIMEOUT_S + LIFETIME_S,
    ) as response:
        assert response.status_code == 200
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data:"):
                events.append((event, line.removeprefix("data:").strip()))
                if event == "complete":
                    break
    assert [kind for kind, _ in events] == ["next", "next", "complete"]
    last = json.loads(events[1][1])
    assert last["data"] is None
    assert [error["extensions"]["code"] for error in last["errors"]] == ["UNAUTHENTICATED"]


async def test_a_token_just_past_its_expiry_does_not_open_a_session(gateway):
    """HTTP allows a few seconds of clock skew past exp; a WebSocket whose every
    operation would then be refused as expired is closed at connection_init instead."""
    just_expired = token(READ_SCOPES, lifetime_s=-2)
    async with websockets.connect(gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {just_expired}"}}
        await ws.send(json.dumps(init))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_lone_surrogate_in_an_operation_gets_bad_request_and_the_socket_stays_open(
    gateway,
):
    """As over HTTP: the client's error for that operation, never a silent ``complete``."""
    async with websockets.connect(gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token()}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))["type"] == (
            "connection_ack"
        )
        # json.dumps escapes the half pair as "\ud800", as a hostile client would send it.
        payload = {"query": ORDER_STATUS, "variables": {"id": "SO-\ud800"}}
        await ws.send(json.dumps({"id": "odd", "type": "subscribe", "payload": payload}))
        refused = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
        fine = {"query": ORDER_STATUS, "variables": {"id": "SO-100010"}}
        await ws.send(json.dumps({"id": "next", "type": "subscribe", "payload": fine}))
        answered = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
    assert refused["id"] == "odd" and refused["type"] == "error"
    assert [error["extensions"]["code"] for error in refused["payload"]] == ["BAD_REQUEST"]
    assert answered["id"] == "next" and answered["type"] == "next"
    assert answered["payload"]["data"]["order"]["id"] == "SO-100010"
