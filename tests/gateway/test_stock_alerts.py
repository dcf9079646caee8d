"""stockAlerts end to end: the demo SCM's own stock changes, sent as signed webhooks to one
gateway replica, reach a graphql-transport-ws subscriber of another replica and an SSE
subscriber of the first, once each, as BELOW_REORDER_POINT and then RECOVERED."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest

from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.gateway.live_helpers import (
    EVENT_TIMEOUT_S,
    READ_SCOPES,
    Gateway,
    bearer,
    free_port,
    post_graphql,
    secured_settings,
    send_webhook,
    token,
    wait_until,
    websocket_session,
)

STAFF = token(READ_SCOPES)
ALERTS = """subscription Alerts($warehouse: String) {
  stockAlerts(warehouse: $warehouse) {
    kind sku warehouse level { available reorderPoint belowReorderPoint }
    product { code demand { quantity } openPurchaseOrders { id } }
  }
}"""


@pytest.fixture(scope="module")
def replicas() -> Iterator[tuple[RunningSimulators, Gateway, Gateway]]:
    """Own simulators whose webhooks go to the first of two replicas sharing one Redis."""
    port = free_port()
    sims = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port}"))
    try:
        settings = secured_settings(sims)
        with Gateway(settings, port=port) as first, Gateway(settings) as second:
            yield sims, first, second
    finally:
        sims.stop()


def watched_level(sims: RunningSimulators) -> Any:
    """A held level now above a reorder point of at least 5, of a product with a sku."""
    skus = {product.scm_sku for product in sims.dataset.products.values() if product.scm_sku}
    return next(
        level
        for level in sorted(sims.dataset.stock_levels, key=lambda held: (held.sku, held.warehouse))
        if level.sku in skus
        and level.reorder_point >= 5
        and level.on_hand - level.reserved >= level.reorder_point
    )


def scm(sims: RunningSimulators, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{sims.scm_url}/graphql",
        json={"query": query, "variables": variables},
        headers=bearer(sims.config.scm_token),
    )
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"])


def receive_goods(sims: RunningSimulators, sku: str, warehouse: str, quantity: int) -> None:
    """A purchase order placed and received in the SCM, as the goods arriving would."""
    created = scm(
        sims,
        "mutation($i: PurchaseOrderInput!) { createPurchaseOrder(input: $i) { id } }",
        {"i": {"sku": sku, "quantity": quantity, "reference": f"test-{sku}-{warehouse}"}},
    )
    scm(
        sims,
        "mutation($id: ID!, $w: String!) { receivePurchaseOrder(id: $id, warehouse: $w) { id } }",
        {"id": created["createPurchaseOrder"]["id"], "w": warehouse},
    )


async def sse_alerts(gateway: Gateway, warehouse: str) -> AsyncGenerator[dict[str, Any], None]:
    params = {"query": ALERTS, "variables": json.dumps({"warehouse": warehouse})}
    async with (
        httpx.AsyncClient(timeout=EVENT_TIMEOUT_S) as client,
        client.stream(
            "GET", f"{gateway.url}/graphql/stream", params=params, headers=bearer(STAFF)
        ) as response,
    ):
        assert response.status_code == 200
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "next":
                body = json.loads(line.removeprefix("data:"))
                assert "errors" not in body, body
                yield dict(body["data"]["stockAlerts"])


def subscribers(gateway: Gateway) -> int:
    return len(gateway.app.state.runtime.stock_alerts.subscribers)


async def test_a_crossing_reaches_websocket_and_sse_subscribers_of_every_replica_once(replicas):
    sims, first, second = replicas
    level = watched_level(sims)
    sku, warehouse, reorder_point = level.sku, level.warehouse, level.reorder_point
    code = sims.dataset.products_by_sku[sku].default_code
    by_sse = sse_alerts(first, warehouse)
    sse_next = asyncio.ensure_future(anext(by_sse))
    async with websocket_session(second, STAFF) as session:
        by_ws = session.subscribe(GraphQLRequest(ALERTS, variable_values={"warehouse": warehouse}))
        ws_next = asyncio.ensure_future(anext(by_ws))
        try:
            await wait_until(lambda: subscribers(first) == 1 and subscribers(second) == 1)
            # Goods leave the warehouse: the SCM sends stock.changed to the first replica.
            await asyncio.to_thread(
                httpx.post,
                f"{sims.scm_url}/_sim/stock",
                json={"sku": sku, "warehouse": warehouse, "onHand": 0},
            )
            ws_alert = (await asyncio.wait_for(ws_next, EVENT_TIMEOUT_S))["stockAlerts"]
            sse_alert = await asyncio.wait_for(sse_next, EVENT_TIMEOUT_S)
            for alert in (ws_alert, sse_alert):
                assert alert["kind"] == "BELOW_REORDER_POINT"
                assert (alert["sku"], alert["warehouse"]) == (sku, warehouse)
                assert alert["level"] == {
                    "available": 0,
                    "reorderPoint": reorder_point,
                    "belowReorderPoint": True,
                }
                assert alert["product"]["code"] == code
            expected_demand = post_graphql(
                second.url,
                f'{{ product(code: "{code}") {{ demand {{ quantity }} }} }}',
                headers={**bearer(STAFF), "Cache-Control": "no-cache"},
            )["data"]["product"]["demand"]
            assert ws_alert["product"]["demand"] == expected_demand
            # The same change told again, to the other replica: no second alert.
            await asyncio.to_thread(send_webhook, second.url, "scm", "stock.changed", [sku])
            # Goods arrive: the next alert of each subscriber is the recovery.
            await asyncio.to_thread(receive_goods, sims, sku, warehouse, reorder_point + 10)
            ws_next = asyncio.ensure_future(anext(by_ws))
            sse_next = asyncio.ensure_future(anext(by_sse))
            for alert in (
                (await asyncio.wait_for(ws_next, EVENT_TIMEOUT_S))["stockAlerts"],
                await asyncio.wait_for(sse_next, EVENT_TIMEOUT_S),
            ):
                assert alert["kind"] == "RECOVERED"
                assert alert["level"]["available"] == reorder_point + 10
                assert [po["id"] for po in alert["product"]["openPurchaseOrders"]] == [
                    po.id
                    for po in sims.dataset.purchase_orders_by_sku.get(sku, [])
                    if po.status == "open"
                ]
        finally:
            ws_next.cancel()
            sse_next.cancel()
            await by_ws.aclose()
            await by_sse.aclose()


async def test_a_customer_token_may_not_subscribe_to_stock_alerts(replicas):
    _, first, _ = replicas
    customer = token(READ_SCOPES, customer_id="C-000001")
    response = await asyncio.to_thread(
        httpx.get,
        f"{first.url}/graphql/stream",
        params={"query": ALERTS},
        headers=bearer(customer),
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert subscribers(first) == 0
