from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    SupplyGraphError,
    UpstreamBadResponse,
    UpstreamRejected,
)
from tests.resolvers.fakes import SCM_TOKEN, FakeUpstream, json_response
from tests.resolvers.samples import (
    scm_purchase_order,
    scm_shipment,
    scm_stock_level,
    scm_supplier,
)


def graphql_data(root_field: str, items: list[dict[str, Any]]) -> httpx.Response:
    return json_response({"data": {root_field: items}})


def variables_of(request: httpx.Request) -> dict[str, Any]:
    variables: dict[str, Any] = json.loads(request.content)["variables"]
    return variables


def stock_answering_every_sku(request: httpx.Request) -> httpx.Response:
    return graphql_data("stockLevels", [scm_stock_level(s) for s in variables_of(request)["skus"]])


async def test_stock_levels_post_a_graphql_query_with_the_skus_as_variables(scm_for):
    upstream = FakeUpstream(stock_answering_every_sku)
    await scm_for(upstream).stock_levels(["SKU-1", "SKU-2"])

    (request,) = upstream.requests
    assert request.method == "POST"
    assert request.url.path == "/prefix/graphql"
    assert request.headers["Authorization"] == f"Bearer {SCM_TOKEN}"
    body = json.loads(request.content)
    assert body["variables"] == {"skus": ["SKU-1", "SKU-2"]}
    assert "stockLevels(skus: $skus)" in body["query"]
    assert "SKU-1" not in body["query"]


async def test_stock_levels_list_every_warehouse_per_sku_and_every_requested_sku(scm_for):
    upstream = FakeUpstream(
        lambda request: graphql_data(
            "stockLevels",
            [scm_stock_level("SKU-1", warehouse="HAM"), scm_stock_level("SKU-1", warehouse="MUC")],
        )
    )
    levels = await scm_for(upstream).stock_levels(["SKU-1", "SKU-2"])

    assert [level.warehouse for level in levels["SKU-1"]] == ["HAM", "MUC"]
    assert levels["SKU-2"] == []
    level = levels["SKU-1"][0]
    assert (level.on_hand, level.reserved, level.in_transit, level.reorder_point) == (
        120,
        20,
        5,
        50,
    )
    assert level.updated_at == datetime(2026, 11, 25, 10, tzinfo=UTC)


async def test_six_hundred_skus_cost_three_scm_calls_of_at_most_two_hundred_fifty(
    scm_for, call_log
):
    upstream = FakeUpstream(stock_answering_every_sku)
    levels = await scm_for(upstream).stock_levels([f"SKU-{n}" for n in range(600)])

    assert len(levels) == 600
    sizes = sorted(len(variables_of(r)["skus"]) for r in upstream.requests)
    assert sizes == [100, 250, 250]
    assert call_log.count("scm", "stockLevels") == 3


async def test_shipments_of_orders_are_grouped_by_order_ref_with_their_events(scm_for):
    upstream = FakeUpstream(
        lambda request: graphql_data(
            "shipmentsByOrder",
            [scm_shipment("SO-1", "T-1"), scm_shipment("SO-1", "T-2", eta=None)],
        )
    )
    shipments = await scm_for(upstream).shipments_by_order_refs(["SO-1", "SO-2"])

    assert [s.tracking_number for s in shipments["SO-1"]] == ["T-1", "T-2"]
    assert shipments["SO-2"] == []
    first = shipments["SO-1"][0]
    assert first.eta == datetime(2026, 11, 26, 17, tzinfo=UTC)
    assert first.delivered_at is None
    assert first.events[0].status == "PICKED_UP"
    assert first.events[0].at.tzinfo is UTC
    assert shipments["SO-1"][1].eta is None
    assert variables_of(upstream.requests[0]) == {"orderRefs": ["SO-1", "SO-2"]}


async def test_two_hundred_one_order_refs_cost_three_calls_of_at_most_one_hundred(scm_for):
    upstream = FakeUpstream(lambda request: graphql_data("shipmentsByOrder", []))
    await scm_for(upstream).shipments_by_order_refs([f"SO-{n}" for n in range(201)])

    sizes = sorted(len(variables_of(r)["orderRefs"]) for r in upstream.requests)
    assert sizes == [1, 100, 100]


async def test_shipments_are_found_by_tracking_number(scm_for):
    upstream = FakeUpstream(
        lambda request: graphql_data("shipments", [scm_shipment(tracking_number="T-1")])
    )
    shipments = await scm_for(upstream).shipments_by_tracking_numbers(["T-1", "T-404"])

    assert list(shipments) == ["T-1"]
    body = upstream.json_bodies()[0]
    assert body["variables"] == {"trackingNumbers": ["T-1", "T-404"]}
    assert "shipments(trackingNumbers: $trackingNumbers)" in body["query"]


async def test_suppliers_are_found_by_id(scm_for):
    upstream = FakeUpstream(lambda request: graphql_data("suppliers", [scm_supplier("SUP-1")]))
    suppliers = await scm_for(upstream).suppliers_by_ids(["SUP-1", "SUP-1"])

    assert suppliers["SUP-1"].on_time_rate == 0.97
    assert suppliers["SUP-1"].lead_time_days == 14
    assert variables_of(upstream.requests[0]) == {"ids": ["SUP-1"]}


async def test_purchase_orders_ask_for_open_ones_by_default_and_map_cost_to_decimal(scm_for):
    upstream = FakeUpstream(
        lambda request: graphql_data("purchaseOrders", [scm_purchase_order("SKU-1")])
    )
    orders = await scm_for(upstream).purchase_orders(["SKU-1", "SKU-2"])

    assert orders["SKU-1"][0].unit_cost == Decimal("61.2")
    assert orders["SKU-1"][0].expected_at == datetime(2026, 12, 10, tzinfo=UTC)
    assert orders["SKU-2"] == []
    assert variables_of(upstream.requests[0]) == {"skus": ["SKU-1", "SKU-2"], "openOnly": True}


async def test_purchase_orders_of_every_status_send_open_only_false(scm_for):
    upstream = FakeUpstream(lambda request: graphql_data("purchaseOrders", []))
    await scm_for(upstream).purchase_orders(["SKU-1"], open_only=False)

    assert variables_of(upstream.requests[0])["openOnly"] is False


async def test_no_skus_cost_no_scm_call(scm_for):
    upstream = FakeUpstream(stock_answering_every_sku)
    client = scm_for(upstream)

    assert await client.stock_levels([]) == {}
    assert await client.purchase_orders([""]) == {}
    assert await client.suppliers_by_ids([]) == {}
    assert await client.shipments_by_tracking_numbers([]) == {}
    assert upstream.requests == []


async def test_a_graphql_errors_array_is_an_upstream_rejection_with_its_code(scm_for):
    upstream = FakeUpstream(
        lambda request: json_response(
            {
                "data": None,
                "errors": [
                    {"message": "too many skus", "extensions": {"code": "LIMIT_EXCEEDED"}},
                    {"message": "another"},
                ],
            }
        )
    )
    with pytest.raises(UpstreamRejected) as caught:
        await scm_for(upstream).stock_levels(["SKU-1"])

    assert caught.value.system == "scm"
    assert "LIMIT_EXCEEDED: too many skus" in caught.value.message
    assert "1 more" in caught.value.message


def refusing(code: str) -> FakeUpstream:
    return FakeUpstream(
        lambda request: json_response(
            {"data": None, "errors": [{"message": "no", "extensions": {"code": code}}]}
        )
    )


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        ("NOT_FOUND", NotFoundError),
        ("CONFLICT", ConflictError),
        ("INVALID", InputValidationError),
        ("LIMIT_EXCEEDED", UpstreamRejected),
    ],
)
async def test_a_refused_mutation_is_the_gateway_error_of_its_code_and_sent_once(
    scm_for, code: str, error_type: type[SupplyGraphError]
):
    upstream = refusing(code)

    with pytest.raises(error_type):
        await scm_for(upstream).receive_purchase_order("PO-1", "WH-1")

    assert len(upstream.requests) == 1


async def test_a_query_refused_with_a_mutation_code_is_still_the_scms_refusal(scm_for):
    # NOT_FOUND from a query is the SCM refusing the document, not an unknown id: those
    # are simply absent from a list.
    with pytest.raises(UpstreamRejected):
        await scm_for(refusing("NOT_FOUND")).stock_levels(["SKU-1"])


@pytest.mark.parametrize(
    "body",
    [
        {"data": None},
        {"data": {"somethingElse": []}},
        {"data": {"stockLevels": {"sku": "SKU-1"}}},
        {"data": {"stockLevels": [scm_stock_level(onHand="many")]}},
        {"data": {"stockLevels": [{"sku": "SKU-1"}]}},
        {"errors": "bad"},
    ],
    ids=[
        "no-data",
        "wrong-root-field",
        "not-a-list",
        "wrong-type",
        "missing-fields",
        "errors-not-a-list",
    ],
)
async def test_a_graphql_answer_off_the_contract_is_a_bad_response(scm_for, body):
    upstream = FakeUpstream(lambda request: json_response(body))
    with pytest.raises(UpstreamBadResponse) as caught:
        await scm_for(upstream).stock_levels(["SKU-1"])
    assert caught.value.system == "scm"


@pytest.mark.parametrize(
    "broken",
    [
        scm_supplier(onTimeRate=10**400),
        scm_supplier(onTimeRate=True),
        scm_purchase_order(expectedAt="0001-01-01T00:00:00+01:00"),
    ],
    ids=["number-too-large", "boolean-for-number", "time-out-of-range"],
)
async def test_values_python_cannot_hold_are_bad_responses_not_crashes(scm_for, broken):
    root_field = "suppliers" if "onTimeRate" in broken else "purchaseOrders"
    upstream = FakeUpstream(lambda request: graphql_data(root_field, [broken]))
    client = scm_for(upstream)
    with pytest.raises(UpstreamBadResponse):
        if root_field == "suppliers":
            await client.suppliers_by_ids(["SUP-1"])
        else:
            await client.purchase_orders(["SKU-1"])
