"""orderTrackingUpdated over graphql-transport-ws, through a real client (gql): the current
state first, then a new state within seconds of a webhook, on every gateway process that
shares the Redis; tokens from connection_init or the handshake; customers see their own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from redis import Redis
from websockets.typing import Subprotocol

from gateway.pubsub import order_channel
from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.gateway.live_helpers import (
    EVENT_TIMEOUT_S,
    READ_SCOPES,
    TRACKING_SUBSCRIPTION,
    Gateway,
    bearer,
    cancel_upstream,
    crm_calls,
    free_port,
    order_with_status,
    post_graphql,
    restored_after,
    secured_settings,
    send_webhook,
    token,
    tracking_updates,
    wait_until,
    websocket_session,
)
from tests.gateway_fixtures import REDIS_URL, gateway_settings

STAFF = token(READ_SCOPES)
GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
TRACKING_QUERY = TRACKING_SUBSCRIPTION.replace("subscription Track", "query Track").replace(
    "orderTrackingUpdated", "orderTracking"
)


@pytest.fixture(scope="module")
def gateways(simulators: RunningSimulators) -> Iterator[tuple[Gateway, Gateway]]:
    """Two gateway processes (each its own loop, runtime and Redis subscription) that
    share one Redis and one key prefix, as replicas behind a load balancer do."""
    settings = secured_settings(simulators)
    with restored_after(simulators), Gateway(settings) as first, Gateway(settings) as second:
        yield first, second


async def next_update(updates: Any) -> dict[str, Any]:
    result: dict[str, Any] = await asyncio.wait_for(anext(updates), EVENT_TIMEOUT_S)
    return dict(result["orderTrackingUpdated"])


async def test_a_subscription_sends_the_current_state_first(gateways):
    first, _ = gateways
    expected = post_graphql(first.url, TRACKING_QUERY, {"id": "SO-100010"}, bearer(STAFF))
    async with (
        websocket_session(first, STAFF) as session,
        tracking_updates(session, "SO-100010") as updates,
    ):
        assert await next_update(updates) == expected["data"]["orderTracking"]


async def test_a_webhook_reaches_the_subscribers_of_every_gateway_sharing_the_redis(
    gateways, simulators
):
    first, second = gateways
    order = order_with_status(simulators, "in_production")
    async with (
        websocket_session(first, STAFF) as on_first,
        websocket_session(second, STAFF) as on_second,
        tracking_updates(on_first, order.id) as first_updates,
        tracking_updates(on_second, order.id) as second_updates,
    ):
        assert (await next_update(first_updates))["stage"] == "IN_PRODUCTION"
        assert (await next_update(second_updates))["stage"] == "IN_PRODUCTION"
        await asyncio.to_thread(cancel_upstream, simulators, order.id)
        # The CRM tells the first gateway only; the second hears of it through Redis.
        await asyncio.to_thread(send_webhook, first.url, "crm", "order.updated", [order.id])
        for updates in (first_updates, second_updates):
            update = await next_update(updates)
            assert update["stage"] == "CANCELLED"
            assert update["order"] == {"id": order.id, "status": "CANCELLED"}
            assert update["progress"] == 0.0


async def test_each_gateway_process_holds_one_redis_subscription_for_all_its_subscribers(
    gateways, simulators
):
    first, second = gateways
    orders = [order_with_status(simulators, "delivered", skip=n).id for n in range(3)]
    async with (
        websocket_session(first, STAFF) as on_first,
        websocket_session(second, STAFF) as on_second,
    ):
        streams = [tracking_updates(on_first, order_id) for order_id in orders]
        streams.append(tracking_updates(on_second, orders[0]))
        opened = [await stream.__aenter__() for stream in streams]
        try:
            for updates in opened:
                await next_update(updates)
            assert len(first.fan_out) == 3 and len(second.fan_out) == 1
            channel = order_channel(first.settings.cache_prefix)
            with Redis.from_url(REDIS_URL) as redis:
                assert dict(redis.pubsub_numsub(channel)) == {channel.encode(): 2}
        finally:
            for stream in reversed(streams):
                await stream.__aexit__(None, None, None)
    await wait_until(lambda: len(first.fan_out) == 0 and len(second.fan_out) == 0)


async def test_events_of_the_systems_own_webhooks_reach_a_subscriber(simulators):
    """The demo systems send their webhooks to the gateway (as ``supplygraph serve`` sets
    them up): a cancellation in the CRM shows in the subscription without the test's help."""
    port = free_port()
    own = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port}"))
    try:
        with Gateway(gateway_settings(own), port=port) as gateway:
            order = order_with_status(own, "confirmed")
            async with (
                websocket_session(gateway) as session,
                tracking_updates(session, order.id) as updates,
            ):
                assert (await next_update(updates))["stage"] == "ORDERED"
                await asyncio.to_thread(cancel_upstream, own, order.id)
                assert (await next_update(updates))["stage"] == "CANCELLED"
    finally:
        own.stop()


async def test_production_and_shipment_webhooks_name_orders_too(gateways, simulators):
    first, _ = gateways
    order = order_with_status(simulators, "confirmed", skip=2)
    async with (
        websocket_session(first, STAFF) as session,
        tracking_updates(session, order.id) as updates,
    ):
        await next_update(updates)
        # Cancelling also cancels its production plans: the ERP's event names the order.
        await asyncio.to_thread(cancel_upstream, simulators, order.id)
        await asyncio.to_thread(send_webhook, first.url, "erp", "production.updated", [order.id])
        assert (await next_update(updates))["stage"] == "CANCELLED"


async def test_a_customer_token_follows_its_own_order(gateways, simulators):
    first, _ = gateways
    order = order_with_status(simulators, "delivered", skip=5)
    own = token(READ_SCOPES, customer_id=order.customer_id)
    async with (
        websocket_session(first, own) as session,
        tracking_updates(session, order.id) as updates,
    ):
        assert (await next_update(updates))["order"]["id"] == order.id


async def refusal_of(gateway: Gateway, bearer_token: str, order_id: str) -> dict[str, Any]:
    """The one error a subscription to ``order_id`` is refused with."""
    async with (
        websocket_session(gateway, bearer_token) as session,
        tracking_updates(session, order_id) as updates,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await next_update(updates)
    assert refused.value.data is None
    [error] = refused.value.errors or []
    return dict(error)


async def test_another_customers_order_is_refused_as_an_unknown_one_is(gateways, simulators):
    """A customer's token cannot tell another customer's order from an order that does
    not exist: both get the same NOT_FOUND, naming only the id it asked for."""
    first, _ = gateways
    order = order_with_status(simulators, "delivered", skip=6)
    other = "C-000001" if order.customer_id != "C-000001" else "C-000002"
    intruder = token(READ_SCOPES, customer_id=other)
    foreign = await refusal_of(first, intruder, order.id)
    unknown = await refusal_of(first, intruder, "SO-999999")
    assert foreign["extensions"] == unknown["extensions"] == {"code": "NOT_FOUND"}
    assert foreign["message"] == unknown["message"].replace("SO-999999", order.id)
    await wait_until(lambda: len(first.fan_out) == 0)


async def test_subscribing_to_an_unknown_order_is_not_found(gateways):
    first, _ = gateways
    async with (
        websocket_session(first, STAFF) as session,
        tracking_updates(session, "SO-999999") as updates,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await next_update(updates)
    [error] = refused.value.errors or []
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_the_token_may_come_in_the_handshakes_authorization_header(gateways):
    first, _ = gateways
    async with (
        websocket_session(first, headers=bearer(STAFF)) as session,
        tracking_updates(session, "SO-100011") as updates,
    ):
        assert (await next_update(updates))["order"]["id"] == "SO-100011"


async def raw_connection_init(gateway: Gateway, payload: dict[str, Any]) -> tuple[int, str]:
    """Close code and reason after a connection_init with ``payload``."""
    async with websockets.connect(gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"headers": {"authorization": "Bearer " + token(lifetime_s=-3600)}},
    ],
    ids=["no token", "not a jwt", "not bearer", "expired, nested in headers"],
)
async def test_a_websocket_without_a_valid_token_is_closed_before_any_operation(gateways, payload):
    first, _ = gateways
    code, reason = await raw_connection_init(first, payload)
    assert code == 4403
    assert reason == "Forbidden"


async def test_an_unauthenticated_websocket_may_not_subscribe(gateways):
    first, _ = gateways
    async with websockets.connect(first.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:
        subscribe = {"query": TRACKING_SUBSCRIPTION, "variables": {"id": "SO-100010"}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_gateway_without_redis_delivers_to_its_own_subscribers(simulators):
    with restored_after(simulators), Gateway(gateway_settings(simulators, redis_url=None)) as gw:
        order = order_with_status(simulators, "confirmed", skip=3)
        async with websocket_session(gw) as session, tracking_updates(session, order.id) as updates:
            assert (await next_update(updates))["stage"] == "ORDERED"
            await asyncio.to_thread(cancel_upstream, simulators, order.id)
            await asyncio.to_thread(send_webhook, gw.url, "crm", "order.updated", [order.id])
            assert (await next_update(updates))["stage"] == "CANCELLED"


async def test_a_cancel_order_through_the_gateway_reaches_subscribers_without_a_webhook(
    gateways, simulators
):
    first, second = gateways
    order = order_with_status(simulators, "confirmed", skip=4)
    writer = bearer(token())
    async with (
        websocket_session(second, STAFF) as session,
        tracking_updates(session, order.id) as updates,
    ):
        await next_update(updates)
        cancel = "mutation($id: ID!) { cancelOrder(id: $id) { status } }"
        answer = await asyncio.to_thread(post_graphql, first.url, cancel, {"id": order.id}, writer)
        assert answer["data"]["cancelOrder"]["status"] == "CANCELLED"
        assert (await next_update(updates))["stage"] == "CANCELLED"


async def test_open_subscriptions_are_counted_in_the_metrics(gateways):
    from tests.gateway.scrape import scrape, total

    first, _ = gateways
    before = total(scrape(first.url), "supplygraph_subscriptions_open")
    async with (
        websocket_session(first, STAFF) as session,
        tracking_updates(session, "SO-100010") as updates,
    ):
        await next_update(updates)
        during = total(scrape(first.url), "supplygraph_subscriptions_open")
    await wait_until(lambda: total(scrape(first.url), "supplygraph_subscriptions_open") == before)
    assert during == before + 1


async def test_a_subscription_ends_when_its_token_expires(gateways):
    first, _ = gateways
    short_lived = token(READ_SCOPES, lifetime_s=3)
    async with (
        websocket_session(first, short_lived) as session,
        tracking_updates(session, "SO-100010") as updates,
    ):
        assert (await next_update(updates))["stage"]
        with pytest.raises(TransportQueryError) as ended:
            await next_update(updates)
    assert ended.value.errors is not None
    assert ended.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in ended.value.errors[0]["message"]


async def test_subscribers_of_one_order_share_one_read_per_change(gateways, simulators):
    first, _ = gateways
    order = order_with_status(simulators, "in_production", skip=3)
    async with (
        websocket_session(first, STAFF) as one,
        websocket_session(first, STAFF) as two,
        websocket_session(first, STAFF) as three,
        tracking_updates(one, order.id) as first_updates,
        tracking_updates(two, order.id) as second_updates,
        tracking_updates(three, order.id) as third_updates,
    ):
        streams = (first_updates, second_updates, third_updates)
        for updates in streams:
            assert (await next_update(updates))["stage"] == "IN_PRODUCTION"
        await asyncio.to_thread(cancel_upstream, simulators, order.id)
        before = await asyncio.to_thread(crm_calls, simulators, "orders.by_ids")

        await asyncio.to_thread(send_webhook, first.url, "crm", "order.updated", [order.id])
        for updates in streams:
            assert (await next_update(updates))["stage"] == "CANCELLED"

        # Three subscribers, one change: the order is read from the CRM once, not thrice.
        after = await asyncio.to_thread(crm_calls, simulators, "orders.by_ids")
        assert after - before == 1


async def test_a_crm_only_subscriber_is_told_of_no_erp_or_scm_change_and_costs_them_nothing(
    gateways, simulators, sim_counters
):
    """What the token may not see is neither read nor compared: an update sent because
    a plan or a shipment changed would tell it that something it may not see changed."""
    first, _ = gateways
    order = order_with_status(simulators, "in_production", skip=4)
    crm_only = token("crm:read")
    query = "subscription($id: ID!) { orderTrackingUpdated(orderId: $id) { order { id } } }"
    before = await asyncio.to_thread(sim_counters.read)
    async with websocket_session(first, crm_only) as session:
        updates = session.subscribe(GraphQLRequest(query, variable_values={"id": order.id}))
        try:
            assert (await next_update(updates))["order"]["id"] == order.id
            reads = await asyncio.to_thread(crm_calls, simulators, "orders.by_ids")
            await asyncio.to_thread(
                send_webhook, first.url, "erp", "production.updated", [order.id]
            )
            await asyncio.to_thread(send_webhook, first.url, "scm", "shipment.updated", [order.id])
            # Each change is re-read (the order from the CRM) and compared.
            await wait_until(lambda: crm_calls(simulators, "orders.by_ids") >= reads + 2)
        finally:
            await updates.aclose()
    after = await asyncio.to_thread(sim_counters.read)
    assert after["erp"]["requests"] == before["erp"]["requests"]
    assert after["scm"]["requests"] == before["scm"]["requests"]
