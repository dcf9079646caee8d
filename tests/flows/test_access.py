"""Who may see the flows' runs and make the flows' writes: staff with the write scopes
(and the flows' own service identity), never a customer's token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import (
    READ_SCOPES,
    Gateway,
    bearer,
    post_graphql,
    secured_settings,
    token,
)

CREATE_PLAN = """mutation { createProductionOrder(input: {productCode: "P-1001", quantity: 1,
  origin: "access-test"}) { id } }"""
RUNS = "{ flowRuns(first: 5) { edges { node { id } } } }"


@pytest.fixture(scope="module")
def gateway(simulators: RunningSimulators) -> Iterator[Gateway]:
    with Gateway(secured_settings(simulators)) as running:
        yield running


def codes(body: dict[str, object]) -> list[object]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [error["extensions"]["code"] for error in errors]


def test_a_customer_token_sees_no_flow_runs(gateway: Gateway) -> None:
    customer = token(f"{READ_SCOPES} erp:write scm:write", customer_id="C-000001")
    body = post_graphql(gateway.url, RUNS, headers=bearer(customer))
    assert codes(body) == ["FORBIDDEN"]


def test_staff_see_flow_runs(gateway: Gateway) -> None:
    body = post_graphql(gateway.url, RUNS, headers=bearer(token(READ_SCOPES)))
    assert "errors" not in body
    assert isinstance(body["data"]["flowRuns"]["edges"], list)


def test_a_write_to_the_erp_needs_the_erp_write_scope_and_makes_no_call_without_it(
    gateway: Gateway, sim_stats
) -> None:
    before = sim_stats("erp")["operations"].get("mrp.production.create", {}).get("calls", 0)
    staff_without = token(f"{READ_SCOPES} orders:write")
    body = post_graphql(gateway.url, CREATE_PLAN, headers=bearer(staff_without))
    assert codes(body) == ["FORBIDDEN"]
    assert "erp:write" in body["errors"][0]["message"]
    customer = token(f"{READ_SCOPES} erp:write", customer_id="C-000001")
    assert codes(post_graphql(gateway.url, CREATE_PLAN, headers=bearer(customer))) == ["FORBIDDEN"]
    after = sim_stats("erp")["operations"].get("mrp.production.create", {}).get("calls", 0)
    assert after == before
