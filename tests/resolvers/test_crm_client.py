from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from core.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    UpstreamBadResponse,
)
from core.records import Address
from tests.resolvers.fakes import CRM_TOKEN, FakeUpstream, ids_param, json_response
from tests.resolvers.samples import crm_customer, crm_order


def customers_answering_every_id(request: httpx.Request) -> httpx.Response:
    ids = ids_param(request, "ids")
    return json_response({"records": [crm_customer(i) for i in ids], "missing": []})


async def test_customers_are_fetched_by_ids_under_the_path_prefix_with_the_bearer_token(crm_for):
    upstream = FakeUpstream(customers_answering_every_id)
    customers = await crm_for(upstream).customers_by_ids(["C-000001", "C-000002"])

    assert set(customers) == {"C-000001", "C-000002"}
    (request,) = upstream.requests
    assert request.method == "GET"
    assert request.url.path == "/prefix/crm/v1/customers"
    assert request.url.params["ids"] == "C-000001,C-000002"
    assert request.headers["Authorization"] == f"Bearer {CRM_TOKEN}"


async def test_a_customer_is_mapped_to_a_typed_record(crm_for):
    upstream = FakeUpstream(customers_answering_every_id)
    customer = (await crm_for(upstream).customers_by_ids(["C-000001"]))["C-000001"]

    assert customer.name == "Acme Tools GmbH"
    assert customer.phone is None
    assert customer.erp_account == "K10123"
    assert customer.shipping_address == Address("Hauptstr. 1", "Berlin", "10115", "DE")
    assert customer.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert customer.updated_at.tzinfo is not None


async def test_a_customer_without_optional_fields_maps_them_to_none(crm_for):
    bare = {
        k: v
        for k, v in crm_customer().items()
        if k in {"id", "name", "segment", "created_at", "updated_at"}
    }
    upstream = FakeUpstream(lambda request: json_response({"records": [bare]}))
    customer = (await crm_for(upstream).customers_by_ids(["C-000001"]))["C-000001"]

    assert customer.email is None
    assert customer.tier is None
    assert customer.erp_account is None
    assert customer.shipping_address is None


async def test_ids_the_crm_reports_missing_are_absent_from_the_result(crm_for):
    upstream = FakeUpstream(
        lambda request: json_response({"records": [crm_customer("C-1")], "missing": ["C-2"]})
    )
    customers = await crm_for(upstream).customers_by_ids(["C-1", "C-2"])

    assert list(customers) == ["C-1"]


async def test_two_hundred_fifty_customer_ids_cost_three_crm_calls_sent_concurrently(
    crm_for, call_log
):
    all_three_in_flight = asyncio.Barrier(3)

    async def answer(request: httpx.Request) -> httpx.Response:
        # Each call waits for the other two: this only finishes if all three are in flight.
        await asyncio.wait_for(all_three_in_flight.wait(), timeout=2)
        return customers_answering_every_id(request)

    upstream = FakeUpstream(answer)
    ids = [f"C-{n:06d}" for n in range(250)]
    customers = await crm_for(upstream).customers_by_ids(ids)

    assert len(customers) == 250
    sizes = sorted(len(ids_param(r, "ids")) for r in upstream.requests)
    assert sizes == [50, 100, 100]
    assert call_log.count("crm", "customers_by_ids") == 3


async def test_repeated_and_empty_ids_are_asked_for_once(crm_for):
    upstream = FakeUpstream(customers_answering_every_id)
    await crm_for(upstream).customers_by_ids(["C-1", "C-1", "", "C-2", "C-1"])

    (request,) = upstream.requests
    assert ids_param(request, "ids") == ["C-1", "C-2"]


async def test_no_ids_cost_no_call(crm_for):
    upstream = FakeUpstream(customers_answering_every_id)
    client = crm_for(upstream)

    assert await client.customers_by_ids([]) == {}
    assert await client.orders_by_ids(["", ""]) == {}
    assert await client.orders_by_customer_ids([]) == {}
    assert upstream.requests == []


async def test_a_customer_page_sends_limit_cursor_and_segment_and_returns_the_next_cursor(crm_for):
    upstream = FakeUpstream(
        lambda request: json_response(
            {"records": [crm_customer("C-1"), crm_customer("C-2")], "next_cursor": "abc"}
        )
    )
    page = await crm_for(upstream).customers_page(2, "xyz", "enterprise")

    assert [c.id for c in page.records] == ["C-1", "C-2"]
    assert page.next_cursor == "abc"
    assert dict(upstream.requests[0].url.params) == {
        "limit": "2",
        "cursor": "xyz",
        "segment": "enterprise",
    }


async def test_the_first_customer_page_sends_neither_cursor_nor_segment(crm_for):
    upstream = FakeUpstream(lambda request: json_response({"records": [], "next_cursor": None}))
    page = await crm_for(upstream).customers_page(50, None, None)

    assert page.records == ()
    assert page.next_cursor is None
    assert dict(upstream.requests[0].url.params) == {"limit": "50"}


async def test_a_page_larger_than_the_crm_allows_is_refused_before_any_call(crm_for):
    upstream = FakeUpstream(customers_answering_every_id)
    with pytest.raises(ValueError, match="limit"):
        await crm_for(upstream).customers_page(201, None, None)
    assert upstream.requests == []


async def test_an_order_maps_money_to_decimal_and_dates_to_dates(crm_for):
    upstream = FakeUpstream(
        lambda request: json_response({"records": [crm_order("SO-1")], "missing": []})
    )
    order = (await crm_for(upstream).orders_by_ids(["SO-1"]))["SO-1"]

    assert upstream.requests[0].url.path == "/prefix/crm/v1/orders"
    assert order.total == Decimal("258.00")
    assert str(order.lines[0].unit_price) == "129.00"
    assert order.lines[0].quantity == 2
    assert order.requested_date == date(2026, 12, 1)
    assert order.created_at == datetime(2026, 11, 20, 8, tzinfo=UTC)


async def test_three_hundred_order_ids_cost_three_calls_of_at_most_one_hundred(crm_for):
    def answer(request: httpx.Request) -> httpx.Response:
        return json_response({"records": [crm_order(i) for i in ids_param(request, "ids")]})

    upstream = FakeUpstream(answer)
    orders = await crm_for(upstream).orders_by_ids([f"SO-{n}" for n in range(300)])

    assert len(orders) == 300
    assert [len(ids_param(r, "ids")) for r in upstream.requests] == [100, 100, 100]


async def test_orders_of_customers_keep_newest_first_and_list_every_requested_customer(crm_for):
    records = [
        crm_order("SO-3", "C-1", created_at="2026-11-03T00:00:00Z"),
        crm_order("SO-2", "C-2"),
        crm_order("SO-1", "C-1", created_at="2026-11-01T00:00:00Z"),
    ]
    upstream = FakeUpstream(lambda request: json_response({"records": records}))
    orders = await crm_for(upstream).orders_by_customer_ids(["C-1", "C-2", "C-3"], "confirmed")

    assert [o.id for o in orders["C-1"]] == ["SO-3", "SO-1"]
    assert [o.id for o in orders["C-2"]] == ["SO-2"]
    assert orders["C-3"] == []
    assert dict(upstream.requests[0].url.params) == {
        "customer_ids": "C-1,C-2,C-3",
        "status": "confirmed",
    }


async def test_orders_of_customers_without_status_send_no_status(crm_for):
    upstream = FakeUpstream(lambda request: json_response({"records": []}))
    await crm_for(upstream).orders_by_customer_ids(["C-1"])

    assert "status" not in upstream.requests[0].url.params


async def test_one_hundred_twenty_customers_cost_three_order_calls_of_at_most_fifty(crm_for):
    upstream = FakeUpstream(lambda request: json_response({"records": []}))
    await crm_for(upstream).orders_by_customer_ids([f"C-{n}" for n in range(120)])

    sizes = sorted(len(ids_param(r, "customer_ids")) for r in upstream.requests)
    assert sizes == [20, 50, 50]


async def test_creating_an_order_posts_lines_and_requested_date(crm_for):
    upstream = FakeUpstream(lambda request: json_response(crm_order("SO-9"), status=201))
    order = await crm_for(upstream).create_order(
        "C-000001", [("P-1001", 2), ("P-2002", 1)], date(2026, 12, 1)
    )

    assert order.id == "SO-9"
    (request,) = upstream.requests
    assert request.method == "POST"
    assert request.url.path == "/prefix/crm/v1/orders"
    assert request.headers["Authorization"] == f"Bearer {CRM_TOKEN}"
    assert json.loads(request.content) == {
        "customer_id": "C-000001",
        "lines": [
            {"product_code": "P-1001", "quantity": 2},
            {"product_code": "P-2002", "quantity": 1},
        ],
        "requested_date": "2026-12-01",
    }


async def test_creating_an_order_without_requested_date_sends_null(crm_for):
    upstream = FakeUpstream(lambda request: json_response(crm_order(), status=201))
    await crm_for(upstream).create_order("C-1", [("P-1001", 1)], None)

    assert upstream.json_bodies()[0]["requested_date"] is None


async def test_a_rejected_order_raises_input_validation_error_with_the_crm_fields(crm_for):
    body = {
        "error": {
            "code": "VALIDATION",
            "message": "order is invalid",
            "fields": {"lines[0].product_code": "unknown product"},
        }
    }
    upstream = FakeUpstream(lambda request: json_response(body, status=422))
    with pytest.raises(InputValidationError) as caught:
        await crm_for(upstream).create_order("C-1", [("P-404", 1)], None)

    assert caught.value.message == "order is invalid"
    assert caught.value.fields == {"lines[0].product_code": "unknown product"}


async def test_a_rejected_order_with_an_unreadable_body_still_raises_input_validation_error(
    crm_for,
):
    upstream = FakeUpstream(lambda request: httpx.Response(422, text="nope"))
    with pytest.raises(InputValidationError) as caught:
        await crm_for(upstream).create_order("C-1", [("P-1", 1)], None)

    assert caught.value.fields == {}


async def test_cancelling_an_order_posts_to_its_cancel_path(crm_for):
    upstream = FakeUpstream(lambda request: json_response(crm_order("SO-1", status="cancelled")))
    order = await crm_for(upstream).cancel_order("SO-1")

    assert order.status == "cancelled"
    assert upstream.requests[0].method == "POST"
    assert upstream.requests[0].url.path == "/prefix/crm/v1/orders/SO-1/cancel"


async def test_an_order_id_is_escaped_in_the_cancel_path(crm_for):
    upstream = FakeUpstream(lambda request: json_response(crm_order("SO-1")))
    await crm_for(upstream).cancel_order("SO/1?x")

    assert upstream.requests[0].url.raw_path == b"/prefix/crm/v1/orders/SO%2F1%3Fx/cancel"


async def test_cancelling_an_unknown_order_raises_not_found(crm_for):
    body = {"error": {"code": "NOT_FOUND", "message": "no order SO-404"}}
    upstream = FakeUpstream(lambda request: json_response(body, status=404))
    with pytest.raises(NotFoundError, match="no order SO-404"):
        await crm_for(upstream).cancel_order("SO-404")


async def test_cancelling_a_shipped_order_raises_conflict(crm_for):
    body = {"error": {"code": "CONFLICT", "message": "already shipped"}}
    upstream = FakeUpstream(lambda request: json_response(body, status=409))
    with pytest.raises(ConflictError, match="already shipped"):
        await crm_for(upstream).cancel_order("SO-1")


@pytest.mark.parametrize(
    "broken",
    [
        {"name": "no id", "segment": "smb"},
        crm_customer(created_at="yesterday"),
        crm_customer(name=42),
        crm_customer(shipping_address="Berlin"),
    ],
    ids=["missing-required-fields", "bad-time", "wrong-type", "address-not-an-object"],
)
async def test_a_customer_that_breaks_the_contract_is_a_bad_response(crm_for, broken):
    upstream = FakeUpstream(lambda request: json_response({"records": [broken]}))
    with pytest.raises(UpstreamBadResponse) as caught:
        await crm_for(upstream).customers_by_ids(["C-1"])
    assert caught.value.system == "crm"


@pytest.mark.parametrize(
    "broken",
    [crm_order(total=258.0), crm_order(total="lots"), crm_order(lines=[{"line_no": 1}])],
    ids=["money-as-number", "money-not-decimal", "line-missing-fields"],
)
async def test_an_order_that_breaks_the_contract_is_a_bad_response(crm_for, broken):
    upstream = FakeUpstream(lambda request: json_response({"records": [broken]}))
    with pytest.raises(UpstreamBadResponse):
        await crm_for(upstream).orders_by_ids(["SO-1"])
