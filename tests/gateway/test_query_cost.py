"""The cost limit: ordinary dashboards pass, truly huge answers and costly batches do not.

Estimates use the assumed list sizes of ``schema/list_sizes.py``; what an answer really
holds is capped while it executes (``GATEWAY_MAX_ANSWER_FIELDS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import NO_CACHE, gateway_settings

# The sales dashboard: 50 customers with every level below them.
SALES_DASHBOARD = """query SalesDashboard {
  customers(first: 50) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name segment tier
      account { number creditLimit { amount currency } balanceDue { amount currency } }
      orders(first: 50) {
        id status createdAt requestedDate total { amount currency }
        lines {
          lineNo quantity unitPrice { amount currency } amount { amount currency }
          product {
            code name sku availableToPromise
            inventory { warehouse onHand reserved available belowReorderPoint }
          }
        }
        productionPlans { reference state quantity plannedStart plannedFinish workcenter }
        shipments { trackingNumber carrier status eta deliveredAt }
      }
    } }
  }
}"""

# Each customer's orders' customer's orders' ...: 200 x ~10 x ~10 x ~10 orders, millions
# of fields, within the depth limit.
NESTED_ORDERS = """{ customers(first: 200) { edges { node { orders { customer { orders {
    customer { orders { lines { product { inventory { available } } } } } } } } } } } }"""

# About 32,000 estimated fields: ten of them are more than one request may cost.
CUSTOMER_ORDERS_PAGE = """query Page($after: String) {
  customers(first: 100, after: $after) { edges { node { id orders(first: 20) {
    id status total { amount currency } lines { lineNo quantity } } } } } }"""


def upstream_requests(sim_counters: Any) -> int:
    return sum(stats["requests"] for stats in sim_counters.read().values())


def test_the_sales_dashboard_over_50_customers_with_every_level_is_answered(
    http: httpx.Client, sim_counters: Any
):
    response = http.post("/graphql", json={"query": SALES_DASHBOARD}, headers=NO_CACHE)
    assert response.status_code == 200
    body = response.json()
    assert not body.get("errors"), body.get("errors")
    customers = [edge["node"] for edge in body["data"]["customers"]["edges"]]
    assert len(customers) == 50
    orders = [order for customer in customers for order in customer["orders"]]
    lines = [line for order in orders for line in order["lines"]]
    assert orders and lines
    assert any(line["product"] and line["product"]["inventory"] for line in lines)
    assert any(order["productionPlans"] for order in orders)
    assert any(order["shipments"] for order in orders)


def test_a_query_that_would_return_millions_of_fields_is_refused_before_any_upstream_call(
    graphql_response: Any, sim_counters: Any
):
    sim_counters.reset()
    body = graphql_response(NESTED_ORDERS)
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_REJECTED", "limit": "cost", "value": 250_000}
    assert upstream_requests(sim_counters) == 0


def test_a_batch_whose_operations_together_exceed_the_cost_limit_is_refused_whole(
    http: httpx.Client, sim_counters: Any
):
    sim_counters.reset()
    batch = [{"query": CUSTOMER_ORDERS_PAGE} for _ in range(10)]
    response = http.post("/graphql", json=batch)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_REJECTED", "limit": "cost", "value": 250_000}
    assert "whole request" in error["message"]
    assert upstream_requests(sim_counters) == 0


def test_a_batch_within_the_cost_limit_runs_every_operation(http: httpx.Client):
    batch = [{"query": CUSTOMER_ORDERS_PAGE} for _ in range(2)]
    response = http.post("/graphql", json=batch)
    assert response.status_code == 200
    answers = response.json()
    assert [len(answer["data"]["customers"]["edges"]) for answer in answers] == [100, 100]


@pytest.fixture(scope="module")
def capped_gateway(simulators: Any) -> Iterator[httpx.Client]:
    """Answers may hold 1,000 fields; customers are assumed to have 1 order each."""
    settings = gateway_settings(
        simulators, max_answer_fields=1_000, query_list_sizes={"Customer.orders": 1}
    )
    with (
        ThreadedServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


def test_an_answer_larger_than_the_cap_fails_whole_with_a_typed_code(capped_gateway):
    # Estimated at ~250 fields with one order per customer; about 1,300 in truth.
    query = "{ customers(first: 50) { edges { node { id name orders { id status } } } } }"
    response = capped_gateway.post("/graphql", json={"query": query})
    assert response.status_code == 200
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_REJECTED",
        "limit": "answer_fields",
        "value": 1_000,
    }


def test_a_batch_shares_one_answer_cap(capped_gateway):
    # ~600 fields each: either fits alone, both together do not.
    query = "{ customers(first: 20) { edges { node { id name orders { id status } } } } }"
    alone = capped_gateway.post("/graphql", json={"query": query}).json()
    assert not alone.get("errors")
    both = capped_gateway.post("/graphql", json=[{"query": query}, {"query": query}]).json()
    codes = {error["extensions"]["limit"] for answer in both for error in answer.get("errors", [])}
    assert codes == {"answer_fields"}


def test_an_answer_within_the_cap_is_whole(capped_gateway):
    body = capped_gateway.post("/graphql", json={"query": '{ order(id: "SO-100001") { id } }'})
    assert body.json() == {"data": {"order": {"id": "SO-100001"}}}
