"""Root resolvers load their answer's joins a level at a time (``schema/prefetch.py``).

Through a real gateway over HTTP in front of the simulators: every join is asked for
before graphql-core reaches its field (settled, or for a small leaf level still in
flight), only what the query selects and the viewer may see is loaded, and the call
counts stay at the minimum.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from resolvers.loaders import RequestLoader
from tests.gateway_fixtures import JWT_SECRET, GraphQL, SimCounters

DASHBOARD = """{ customers(first: 50) { edges { node { id name orders {
    id status lines { quantity product { code inventory { available } } }
    productionPlans { state } shipments { status } } } } } }"""


class LateBuilds:
    """Counts the fields whose keys no prefetch had asked for (``count``: the prefetch
    missed them), and those that awaited keys still in flight (``in_flight``: a small
    leaf level, which the prefetch starts but does not wait for)."""

    def __init__(self) -> None:
        self.count = 0
        self.in_flight = 0

    def note(self, loader: RequestLoader[Any, Any], keys: list[Any]) -> None:
        if not all(loader.asked(key) for key in keys):
            self.count += 1
        elif not all(loader.peek(key)[0] for key in keys):
            self.in_flight += 1


@pytest.fixture
def late_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[LateBuilds]:
    counter = LateBuilds()
    build_now, build_many_now = RequestLoader.build_now, RequestLoader.build_many_now

    def counting_now(self: RequestLoader[Any, Any], key: Any, build: Any) -> Any:
        counter.note(self, [key])
        return build_now(self, key, build)

    def counting_many_now(self: RequestLoader[Any, Any], keys: list[Any], build: Any) -> Any:
        counter.note(self, keys)
        return build_many_now(self, keys, build)

    monkeypatch.setattr(RequestLoader, "build_now", counting_now)
    monkeypatch.setattr(RequestLoader, "build_many_now", counting_many_now)
    yield counter


def calls(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        operation: figures["calls"]
        for system in stats.values()
        for operation, figures in system["operations"].items()
        if figures["calls"]
    }


def test_every_join_of_the_dashboard_is_settled_before_its_field_resolves(
    uncached_graphql: GraphQL, late_builds: LateBuilds
) -> None:
    data = uncached_graphql(DASHBOARD)

    orders = [o for edge in data["customers"]["edges"] for o in edge["node"]["orders"]]
    assert len(orders) > 100
    assert any(o["productionPlans"] for o in orders) and any(o["shipments"] for o in orders)
    assert late_builds.count == 0


def test_a_join_left_out_by_include_false_costs_no_upstream_call(
    uncached_graphql: GraphQL, sim_counters: SimCounters
) -> None:
    query = """query ($plans: Boolean!, $noShipments: Boolean!) {
      orders(ids: ["SO-100001", "SO-100002"]) {
        id productionPlans @include(if: $plans) { state }
        ... @skip(if: $noShipments) { shipments { status } } } }"""
    sim_counters.reset()

    data = uncached_graphql(query, {"plans": False, "noShipments": True})

    assert [order["id"] for order in data["orders"]] == ["SO-100001", "SO-100002"]
    assert calls(sim_counters.read()) == {"orders.by_ids": 1}


def test_joins_named_inside_fragments_are_prefetched_once(
    uncached_graphql: GraphQL, sim_counters: SimCounters, late_builds: LateBuilds
) -> None:
    query = """
      fragment Shipping on Order { shipments { status order { id } } }
      query { orders(ids: ["SO-100001", "SO-100002", "SO-100003"]) { id ...Shipping } }"""
    sim_counters.reset()

    data = uncached_graphql(query)

    for order in data["orders"]:
        assert all(s["order"]["id"] == order["id"] for s in order["shipments"])
    # The shipments' orders are the ones already loaded: no second CRM call.
    assert calls(sim_counters.read()) == {"orders.by_ids": 1, "shipmentsByOrder": 1}
    assert late_builds.count == 0


def test_the_arguments_of_orders_bound_what_is_prefetched_below_them(
    uncached_graphql: GraphQL, sim_counters: SimCounters, late_builds: LateBuilds
) -> None:
    query = """{ customers(first: 6) { edges { node {
        orders(status: DELIVERED, first: 1) { status shipments { status } } } } } }"""
    sim_counters.reset()

    data = uncached_graphql(query)

    shown = [o for edge in data["customers"]["edges"] for o in edge["node"]["orders"]]
    assert shown and all(order["status"] == "DELIVERED" for order in shown)
    stats = sim_counters.read()
    shipments = stats["scm"]["operations"]["shipmentsByOrder"]
    # One order per customer at most: the batch holds no order the answer leaves out.
    assert shipments["calls"] == 1 and shipments["max_batch"] == len(shown) <= 6
    assert late_builds.count == 0


def test_a_join_the_viewer_may_not_see_is_not_fetched(
    secured_gateway_url: str, sim_counters: SimCounters
) -> None:
    bearer = issue_token(JWT_SECRET, "crm-only", "crm:read cache:bypass")
    sim_counters.reset()

    response = httpx.post(
        f"{secured_gateway_url}/graphql",
        json={"query": '{ order(id: "SO-100001") { id productionPlans { state } } }'},
        headers={"Authorization": f"Bearer {bearer}", "Cache-Control": "no-cache"},
    )

    body = response.json()
    assert body["data"]["order"] == {"id": "SO-100001", "productionPlans": None}
    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}
    assert "mrp.production.search_read" not in calls(sim_counters.read())


def test_tracking_asks_the_erp_and_the_scm_without_waiting_for_the_crm(
    uncached_graphql: GraphQL, sim_counters: SimCounters
) -> None:
    query = """query ($id: ID!) { orderTracking(orderId: $id) {
        stage timeline { label } order { customer { name } } } }"""
    sim_counters.reset()

    data = uncached_graphql(query, {"id": "SO-999999"})

    # The order is unknown, yet plans, invoices and shipments were asked for: they went
    # out beside the CRM call, keyed by the id the client gave, not after its answer.
    assert data["orderTracking"] is None
    assert calls(sim_counters.read()) == {
        "orders.by_ids": 1,
        "mrp.production.search_read": 1,
        "account.move.search_read": 1,
        "shipmentsByOrder": 1,
    }


def test_a_tracking_view_still_costs_one_call_per_system_operation(
    uncached_graphql: GraphQL, sim_counters: SimCounters, late_builds: LateBuilds
) -> None:
    query = """query ($id: ID!) { orderTracking(orderId: $id) {
        stage progress estimatedDelivery timeline { label }
        order { id customer { name } } } }"""
    sim_counters.reset()

    data = uncached_graphql(query, {"id": "SO-100010"})

    assert data["orderTracking"]["order"]["id"] == "SO-100010"
    assert calls(sim_counters.read()) == {
        "orders.by_ids": 1,
        "customers.by_ids": 1,
        "mrp.production.search_read": 1,
        "account.move.search_read": 1,
        "shipmentsByOrder": 1,
    }
    assert late_builds.count == 0


EVERY_JOIN = """{ customers(first: 3) { edges { node {
    account { number } lifetimeValue { amount }
    orders(first: 2) {
      customer { name } margin { amount } invoices { number }
      lines { product { code inventory { available } availableToPromise
                        openPurchaseOrders { supplier { name } } } }
      productionPlans { state product { code } order { id } }
      shipments { status order { id } }
    } } } } }"""


def test_every_join_below_a_root_is_prefetched(
    uncached_graphql: GraphQL, late_builds: LateBuilds
) -> None:
    data = uncached_graphql(EVERY_JOIN)

    customers = [edge["node"] for edge in data["customers"]["edges"]]
    orders = [order for customer in customers for order in customer["orders"]]
    assert orders and all(order["customer"]["name"] for order in orders)
    assert any(plan["product"] for order in orders for plan in order["productionPlans"])
    # A join added to the schema but not to schema/prefetch.py still answers, awaited:
    # this count is what tells.
    assert late_builds.count == 0


def test_a_small_last_level_is_still_in_flight_while_the_rest_is_completed(
    simulators: Any, uncached_graphql: GraphQL, sim_counters: SimCounters, late_builds: LateBuilds
) -> None:
    # Suppliers are an availability view's last level; with the SCM slow, they are
    # surely in flight when graphql-core reaches them, and their fields await them.
    query = """query ($codes: [ID!]!) { products(codes: $codes) {
        code inventory { available } openPurchaseOrders { quantity supplier { name } } } }"""
    faults = f"{simulators.scm_url}/_sim/faults"
    httpx.post(faults, json={"latency_ms": 100}).raise_for_status()
    sim_counters.reset()
    try:
        data = uncached_graphql(query, {"codes": [f"P-{1001 + n}" for n in range(10)]})
    finally:
        httpx.post(faults, json={"latency_ms": 0}).raise_for_status()

    purchases = [po for product in data["products"] for po in product["openPurchaseOrders"]]
    assert purchases and all(po["supplier"]["name"] for po in purchases)
    assert calls(sim_counters.read()) == {
        "product.product.search_read": 1,
        "stockLevels": 1,
        "purchaseOrders": 1,
        "suppliers": 1,
    }
    assert late_builds.count == 0
    assert late_builds.in_flight > 0


def test_the_finance_of_listed_orders_is_settled_before_its_field_resolves(
    uncached_graphql: GraphQL, monkeypatch: pytest.MonkeyPatch, late_builds: LateBuilds
) -> None:
    from schema.orders import Order

    awaited: list[str] = []
    finance_later = Order._finance_later

    async def counting(self: Order, loaders: Any) -> Any:
        awaited.append(self.record.id)
        return await finance_later(self, loaders)

    monkeypatch.setattr(Order, "_finance_later", counting)
    query = """{ orderList(createdFrom: "2026-06-01T00:00:00Z", first: 40) { edges { node {
        id finance { profit { amount } lines { costBasis } } lines { product { code } } } } } }"""

    data = uncached_graphql(query)

    assert len(data["orderList"]["edges"]) == 40
    assert awaited == []
    assert late_builds.count == 0


def test_a_join_with_nothing_selected_below_it_is_a_leaf_whatever_its_type(
    simulators: Any, uncached_graphql: GraphQL, sim_counters: SimCounters, late_builds: LateBuilds
) -> None:
    # Plans could have joins below them (product, order); none selected: a small leaf
    # level, only started, and with the ERP slow still in flight when its fields resolve.
    query = """{ orders(ids: ["SO-100001", "SO-100002", "SO-100003"]) {
        id productionPlans { state } } }"""
    faults = f"{simulators.erp_url}/_sim/faults"
    httpx.post(faults, json={"latency_ms": 100}).raise_for_status()
    sim_counters.reset()
    try:
        data = uncached_graphql(query)
    finally:
        httpx.post(faults, json={"latency_ms": 0}).raise_for_status()

    assert [order["id"] for order in data["orders"]] == ["SO-100001", "SO-100002", "SO-100003"]
    assert calls(sim_counters.read()) == {"orders.by_ids": 1, "mrp.production.search_read": 1}
    assert late_builds.count == 0
    assert late_builds.in_flight == 3
