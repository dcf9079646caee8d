"""Fields derived from several systems need the scopes of every one of them.

``orderTracking``'s stage, progress, estimatedDelivery and timeline are computed from the
ERP's production plans and the SCM's shipments beside the CRM's order: a ``crm:read``-only
token gets the tracked order and FORBIDDEN on each of them, never a value computed from
what it may not see. The class of the defect is checked from the systems' own counters: no
token makes the gateway call a system it has no scope for.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from tests.gateway_fixtures import JWT_SECRET, SimCounters

ORDER = "SO-100001"
READ_SCOPES = ("crm:read", "erp:read", "scm:read")
SYSTEM_OF_SCOPE = {"crm:read": "crm", "erp:read": "erp", "scm:read": "scm"}

TRACKING = """query($id: ID!) { orderTracking(orderId: $id) {
  order { id status } stage progress estimatedDelivery timeline { system label } } }"""

# As much of the graph as one request reaches, from every root a read token may use.
EVERYTHING = """query($id: ID!, $customer: ID!, $tracking: String!) {
  customer(id: $customer) { id name lifetimeValue { amount } account { creditLimit { amount } }
    orders(first: 3) { id lines { product { name availableToPromise } } } }
  order(id: $id) { id total { amount } customer { id }
    lines { quantity product { name listPrice { amount } inventory { warehouse onHand } } }
    productionPlans { state product { name } } shipments { status carrier } invoices { number } }
  orderTracking(orderId: $id) { order { id } stage progress estimatedDelivery
    timeline { system label } }
  shipment(trackingNumber: $tracking) { status order { id } }
  product(code: "P-1001") { name availableToPromise inventory { onHand } }
}"""


def ask(url: str, query: str, scopes: str, variables: dict[str, Any]) -> dict[str, Any]:
    bypassing = f"{scopes} cache:bypass"  # no-cache is honoured only with this scope
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        # Past the caches: every record this token's request needs is read upstream.
        headers={
            "Authorization": f"Bearer {issue_token(JWT_SECRET, 'derived', bypassing)}",
            "Cache-Control": "no-cache",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def requests_by_system(counters: SimCounters) -> dict[str, int]:
    return {system: int(stats["requests"]) for system, stats in counters.read().items()}


DERIVED = {
    "stage": "stage",
    "progress": "progress",
    "estimatedDelivery": "estimatedDelivery",
    "timeline": "timeline { system label }",
}


@pytest.mark.parametrize("field", list(DERIVED))
@pytest.mark.parametrize(
    "scopes", ["crm:read", "crm:read erp:read", "crm:read scm:read"], ids=lambda s: s or "none"
)
def test_a_derived_tracking_field_is_forbidden_without_every_scope_it_derives_from(
    secured_gateway_url, field, scopes
):
    query = (
        "query($id: ID!) { order(id: $id) { id } "
        f"orderTracking(orderId: $id) {{ order {{ id }} {DERIVED[field]} }} }}"
    )
    body = ask(secured_gateway_url, query, scopes, {"id": ORDER})
    [error] = body["errors"]
    assert error["path"] == ["orderTracking", field]
    assert error["extensions"]["code"] == "FORBIDDEN"
    lacking = " ".join(scope for scope in ("erp:read", "scm:read") if scope not in scopes)
    assert error["message"].endswith(f"the token lacks {lacking}")
    # What the token may see still comes; a non-null field's null takes its parent along.
    assert body["data"]["order"] == {"id": ORDER}
    nullable = field == "estimatedDelivery"
    expected = {"order": {"id": ORDER}, field: None} if nullable else None
    assert body["data"]["orderTracking"] == expected


def test_a_crm_only_token_still_gets_the_tracked_order_itself(secured_gateway_url):
    query = "query($id: ID!) { orderTracking(orderId: $id) { order { id status } } }"
    body = ask(secured_gateway_url, query, "crm:read", {"id": ORDER})
    assert "errors" not in body
    assert body["data"]["orderTracking"]["order"]["id"] == ORDER


def test_every_derived_tracking_field_answers_a_token_with_all_three_read_scopes(
    secured_gateway_url,
):
    body = ask(secured_gateway_url, TRACKING, " ".join(READ_SCOPES), {"id": ORDER})
    assert "errors" not in body
    tracking = body["data"]["orderTracking"]
    assert tracking["stage"] and tracking["timeline"] and tracking["progress"] is not None


def facts(upstream: Any) -> dict[str, str]:
    order = upstream.orders([ORDER])[ORDER]
    [shipment] = upstream.shipments_of_orders([ORDER])[:1]
    return {"id": ORDER, "customer": order["customer_id"], "tracking": shipment["trackingNumber"]}


@pytest.mark.parametrize(
    "scopes",
    ["crm:read", "erp:read", "scm:read", "crm:read erp:read", "crm:read scm:read", ""],
)
def test_no_token_makes_the_gateway_call_a_system_it_has_no_scope_for(
    secured_gateway_url, upstream, sim_counters, scopes
):
    variables = facts(upstream)
    before = requests_by_system(sim_counters)
    body = ask(secured_gateway_url, EVERYTHING, scopes, variables)
    after = requests_by_system(sim_counters)
    called = {system for system in after if after[system] > before[system]}
    allowed = {SYSTEM_OF_SCOPE[scope] for scope in scopes.split()}
    assert called <= allowed, (called, allowed, body.get("errors"))
    assert {error["extensions"]["code"] for error in body.get("errors", [])} <= {"FORBIDDEN"}


def test_a_token_with_every_read_scope_calls_all_three_systems_for_the_same_question(
    secured_gateway_url, upstream, sim_counters
):
    """The control of the test above: the question does reach every system."""
    variables = facts(upstream)
    before = requests_by_system(sim_counters)
    body = ask(secured_gateway_url, EVERYTHING, " ".join(READ_SCOPES), variables)
    after = requests_by_system(sim_counters)
    assert not body.get("errors"), body["errors"]
    assert all(after[system] > before[system] for system in ("crm", "erp", "scm"))
