"""The SCM simulator: the exact contract schema, each root field, limits and auth."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import build_schema, print_schema

from simulators.runner import RunningSimulators
from simulators.scm.schema import SCM_SDL
from tests.simulators.helpers import RFC3339_UTC, gql

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "scm.graphql"

SHIPMENT_FIELDS = """id trackingNumber orderRef carrier status shippedAt eta deliveredAt
    destinationCity destinationCountry events { at status location description }"""


@pytest.mark.skipif(not CONTRACT.exists(), reason="contracts not beside the project")
def test_the_schema_is_an_exact_copy_of_the_contract() -> None:
    assert CONTRACT.read_text() == SCM_SDL


def test_the_served_schema_is_the_contract_schema(scm: httpx.Client) -> None:
    from graphql import build_client_schema, get_introspection_query

    result = gql(scm, get_introspection_query())
    served = build_client_schema(result["data"])
    assert print_schema(served) == print_schema(build_schema(SCM_SDL))


def test_stock_levels_have_one_entry_per_warehouse_and_leave_unknown_skus_out(
    scm: httpx.Client, simulators: RunningSimulators
) -> None:
    result = gql(
        scm,
        """query($skus: [String!]!) { stockLevels(skus: $skus) {
            sku warehouse onHand reserved inTransit reorderPoint updatedAt } }""",
        {"skus": ["SKU-1001-A", "SKU-NOPE"]},
    )
    levels = result["data"]["stockLevels"]
    expected = simulators.dataset.stock_by_sku["SKU-1001-A"]
    assert [(lv["sku"], lv["warehouse"]) for lv in levels] == [
        (e.sku, e.warehouse) for e in expected
    ]
    assert all(RFC3339_UTC.match(lv["updatedAt"]) for lv in levels)
    assert "errors" not in result


def test_shipments_by_order_list_every_parcel_with_events_oldest_first(
    scm: httpx.Client, simulators: RunningSimulators
) -> None:
    shipped = [o.id for o in simulators.dataset.orders.values() if o.status == "shipped"][:5]
    result = gql(
        scm,
        f"""query($refs: [String!]!) {{ shipmentsByOrder(orderRefs: $refs) {{
            {SHIPMENT_FIELDS} }} }}""",
        {"refs": [*shipped, "SO-999999"]},
    )
    shipments = result["data"]["shipmentsByOrder"]
    assert {s["orderRef"] for s in shipments} == set(shipped)
    for shipment in shipments:
        times = [event["at"] for event in shipment["events"]]
        assert times == sorted(times) and all(RFC3339_UTC.match(t) for t in times)
        assert shipment["status"] != "DELIVERED" and shipment["deliveredAt"] is None
        assert shipment["events"][-1]["status"] == shipment["status"]


def test_delivered_shipments_have_a_delivery_time(
    scm: httpx.Client, simulators: RunningSimulators
) -> None:
    delivered = next(o.id for o in simulators.dataset.orders.values() if o.status == "delivered")
    result = gql(
        scm, f'{{ shipmentsByOrder(orderRefs: ["{delivered}"]) {{ status deliveredAt }} }}'
    )
    shipments = result["data"]["shipmentsByOrder"]
    assert shipments and all(s["status"] == "DELIVERED" for s in shipments)
    assert all(RFC3339_UTC.match(s["deliveredAt"]) for s in shipments)


def test_shipments_by_tracking_number_leave_unknown_numbers_out(
    scm: httpx.Client, simulators: RunningSimulators
) -> None:
    numbers = [s.tracking_number for s in simulators.dataset.shipments[:3]]
    result = gql(
        scm,
        "query($n: [String!]!) { shipments(trackingNumbers: $n) { trackingNumber orderRef } }",
        {"n": [*numbers, "NOPE"]},
    )
    assert [s["trackingNumber"] for s in result["data"]["shipments"]] == numbers


def test_suppliers_by_id_leave_unknown_ids_out(scm: httpx.Client) -> None:
    result = gql(
        scm,
        '{ suppliers(ids: ["SUP-001", "SUP-002", "SUP-999"]) '
        "{ id name country onTimeRate leadTimeDays } }",
    )
    suppliers = result["data"]["suppliers"]
    assert [s["id"] for s in suppliers] == ["SUP-001", "SUP-002"]
    assert all(0 <= s["onTimeRate"] <= 1 and s["leadTimeDays"] > 0 for s in suppliers)


def test_purchase_orders_are_open_ones_unless_open_only_is_false(
    scm: httpx.Client, simulators: RunningSimulators
) -> None:
    skus = sorted(simulators.dataset.purchase_orders_by_sku)[:250]
    query = """query($skus: [String!]!, $open: Boolean) {
        defaults: purchaseOrders(skus: $skus) { status }
        chosen: purchaseOrders(skus: $skus, openOnly: $open) {
            id supplierId sku quantity unitCost expectedAt status } }"""
    result = gql(scm, query, {"skus": skus, "open": False})
    assert {po["status"] for po in result["data"]["defaults"]} == {"open"}
    every = result["data"]["chosen"]
    assert {po["status"] for po in every} == {"open", "received", "cancelled"}
    assert all(RFC3339_UTC.match(po["expectedAt"]) for po in every)
    assert all(isinstance(po["unitCost"], float) for po in every)


@pytest.mark.parametrize(
    ("field", "argument", "limit", "selection"),
    [
        ("stockLevels", "skus", 250, "sku"),
        ("purchaseOrders", "skus", 250, "id"),
        ("shipmentsByOrder", "orderRefs", 100, "id"),
        ("shipments", "trackingNumbers", 100, "id"),
        ("suppliers", "ids", 100, "id"),
    ],
)
def test_a_list_past_its_limit_is_a_limit_exceeded_error(
    scm: httpx.Client, field: str, argument: str, limit: int, selection: str
) -> None:
    list_type = "[ID!]!" if argument == "ids" else "[String!]!"
    query = f"query($k: {list_type}) {{ {field}({argument}: $k) {{ {selection} }} }}"

    def ask(count: int) -> dict[str, object]:
        return gql(scm, query, {"k": [f"KEY-{n}" for n in range(count)]})

    at_limit = ask(limit)
    assert "errors" not in at_limit and at_limit["data"] == {field: []}
    past = ask(limit + 1)
    assert past["data"] is None
    errors = past["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "LIMIT_EXCEEDED"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "scm-demo-token"])
def test_requests_without_the_right_bearer_token_get_401(
    simulators: RunningSimulators, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(
        f"{simulators.scm_url}/graphql",
        json={"query": '{ suppliers(ids: ["SUP-001"]) { id } }'},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


def test_a_query_against_the_schema_that_is_not_valid_is_a_graphql_error(
    scm: httpx.Client,
) -> None:
    result = gql(scm, "{ warehouses { name } }")
    assert result["errors"] and "data" not in result


def test_a_body_that_is_not_a_graphql_request_is_400(scm: httpx.Client) -> None:
    assert scm.post("/graphql", content=b"nope").status_code == 400
    assert scm.post("/graphql", json={"variables": {}}).status_code == 400
