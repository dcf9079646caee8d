"""The three flows of the mission, end to end: the demo systems send their signed webhooks
to the gateway, the flows act on the systems through the gateway's own mutations, and each
re-delivery changes nothing upstream (counted in the systems' own records)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from tests.flows.helpers import FlowWorld, eventually, flow_world
from tests.gateway.scrape import scrape, total

PRODUCT = """query($code: ID!) {
  product(code: $code) { sku availableToPromise openPurchaseOrders { quantity } }
}"""


@pytest.fixture(scope="module")
def world() -> Iterator[FlowWorld]:
    with flow_world() as running:
        yield running


def stock_of(world: FlowWorld, code: str) -> tuple[str, int, int]:
    product = world.graphql(PRODUCT, {"code": code})["product"]
    open_quantity = sum(order["quantity"] for order in product["openPurchaseOrders"])
    return product["sku"], product["availableToPromise"], open_quantity


def place_order(world: FlowWorld, lines: list[tuple[str, int]]) -> str:
    answer = world.graphql(
        "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }",
        {
            "input": {
                "customerId": "C-000001",
                "lines": [{"productCode": code, "quantity": qty} for code, qty in lines],
            }
        },
    )
    order_id: str = answer["placeOrder"]["order"]["id"]
    return order_id


def test_a_confirmed_order_beyond_stock_is_produced_per_short_line_and_the_shortfall_bought(
    world: FlowWorld,
) -> None:
    sku, promised, on_order = stock_of(world, "P-1001")
    quantity = promised + on_order + 50
    order_id = place_order(world, [("P-1001", quantity), ("P-1005", 1)])

    productions = eventually(lambda: world.productions_of(order_id))
    assert [(p["product_code"], int(p["product_qty"]), p["origin"]) for p in productions] == [
        ("P-1001", quantity, f"{order_id}/1")
    ], "one production order, for the line beyond what is available to promise only"

    reference = productions[0]["name"]

    def bought() -> list[dict[str, Any]]:
        return [po for po in world.purchase_orders_of(sku) if po["reference"] == reference]

    [purchase] = eventually(bought)
    assert purchase["quantity"] == 50, "the shortfall against stock and the open POs"
    assert purchase["status"] == "open"

    runs = eventually(lambda: world.flow_runs("order-to-production", "succeeded"))
    mine = [run for run in runs if order_id in run["event"]["keys"]]
    assert mine, runs
    steps = [step["step"] for step in mine[0]["steps"]]
    assert steps[0] == "read" and "mutation createProductionOrder" in steps
    mutation = next(s for s in mine[0]["steps"] if s["step"] == "mutation createProductionOrder")
    assert mutation["outcome"] == "ok"
    assert mutation["detail"]["variables"]["input"]["origin"] == f"{order_id}/1"


def test_a_received_purchase_order_books_its_quantity_into_the_erp_stock_once(
    world: FlowWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="supplygraph.flows")
    sku, _, _ = stock_of(world, "P-1001")
    created = world.graphql(
        "mutation($input: PurchaseOrderInput!) { createPurchaseOrder(input: $input) { id } }",
        {"input": {"sku": sku, "quantity": 7, "reference": "test-receipt-1"}},
    )
    po_id = created["createPurchaseOrder"]["id"]
    world.graphql(
        'mutation($id: ID!) { receivePurchaseOrder(id: $id, warehouse: "Rotterdam") { status } }',
        {"id": po_id},
    )

    moves = eventually(
        lambda: world.erp_records(
            "stock.move", [["origin", "=", po_id]], ["product_code", "quantity", "origin"]
        )
    )
    assert moves == [
        {"id": moves[0]["id"], "product_code": "P-1001", "quantity": 7, "origin": po_id}
    ]

    # One structured line per step, naming the flow, the step and its outcome.
    def steps() -> list[tuple[str, str]]:
        return [
            (record.flow_step, record.outcome)
            for record in caplog.records
            if getattr(record, "flow", None) == "receipt-to-stock"
            and hasattr(record, "flow_step")
            and hasattr(record, "outcome")
        ]

    # The move exists in the ERP a moment before the gateway has its answer and logs it.
    eventually(lambda: ("mutation recordStockMove", "ok") in steps() or None)
    assert ("read", "ok") in steps()

    succeeded = {"flow": "receipt-to-stock", "outcome": "succeeded"}
    eventually(
        lambda: total(scrape(world.url), "supplygraph_flow_events_total", **succeeded) >= 1 or None
    )
    samples = scrape(world.url)
    assert total(samples, "supplygraph_flow_events_appended_total", system="scm") >= 2
    assert total(samples, "supplygraph_flow_lag_seconds_count", flow="receipt-to-stock") >= 1


def test_a_re_delivered_event_changes_nothing_upstream(world: FlowWorld) -> None:
    sku, promised, on_order = stock_of(world, "P-1001")
    order_id = place_order(world, [("P-1001", promised + on_order + 20)])
    [production] = eventually(lambda: world.productions_of(order_id))
    eventually(
        lambda: [
            po for po in world.purchase_orders_of(sku) if po["reference"] == production["name"]
        ]
    )
    pos_before = world.purchase_orders_of(sku)
    creates_before = world.erp_calls("mrp.production.create")

    # The same change announced again, under new event ids (a replayed feed, a second sender).
    resent: list[tuple[str, str, list[str], dict[str, Any]]] = [
        ("crm", "order.updated", [order_id], {"resent": True}),
        ("erp", "production.updated", [order_id], {"ids": [production["id"]], "resent": True}),
    ]
    for system, event, keys, data in resent:
        send_event(world, system, event, keys, data)
    for flow in ("order-to-production", "production-to-purchasing"):
        eventually(partial(resent_runs, world, flow))

    # The flow did ask the ERP again; the origin made it answer the existing order.
    assert world.erp_calls("mrp.production.create") == creates_before + 1
    assert world.productions_of(order_id) == [production]
    assert world.purchase_orders_of(sku) == pos_before


def resent_runs(world: FlowWorld, flow: str) -> list[dict[str, Any]]:
    return [
        run
        for run in world.flow_runs(flow)
        if run["event"]["data"].get("resent") and run["status"] in ("succeeded", "skipped")
    ]


def send_event(
    world: FlowWorld, system: str, event: str, keys: list[str], data: dict[str, Any]
) -> None:
    import hashlib
    import hmac
    import json
    import uuid

    import httpx

    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "event": event,
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": keys,
            "data": data,
        }
    ).encode()
    digest = hmac.new(f"{system}-webhook-secret".encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{world.url}/webhooks/{system}",
        content=body,
        headers={"X-Signature": f"sha256={digest}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 202, response.text


def erp_write(world: FlowWorld, production_id: int, values: dict[str, Any]) -> None:
    import httpx

    response = httpx.post(
        f"{world.sims.erp_url}/jsonrpc",
        headers={"X-Api-Key": world.sims.config.erp_api_key},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {
                "model": "mrp.production",
                "method": "write",
                "ids": [production_id],
                "values": values,
            },
        },
        timeout=30,
    )
    assert response.json().get("result") is True, response.text


def test_a_smaller_then_cancelled_production_plan_reduces_then_cancels_its_purchase_order(
    world: FlowWorld,
) -> None:
    sku, promised, on_order = stock_of(world, "P-1001")
    order_id = place_order(world, [("P-1001", promised + on_order + 30)])
    [production] = eventually(lambda: world.productions_of(order_id))

    def purchase() -> dict[str, Any] | None:
        found = [
            po for po in world.purchase_orders_of(sku) if po["reference"] == production["name"]
        ]
        return found[0] if found else None

    assert eventually(purchase)["quantity"] == 30

    erp_write(world, production["id"], {"product_qty": production["product_qty"] - 10})
    eventually(lambda: purchase() if purchase()["quantity"] == 20 else None)  # type: ignore[index]

    erp_write(world, production["id"], {"state": "cancel"})
    cancelled = eventually(lambda: purchase() if purchase()["status"] == "cancelled" else None)  # type: ignore[index]
    assert cancelled["reference"] == production["name"]
    assert (
        len([po for po in world.purchase_orders_of(sku) if po["reference"] == production["name"]])
        == 1
    )


def test_flow_runs_are_paged_newest_first(world: FlowWorld) -> None:
    query = """query($after: String) { flowRuns(first: 2, after: $after) {
      edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    first = world.graphql(query)["flowRuns"]
    assert first["pageInfo"]["hasNextPage"]
    second = world.graphql(query, {"after": first["pageInfo"]["endCursor"]})["flowRuns"]
    ids = [edge["node"]["id"] for edge in first["edges"] + second["edges"]]
    assert len(ids) == len(set(ids)) == 4
    assert ids == sorted(ids, key=lambda run_id: tuple(map(int, run_id.split("-"))), reverse=True)
