"""Bearer tokens: who may see what (contracts README, "Who may see what")."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from tests.gateway_fixtures import JWT_SECRET

STAFF_SCOPES = "crm:read erp:read scm:read orders:write"


def token(scopes: str = STAFF_SCOPES, **claims: Any) -> str:
    return issue_token(JWT_SECRET, "tester", scopes, **claims)


def ask(
    url: str, query: str, bearer: str | None, variables: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def codes_by_path(body: dict[str, Any]) -> dict[str, str]:
    return {
        ".".join(str(p) for p in error["path"]): error["extensions"]["code"]
        for error in body.get("errors", [])
    }


@pytest.mark.parametrize(
    "bearer",
    [
        None,
        "not-a-jwt",
        issue_token("another-secret-entirely-32-bytes-long", "x", STAFF_SCOPES),
        issue_token(JWT_SECRET, "x", STAFF_SCOPES, now=time.time() - 7200, lifetime_s=60),
    ],
    ids=["missing", "garbage", "wrong-signature", "expired"],
)
def test_requests_without_a_valid_token_get_401_and_no_data(secured_gateway_url, bearer):
    response = ask(secured_gateway_url, '{ order(id: "SO-100001") { id } }', bearer)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_token_without_the_erp_scope_gets_crm_fields_and_forbidden_erp_fields(
    secured_gateway_url,
):
    response = ask(
        secured_gateway_url,
        '{ order(id: "SO-100001") { id productionPlans { state } margin { amount } } }',
        token("crm:read scm:read"),
    )
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["order"] == {"id": "SO-100001", "productionPlans": None, "margin": None}
    assert codes_by_path(body) == {
        "order.productionPlans": "FORBIDDEN",
        "order.margin": "FORBIDDEN",
    }


def test_a_customer_token_sees_its_own_order_and_what_joins_to_it(secured_gateway_url, upstream):
    order = upstream.orders(["SO-100001"])["SO-100001"]
    customer_token = token(
        STAFF_SCOPES.replace(" orders:write", ""), customer_id=order["customer_id"]
    )
    body = ask(
        secured_gateway_url,
        """{ orderTracking(orderId: "SO-100001") { stage order { customer { id } } }
             order(id: "SO-100001") { lines { product { name availableToPromise } }
                                      shipments { status } invoices { number } } }""",
        customer_token,
    ).json()
    assert body.get("errors") is None
    assert body["data"]["orderTracking"]["order"]["customer"]["id"] == order["customer_id"]


def test_a_customer_token_never_sees_another_customers_data(secured_gateway_url, upstream):
    order = upstream.orders(["SO-100001"])["SO-100001"]
    other = "C-000001" if order["customer_id"] != "C-000001" else "C-000002"
    body = ask(
        secured_gateway_url,
        """query($c: ID!) { order(id: "SO-100001") { id }
             orderTracking(orderId: "SO-100001") { stage }
             customer(id: $c) { id } orders(ids: ["SO-100001"]) { id } }""",
        token(STAFF_SCOPES, customer_id=other),
        {"c": order["customer_id"]},
    ).json()
    assert body["data"] == {
        "order": None,
        "orderTracking": None,
        "customer": None,
        "orders": [None],
    }
    # Not FORBIDDEN: that would confirm the ids exist (test_unknown_or_foreign.py).
    assert set(codes_by_path(body).values()) == {"NOT_FOUND"}


def test_a_customer_token_never_sees_costs_margin_purchase_orders_or_the_customer_list(
    secured_gateway_url, upstream
):
    order = upstream.orders(["SO-100001"])["SO-100001"]
    body = ask(
        secured_gateway_url,
        """{ order(id: "SO-100001") { id margin { amount }
               lines { product { name standardCost { amount } openPurchaseOrders { id } } } } }""",
        token(STAFF_SCOPES, customer_id=order["customer_id"]),
    ).json()
    assert body["data"]["order"]["id"] == "SO-100001"
    assert body["data"]["order"]["margin"] is None
    for line in body["data"]["order"]["lines"]:
        assert line["product"]["standardCost"] is None
        assert line["product"]["openPurchaseOrders"] is None
        assert line["product"]["name"]
    assert set(codes_by_path(body).values()) == {"FORBIDDEN"}

    listing = ask(
        secured_gateway_url,
        "{ customers(first: 2) { edges { node { id } } } }",
        token(STAFF_SCOPES, customer_id=order["customer_id"]),
    ).json()
    # customers is non-null in the contract, so its null takes the whole data with it.
    assert listing["data"] is None
    assert codes_by_path(listing) == {"customers": "FORBIDDEN"}


def test_mutations_need_the_orders_write_scope(secured_gateway_url):
    body = ask(
        secured_gateway_url,
        'mutation { cancelOrder(id: "SO-100001") { id } }',
        token("crm:read erp:read scm:read"),
    ).json()
    assert body["data"] is None
    assert codes_by_path(body) == {"cancelOrder": "FORBIDDEN"}


def test_a_customer_token_may_not_place_an_order_for_another_customer(secured_gateway_url):
    body = ask(
        secured_gateway_url,
        """mutation { placeOrder(input: {customerId: "C-000002",
             lines: [{productCode: "P-1001", quantity: 1}]}) { order { id } } }""",
        token(STAFF_SCOPES, customer_id="C-000001"),
    ).json()
    assert body["data"] is None
    assert codes_by_path(body) == {"placeOrder": "FORBIDDEN"}
