"""placeOrder and cancelOrder end to end, against the CRM simulator: validation, stock
warnings, Idempotency-Key, the cache entries a write drops, and the CRM's 404 and 409."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest

from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import (
    Gateway,
    bearer,
    crm_calls,
    crm_requests,
    order_with_status,
    post_graphql,
    restored_after,
    secured_settings,
    token,
    websocket_session,
)

PLACE = """mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status customer { id } lines { quantity } } warnings }
}"""
CANCEL = "mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }"
CUSTOMER_ORDERS = "query($id: ID!) { customer(id: $id) { orders { id status } } }"
ORDER_STATUS = "query($id: ID!) { order(id: $id) { id status } }"
CUSTOMER = "C-000002"

STAFF = bearer(token())


@pytest.fixture(scope="module")
def gateway(simulators: RunningSimulators) -> Iterator[Gateway]:
    with restored_after(simulators), Gateway(secured_settings(simulators)) as served:
        yield served


def order_input(
    quantity: int = 2, customer: str = CUSTOMER, code: str = "P-1001"
) -> dict[str, Any]:
    return {"customerId": customer, "lines": [{"productCode": code, "quantity": quantity}]}


def place(
    gateway: Gateway,
    order: dict[str, Any],
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    extra = {"Idempotency-Key": key} if key else {}
    return post_graphql(gateway.url, PLACE, {"input": order}, {**(headers or STAFF), **extra})


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def test_an_invalid_order_is_refused_with_a_message_per_field_and_nothing_is_created(
    gateway, simulators
):
    before = crm_calls(simulators, "orders.create")
    body = place(
        gateway,
        {
            "customerId": "C-999999",
            "lines": [
                {"productCode": "P-0000", "quantity": 1},
                {"productCode": "P-1001", "quantity": 0},
            ],
        },
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {
        "customerId": "unknown customer C-999999",
        "lines.0.productCode": "unknown product P-0000",
        "lines.1.quantity": "must be at least 1",
    }
    assert body["data"] is None
    assert crm_calls(simulators, "orders.create") == before


def test_an_order_without_lines_is_refused(gateway):
    body = place(gateway, {"customerId": CUSTOMER, "lines": []})
    assert body["errors"][0]["extensions"]["fields"] == {
        "lines": "an order needs at least one line"
    }


def test_a_line_over_available_to_promise_is_placed_with_a_warning_naming_the_product(gateway):
    stock = post_graphql(
        gateway.url, '{ product(code: "P-1001") { availableToPromise } }', {}, STAFF
    )
    promised = stock["data"]["product"]["availableToPromise"]
    body = place(gateway, order_input(quantity=promised + 1000))
    assert "errors" not in body
    placed = body["data"]["placeOrder"]
    assert placed["order"]["status"] == "CONFIRMED"
    assert placed["order"]["lines"] == [{"quantity": promised + 1000}]
    assert placed["warnings"] == [
        f"P-1001: quantity {promised + 1000} exceeds availableToPromise {promised}"
    ]


def test_an_order_within_stock_has_no_warning(gateway):
    placed = place(gateway, order_input(quantity=1))["data"]["placeOrder"]
    assert placed["warnings"] == []
    assert placed["order"]["customer"] == {"id": CUSTOMER}


def test_a_retry_with_the_same_idempotency_key_creates_one_order_and_answers_the_same(
    gateway, simulators
):
    key = uuid.uuid4().hex
    before = crm_calls(simulators, "orders.create")
    first = place(gateway, order_input(quantity=3), key)
    again = place(gateway, order_input(quantity=3), key)
    assert "errors" not in first
    assert again == first
    assert crm_calls(simulators, "orders.create") == before + 1


def test_concurrent_duplicates_while_the_first_is_in_flight_create_one_order(gateway, simulators):
    faults = f"{simulators.crm_url}/_sim/faults"
    httpx.post(faults, json={"latency_ms": 300}).raise_for_status()
    key = uuid.uuid4().hex
    before = crm_calls(simulators, "orders.create")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: place(gateway, order_input(4), key), range(4)))
    finally:
        httpx.post(faults, json={"latency_ms": 0}).raise_for_status()
    assert crm_calls(simulators, "orders.create") == before + 1
    order_ids = {answer["data"]["placeOrder"]["order"]["id"] for answer in answers}
    assert len(order_ids) == 1, answers


def test_two_users_with_the_same_idempotency_key_each_get_their_own_order(gateway, simulators):
    key = uuid.uuid4().hex
    before = crm_calls(simulators, "orders.create")
    alice = place(gateway, order_input(), key, bearer(token(subject="alice")))
    bob = place(gateway, order_input(), key, bearer(token(subject="bob")))
    assert crm_calls(simulators, "orders.create") == before + 2
    alice_id = alice["data"]["placeOrder"]["order"]["id"]
    assert alice_id != bob["data"]["placeOrder"]["order"]["id"]


def test_reusing_an_idempotency_key_for_another_order_is_a_conflict(gateway, simulators):
    key = uuid.uuid4().hex
    place(gateway, order_input(quantity=1), key)
    before = crm_calls(simulators, "orders.create")
    other = place(gateway, order_input(quantity=2), key)
    assert codes(other) == ["CONFLICT"]
    assert "different request" in other["errors"][0]["message"]
    assert crm_calls(simulators, "orders.create") == before


def test_a_refused_order_leaves_its_idempotency_key_free_for_the_corrected_one(gateway):
    key = uuid.uuid4().hex
    assert codes(place(gateway, order_input(quantity=0), key)) == ["BAD_USER_INPUT"]
    corrected = place(gateway, order_input(quantity=1), key)
    assert "errors" not in corrected


def test_an_unusable_idempotency_key_is_a_field_error(gateway):
    body = place(gateway, order_input(), "x" * 300)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Idempotency-Key" in body["errors"][0]["extensions"]["fields"]


def test_a_failed_create_is_not_retried_and_its_key_then_refuses_a_blind_repeat(
    gateway, simulators
):
    place(gateway, order_input(quantity=1))  # the customer is cached: the CRM sees the create only
    faults = f"{simulators.crm_url}/_sim/faults"
    key = uuid.uuid4().hex
    before = crm_requests(simulators)
    httpx.post(faults, json={"error_rate": 1.0}).raise_for_status()
    try:
        failed = place(gateway, order_input(quantity=1), key)
    finally:
        httpx.post(faults, json={"error_rate": 0.0}).raise_for_status()
    assert codes(failed) == ["UPSTREAM_UNAVAILABLE"]
    assert crm_requests(simulators) == before + 1  # the 500 was not retried
    # Whether the CRM created it is unknown: the same key must not create it again.
    repeated = place(gateway, order_input(quantity=1), key)
    assert codes(repeated) == ["CONFLICT"]
    assert "may or may not have taken effect" in repeated["errors"][0]["message"]
    assert crm_requests(simulators) == before + 1


def test_a_warm_order_list_of_the_customer_shows_the_new_order_right_after_place_order(
    gateway, simulators
):
    customer = "C-000003"
    post_graphql(gateway.url, CUSTOMER_ORDERS, {"id": customer}, STAFF)
    warm_before = crm_calls(simulators, "orders.by_customer_ids")
    warm = post_graphql(gateway.url, CUSTOMER_ORDERS, {"id": customer}, STAFF)
    assert crm_calls(simulators, "orders.by_customer_ids") == warm_before  # served warm

    placed = place(gateway, order_input(customer=customer))["data"]["placeOrder"]["order"]
    after = post_graphql(gateway.url, CUSTOMER_ORDERS, {"id": customer}, STAFF)
    ids = [order["id"] for order in after["data"]["customer"]["orders"]]
    assert ids[0] == placed["id"]  # newest first
    assert ids[1:] == [order["id"] for order in warm["data"]["customer"]["orders"]]


def test_cancel_order_cancels_and_the_cached_order_shows_it_at_once(gateway, simulators):
    order_id = order_with_status(simulators, "confirmed").id
    assert post_graphql(gateway.url, ORDER_STATUS, {"id": order_id}, STAFF)["data"]["order"] == {
        "id": order_id,
        "status": "CONFIRMED",
    }
    cancelled = post_graphql(gateway.url, CANCEL, {"id": order_id}, STAFF)
    assert cancelled["data"]["cancelOrder"] == {"id": order_id, "status": "CANCELLED"}
    again = post_graphql(gateway.url, ORDER_STATUS, {"id": order_id}, STAFF)
    assert again["data"]["order"]["status"] == "CANCELLED"


def test_cancelling_an_unknown_order_is_not_found(gateway):
    body = post_graphql(gateway.url, CANCEL, {"id": "SO-999999"}, STAFF)
    assert codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["path"] == ["cancelOrder"]
    assert body["data"] is None


def test_cancelling_a_shipped_order_is_a_conflict(gateway, simulators):
    order_id = order_with_status(simulators, "shipped").id
    body = post_graphql(gateway.url, CANCEL, {"id": order_id}, STAFF)
    assert codes(body) == ["CONFLICT"]
    assert order_id in body["errors"][0]["message"]


def test_a_customer_token_places_and_cancels_its_own_orders_only(gateway, simulators):
    own = bearer(token(customer_id=CUSTOMER))
    placed = place(gateway, order_input(), headers=own)["data"]["placeOrder"]["order"]
    cancelled = post_graphql(gateway.url, CANCEL, {"id": placed["id"]}, own)
    assert cancelled["data"]["cancelOrder"]["status"] == "CANCELLED"

    foreign = order_with_status(simulators, "confirmed", skip=1)
    assert foreign.customer_id != CUSTOMER
    refused = post_graphql(gateway.url, CANCEL, {"id": foreign.id}, own)
    # Another customer's order is NOT_FOUND to this token, as an unknown one is.
    assert codes(refused) == ["NOT_FOUND"]
    assert codes(place(gateway, order_input(customer="C-000004"), headers=own)) == ["FORBIDDEN"]


def test_writes_need_the_orders_write_scope(gateway):
    reader = bearer(token("crm:read erp:read scm:read"))
    assert codes(place(gateway, order_input(), headers=reader)) == ["FORBIDDEN"]


async def test_an_idempotency_key_on_a_websocket_handshake_does_not_stand_for_every_write(
    gateway, simulators
):
    before = crm_calls(simulators, "orders.create")
    async with websocket_session(gateway, token(), headers={"Idempotency-Key": "same"}) as ws:
        first = await ws.execute(GraphQLRequest(PLACE, variable_values={"input": order_input(1)}))
        second = await ws.execute(GraphQLRequest(PLACE, variable_values={"input": order_input(2)}))
    assert first["placeOrder"]["order"]["id"] != second["placeOrder"]["order"]["id"]
    assert crm_calls(simulators, "orders.create") == before + 2
