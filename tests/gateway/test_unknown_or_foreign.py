"""A customer's token cannot tell another customer's ids from ids that do not exist, and a
token whose ``customer_id`` claim is empty or not a string is refused, never staff.

Each field that takes an order, customer or shipment id is asked twice with the same
customer token: once with an id of another customer, once with an id nobody has. The two
answers must be the same, byte for byte once the id itself is set aside.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from gateway.auth import issue_token
from tests.gateway_fixtures import JWT_SECRET

READ_AND_WRITE = "crm:read erp:read scm:read orders:write"
FOREIGN_ORDER = "SO-100001"
UNKNOWN_ORDER = "SO-999999"
UNKNOWN_CUSTOMER = "C-999999"
UNKNOWN_TRACKING = "TRK-DOES-NOT-EXIST"
PLACEHOLDER = "<the id asked for>"

QUERIES = {
    "order": ("query($id: ID!) { order(id: $id) { id status } }", "order"),
    "orders": ("query($id: ID!) { orders(ids: [$id]) { id } }", "order"),
    "orderTracking": ("query($id: ID!) { orderTracking(orderId: $id) { stage } }", "order"),
    "cancelOrder": ("mutation($id: ID!) { cancelOrder(id: $id) { id status } }", "order"),
    "customer": ("query($id: ID!) { customer(id: $id) { id name } }", "customer"),
    "shipment": (
        "query($id: String!) { shipment(trackingNumber: $id) { status } }",
        "shipment",
    ),
    "placeOrder": (
        """mutation($id: ID!) { placeOrder(input: {customerId: $id,
             lines: [{productCode: "P-1001", quantity: 1}]}) { order { id } } }""",
        "customer",
    ),
}


@pytest.fixture(scope="module")
def ids(upstream: Any) -> dict[str, Any]:
    """Ids of another customer than the asking token's, and ids nobody has."""
    order = upstream.orders([FOREIGN_ORDER])[FOREIGN_ORDER]
    [shipment] = upstream.shipments_of_orders([FOREIGN_ORDER])[:1]
    owner = order["customer_id"]
    asking = "C-000001" if owner != "C-000001" else "C-000002"
    return {
        "asking": asking,
        "foreign": {
            "order": FOREIGN_ORDER,
            "customer": owner,
            "shipment": shipment["trackingNumber"],
        },
        "unknown": {
            "order": UNKNOWN_ORDER,
            "customer": UNKNOWN_CUSTOMER,
            "shipment": UNKNOWN_TRACKING,
        },
    }


def ask(url: str, query: str, bearer: str, variables: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )


def answer_without(response: httpx.Response, asked: str) -> tuple[int, str]:
    """Status and body, with the id the client itself sent set aside."""
    return response.status_code, response.text.replace(asked, PLACEHOLDER)


@pytest.mark.parametrize("field", list(QUERIES))
def test_a_customer_token_gets_the_same_answer_for_another_customers_id_as_for_an_unknown_one(
    secured_gateway_url, ids, field
):
    query, kind = QUERIES[field]
    bearer = issue_token(JWT_SECRET, "probe", READ_AND_WRITE, customer_id=ids["asking"])
    foreign_id, unknown_id = ids["foreign"][kind], ids["unknown"][kind]
    foreign = ask(secured_gateway_url, query, bearer, {"id": foreign_id})
    unknown = ask(secured_gateway_url, query, bearer, {"id": unknown_id})
    assert answer_without(foreign, foreign_id) == answer_without(unknown, unknown_id)
    body = foreign.json()
    assert body["errors"], body
    codes = {error["extensions"]["code"] for error in body["errors"]}
    # placeOrder refuses another customer before reading anything: FORBIDDEN for both.
    assert codes == ({"FORBIDDEN"} if field == "placeOrder" else {"NOT_FOUND"})
    assert foreign.headers.get("x-cache") == unknown.headers.get("x-cache")
    assert foreign.headers.get("etag") == unknown.headers.get("etag")


def test_a_customer_tokens_cancel_of_another_customers_order_changes_nothing(
    secured_gateway_url, ids, upstream
):
    bearer = issue_token(JWT_SECRET, "probe", READ_AND_WRITE, customer_id=ids["asking"])
    before = upstream.orders([FOREIGN_ORDER])[FOREIGN_ORDER]["status"]
    query, _ = QUERIES["cancelOrder"]
    ask(secured_gateway_url, query, bearer, {"id": FOREIGN_ORDER})
    assert upstream.orders([FOREIGN_ORDER])[FOREIGN_ORDER]["status"] == before


def test_staff_still_get_null_without_an_error_for_an_unknown_order(secured_gateway_url):
    bearer = issue_token(JWT_SECRET, "staff", READ_AND_WRITE)
    query, _ = QUERIES["order"]
    body = ask(secured_gateway_url, query, bearer, {"id": UNKNOWN_ORDER}).json()
    assert body == {"data": {"order": None}}


def token_with_customer_claim(value: object) -> str:
    now = int(time.time())
    claims = {"sub": "app", "scope": READ_AND_WRITE, "exp": now + 600, "customer_id": value}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "value",
    ["", "   ", None, 42, ["C-000001"], {"id": "C-000001"}, False],
    ids=["empty", "blank", "null", "a number", "a list", "an object", "false"],
)
def test_a_customer_id_claim_that_is_empty_or_not_a_string_is_refused_never_staff(
    secured_gateway_url, value
):
    response = ask(
        secured_gateway_url,
        "{ customers(first: 1) { edges { node { id } } } }",
        token_with_customer_claim(value),
        {},
    )
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "customer_id" in error["message"]
