"""Every root field against every kind of token: what the access table promises."""

from __future__ import annotations

import httpx
import pytest

from gateway.auth import issue_token
from tests.gateway_fixtures import JWT_SECRET

OWN_ORDER = "SO-100001"

ROOT_FIELDS = {
    "customer": '{ customer(id: "%(customer)s") { id } }',
    "customers": "{ customers(first: 1) { edges { node { id } } } }",
    "order": '{ order(id: "%(order)s") { id } }',
    "orders": '{ orders(ids: ["%(order)s"]) { id } }',
    "product": '{ product(code: "P-1001") { code } }',
    "products": '{ products(codes: ["P-1001"]) { code } }',
    "shipment": '{ shipment(trackingNumber: "%(tracking)s") { id } }',
    # The root only: its derived fields (stage, ...) need more (test_derived_access.py).
    "orderTracking": '{ orderTracking(orderId: "%(order)s") { order { id } } }',
    "orderList": "{ orderList(first: 1) { edges { node { id } } } }",
    "productList": "{ productList(first: 1) { edges { node { code } } } }",
    "financeSummary": """{ financeSummary(from: "2026-11-01T00:00:00Z",
        to: "2026-11-02T00:00:00Z") { total { orderCount } } }""",
}

# Which scope each root field needs; "staff" marks the fields no customer token may read.
NEEDS = {
    "customer": "crm:read",
    "customers": "crm:read staff",
    "order": "crm:read",
    "orders": "crm:read",
    "product": "erp:read",
    "products": "erp:read",
    "shipment": "scm:read",
    "orderTracking": "crm:read",
    "orderList": "crm:read staff",
    "productList": "erp:read",
    "financeSummary": "crm:read erp:read scm:read staff",
}

TOKENS = {
    "crm only": ("crm:read", False),
    "erp only": ("erp:read", False),
    "scm only": ("scm:read", False),
    "no scope": ("", False),
    "customer, all scopes": ("crm:read erp:read scm:read", True),
}


@pytest.fixture(scope="module")
def facts(upstream):
    order = upstream.orders([OWN_ORDER])[OWN_ORDER]
    [shipment] = upstream.shipments_of_orders([OWN_ORDER])[:1]
    return {
        "customer": order["customer_id"],
        "order": OWN_ORDER,
        "tracking": shipment["trackingNumber"],
    }


@pytest.mark.parametrize("token_kind", list(TOKENS))
@pytest.mark.parametrize("field", list(ROOT_FIELDS))
def test_each_root_field_answers_or_refuses_as_the_access_table_says(
    secured_gateway_url, facts, field, token_kind
):
    scopes, is_customer = TOKENS[token_kind]
    claims = {"customer_id": facts["customer"]} if is_customer else {}
    bearer = issue_token(JWT_SECRET, "matrix", scopes, **claims)
    response = httpx.post(
        f"{secured_gateway_url}/graphql",
        json={"query": ROOT_FIELDS[field] % facts},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 200
    body = response.json()
    needed = NEEDS[field].split()
    staff = "staff" in needed
    granted = set(scopes.split())
    allowed = granted >= set(needed) - {"staff"} and not (staff and is_customer)
    if allowed:
        assert not body.get("errors"), body
        assert body["data"][field] is not None
    else:
        codes = {error["extensions"]["code"] for error in body["errors"]}
        assert codes == {"FORBIDDEN"}
        assert body["data"] is None or body["data"][field] is None
