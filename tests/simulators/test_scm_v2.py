"""The SCM's version 2 mutations: create, update and receive purchase orders, and webhooks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from simulators.clock import REFERENCE_NOW
from simulators.data.records import PurchaseOrder
from tests.simulators.conftest import Writers
from tests.simulators.helpers import gql
from tests.simulators.webhook_checks import assert_signed_in_contract_shape
from tests.simulators.webhook_receiver import ReceivedWebhook

PO_FIELDS = "id supplierId sku quantity unitCost expectedAt status reference"
CREATE = f"""mutation($input: PurchaseOrderInput!) {{
    createPurchaseOrder(input: $input) {{ {PO_FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $quantity: Int, $expectedAt: String) {{
    updatePurchaseOrder(id: $id, quantity: $quantity, expectedAt: $expectedAt) {{
        {PO_FIELDS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $warehouse: String!) {{
    receivePurchaseOrder(id: $id, warehouse: $warehouse) {{ {PO_FIELDS} }} }}"""
SKU = "SKU-1001-A"


def mutate(writers: Writers, query: str, **variables: Any) -> dict[str, Any]:
    result = gql(writers.scm, query, variables)
    assert "errors" not in result, result
    (answer,) = result["data"].values()
    assert isinstance(answer, dict)
    return answer


def error_code(writers: Writers, query: str, **variables: Any) -> str:
    result = gql(writers.scm, query, variables)
    assert result["data"] is None, result
    (error,) = result["errors"]
    code: str = error["extensions"]["code"]
    return code


def purchase_orders_of(writers: Writers, sku: str) -> list[dict[str, Any]]:
    result = gql(
        writers.scm,
        f"query($s: [String!]!) {{ purchaseOrders(skus: $s, openOnly: false) {{ {PO_FIELDS} }} }}",
        {"s": [sku]},
    )
    orders: list[dict[str, Any]] = result["data"]["purchaseOrders"]
    return orders


def on_hand(writers: Writers, sku: str) -> dict[str, int]:
    result = gql(
        writers.scm,
        "query($s: [String!]!) { stockLevels(skus: $s) { warehouse onHand } }",
        {"s": [sku]},
    )
    return {level["warehouse"]: level["onHand"] for level in result["data"]["stockLevels"]}


def an_open_purchase_order(writers: Writers) -> PurchaseOrder:
    return next(po for po in writers.simulators.dataset.purchase_orders if po.status == "open")


def scm_events(writers: Writers) -> list[ReceivedWebhook]:
    """Every SCM webhook sent so far; each is signed and in the contract's shape.

    Sorted by event name: they are sent concurrently, so they may arrive in any order.
    """
    writers.simulators.drain_webhooks()
    received = [w for w in writers.inbox.received if w.system == "scm"]
    for webhook in received:
        assert_signed_in_contract_shape(webhook)
    return sorted(received, key=lambda w: w.payload["event"])


# --- createPurchaseOrder -----------------------------------------------------------------
def test_creating_a_purchase_order_opens_one_from_the_skus_preferred_supplier(
    writers: Writers,
) -> None:
    before = purchase_orders_of(writers, SKU)
    created = mutate(writers, CREATE, input={"sku": SKU, "quantity": 40, "reference": "MO/90001"})
    preferred = before[0]["supplierId"]  # the sku's first purchase order names it
    assert created["supplierId"] == preferred
    assert (created["sku"], created["quantity"], created["status"]) == (SKU, 40, "open")
    assert created["reference"] == "MO/90001"
    assert created["id"] not in {po["id"] for po in before}
    lead_time = writers.simulators.dataset.suppliers[preferred].lead_time_days
    expected_at = datetime.fromisoformat(created["expectedAt"])
    assert expected_at >= REFERENCE_NOW + timedelta(days=lead_time)
    assert purchase_orders_of(writers, SKU) == [*before, created]


def test_creating_a_purchase_order_honours_a_given_supplier_and_expected_date(
    writers: Writers,
) -> None:
    created = mutate(
        writers,
        CREATE,
        input={
            "sku": SKU,
            "quantity": 5,
            "reference": "MO/90002",
            "supplierId": "SUP-007",
            "expectedAt": "2027-02-01T12:00:00Z",
        },
    )
    assert (created["supplierId"], created["expectedAt"]) == ("SUP-007", "2027-02-01T12:00:00Z")
    assert created["unitCost"] > 0


def test_creating_again_with_the_same_reference_returns_the_first_purchase_order(
    writers: Writers,
) -> None:
    first = mutate(writers, CREATE, input={"sku": SKU, "quantity": 10, "reference": "MO/90003"})
    again = mutate(writers, CREATE, input={"sku": SKU, "quantity": 99, "reference": "MO/90003"})
    assert again == first
    assert [po["reference"] for po in purchase_orders_of(writers, SKU)].count("MO/90003") == 1
    # Only the first call changed anything, so only it was announced.
    events = scm_events(writers)
    assert [(w.payload["event"], w.payload["data"].get("status")) for w in events] == [
        ("purchase_order.updated", "open"),
        ("stock.changed", None),
    ]


def test_a_created_purchase_order_is_announced_with_its_sku_status_and_id(
    writers: Writers,
) -> None:
    created = mutate(writers, CREATE, input={"sku": SKU, "quantity": 10, "reference": "MO/90004"})
    updated, stock = scm_events(writers)
    assert updated.payload["event"] == "purchase_order.updated"
    assert updated.payload["keys"] == [SKU]
    assert updated.payload["data"] == {"status": "open", "ids": [created["id"]]}
    assert (stock.payload["event"], stock.payload["keys"]) == ("stock.changed", [SKU])


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 0},
        {"quantity": -5},
        {"sku": "SKU-NOPE"},
        {"supplierId": "SUP-999"},
        {"expectedAt": "next tuesday"},
        {"expectedAt": "2027-02-01T12:00:00"},  # no zone
        {"reference": "  "},
    ],
)
def test_a_bad_purchase_order_input_is_invalid_and_creates_nothing(
    writers: Writers, change: dict[str, Any]
) -> None:
    before = purchase_orders_of(writers, SKU)
    given = {"sku": SKU, "quantity": 10, "reference": "MO/90005", **change}
    assert error_code(writers, CREATE, input=given) == "INVALID"
    assert purchase_orders_of(writers, SKU) == before
    assert scm_events(writers) == []


# --- updatePurchaseOrder -----------------------------------------------------------------
def test_updating_an_open_purchase_order_changes_its_quantity_and_date_and_announces_it(
    writers: Writers,
) -> None:
    po = an_open_purchase_order(writers)
    updated = mutate(writers, UPDATE, id=po.id, quantity=77, expectedAt="2027-03-01T00:00:00Z")
    assert (updated["quantity"], updated["expectedAt"]) == (77, "2027-03-01T00:00:00Z")
    assert updated["status"] == "open"
    assert next(p for p in purchase_orders_of(writers, po.sku) if p["id"] == po.id) == updated
    announced, stock = scm_events(writers)
    assert (announced.payload["keys"], announced.payload["data"]) == (
        [po.sku],
        {"status": "open", "ids": [po.id]},
    )
    assert (stock.payload["event"], stock.payload["keys"]) == ("stock.changed", [po.sku])


def test_updating_the_quantity_to_zero_cancels_and_a_cancelled_one_is_a_conflict(
    writers: Writers,
) -> None:
    po = an_open_purchase_order(writers)
    cancelled = mutate(writers, UPDATE, id=po.id, quantity=0)
    assert cancelled["status"] == "cancelled"
    (announced,) = [
        w for w in scm_events(writers) if w.payload["event"] == "purchase_order.updated"
    ]
    assert announced.payload["data"] == {"status": "cancelled", "ids": [po.id]}
    assert error_code(writers, UPDATE, id=po.id, quantity=5) == "CONFLICT"
    assert error_code(writers, RECEIVE, id=po.id, warehouse="Lyon") == "CONFLICT"


def test_updating_an_unknown_purchase_order_is_not_found(writers: Writers) -> None:
    assert error_code(writers, UPDATE, id="PO-999999", quantity=5) == "NOT_FOUND"


@pytest.mark.parametrize("change", [{"quantity": -1}, {"expectedAt": "soon"}])
def test_a_bad_update_is_invalid_and_changes_nothing(
    writers: Writers, change: dict[str, Any]
) -> None:
    po = an_open_purchase_order(writers)
    before = purchase_orders_of(writers, po.sku)
    assert error_code(writers, UPDATE, id=po.id, **change) == "INVALID"
    assert purchase_orders_of(writers, po.sku) == before


# --- receivePurchaseOrder ----------------------------------------------------------------
def test_receiving_a_purchase_order_raises_stock_in_that_warehouse_and_announces_it(
    writers: Writers,
) -> None:
    po = an_open_purchase_order(writers)
    stock_before = on_hand(writers, po.sku)
    warehouse = next(iter(stock_before))
    received = mutate(writers, RECEIVE, id=po.id, warehouse=warehouse)
    assert received["status"] == "received"
    assert on_hand(writers, po.sku) == {
        **stock_before,
        warehouse: stock_before[warehouse] + po.quantity,
    }
    announced, stock = scm_events(writers)
    assert announced.payload["data"] == {"status": "received", "ids": [po.id]}
    assert (stock.payload["event"], stock.payload["keys"]) == ("stock.changed", [po.sku])
    assert error_code(writers, RECEIVE, id=po.id, warehouse=warehouse) == "CONFLICT"


def test_receiving_into_a_warehouse_without_the_sku_adds_a_stock_level_there(
    writers: Writers,
) -> None:
    dataset = writers.simulators.dataset
    po = next(
        po
        for po in dataset.purchase_orders
        if po.status == "open" and len(dataset.stock_by_sku.get(po.sku, [])) < 4
    )
    stock_before = on_hand(writers, po.sku)
    warehouse = next(w for w in ("Rotterdam", "Leipzig", "Lyon", "Bilbao") if w not in stock_before)
    mutate(writers, RECEIVE, id=po.id, warehouse=warehouse)
    assert on_hand(writers, po.sku) == {**stock_before, warehouse: po.quantity}


def test_receiving_into_an_unknown_warehouse_is_invalid_and_an_unknown_id_not_found(
    writers: Writers,
) -> None:
    po = an_open_purchase_order(writers)
    assert error_code(writers, RECEIVE, id=po.id, warehouse="Atlantis") == "INVALID"
    assert error_code(writers, RECEIVE, id="PO-999999", warehouse="Lyon") == "NOT_FOUND"
    assert scm_events(writers) == []


# --- counters and faults -----------------------------------------------------------------
def test_each_mutation_counts_one_call_under_its_name(writers: Writers) -> None:
    created = mutate(writers, CREATE, input={"sku": SKU, "quantity": 10, "reference": "MO/90006"})
    mutate(writers, UPDATE, id=created["id"], quantity=12)
    mutate(writers, RECEIVE, id=created["id"], warehouse="Lyon")
    error_code(writers, UPDATE, id="PO-999999", quantity=1)
    stats = httpx.get(f"{writers.simulators.scm_url}/_sim/stats").json()
    assert {name: op["batch_sizes"] for name, op in stats["operations"].items()} == {
        "createPurchaseOrder": [1],
        "updatePurchaseOrder": [1, 1],
        "receivePurchaseOrder": [1],
    }


def test_a_mutation_meets_the_fault_knobs_and_changes_nothing(writers: Writers) -> None:
    url = writers.simulators.scm_url
    httpx.post(f"{url}/_sim/faults", json={"error_rate": 1.0}).raise_for_status()
    response = writers.scm.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {"input": {"sku": SKU, "quantity": 1, "reference": "X"}},
        },
    )
    assert response.status_code == 500
    httpx.post(f"{url}/_sim/faults", json={"error_rate": 0.0}).raise_for_status()
    assert all(po["reference"] != "X" for po in purchase_orders_of(writers, SKU))
