"""The gateway asks each upstream as few times as the query's shape allows.

Counts come from the simulators' own call counters, so they count what really went over
the wire. The minimum for a query is one call per (system, operation) per level of the
query, plus one per extra chunk where a batch is larger than the upstream's limit.
"""

from __future__ import annotations

import math
from typing import Any

from tests.contract_client import ContractClient

LIMITS = {
    "customers.by_ids": 100,
    "orders.by_ids": 100,
    "orders.by_customer_ids": 50,
    "product.product.search_read": 200,
    "res.partner.search_read": 200,
    "mrp.production.search_read": 200,
    "account.move.search_read": 200,
    "stockLevels": 250,
    "purchaseOrders": 250,
    "shipmentsByOrder": 100,
    "shipments": 100,
    "suppliers": 100,
}

DASHBOARD = """{ customers(first: 50) { edges { node { id orders {
    id lines { product { code inventory { available } } }
    productionPlans { state } shipments { status } } } } } }"""


def calls_by_operation(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        op: figures["calls"]
        for system in stats.values()
        for op, figures in system["operations"].items()
        if figures["calls"]
    }


def assert_no_batch_over_its_limit(stats: dict[str, dict[str, Any]]) -> None:
    for system in stats.values():
        for op, figures in system["operations"].items():
            if op in LIMITS:
                assert figures["max_batch"] <= LIMITS[op], (op, figures["max_batch"])


def test_the_dashboard_costs_one_call_per_system_operation_and_level(
    uncached_graphql, sim_counters, upstream: ContractClient
):
    sim_counters.reset()
    data = uncached_graphql(DASHBOARD)
    stats = sim_counters.read()

    customers = [edge["node"] for edge in data["customers"]["edges"]]
    orders = [order for customer in customers for order in customer["orders"]]
    codes = {line["product"]["code"] for o in orders for line in o["lines"] if line["product"]}
    order_ids = [o["id"] for o in orders]
    products = upstream.search_read(
        "product.product", [["default_code", "in", sorted(codes)[:200]]], ["scm_sku"]
    ) + upstream.search_read(
        "product.product", [["default_code", "in", sorted(codes)[200:] or ["-"]]], ["scm_sku"]
    )
    skus = {p["scm_sku"] for p in products if p["scm_sku"]}
    plans_per_chunk_fits = all(
        len(upstream.search_read("mrp.production", [["sale_ref", "in", chunk]], ["id"])) < 500
        for chunk in (order_ids[i : i + 200] for i in range(0, len(order_ids), 200))
    )
    assert plans_per_chunk_fits, "the data would need ERP paging; adjust the expectation"

    assert calls_by_operation(stats) == {
        "customers.page": 1,
        "orders.by_customer_ids": 1,
        "product.product.search_read": math.ceil(len(codes) / 200),
        "stockLevels": math.ceil(len(skus) / 250),
        "mrp.production.search_read": math.ceil(len(order_ids) / 200),
        "shipmentsByOrder": math.ceil(len(order_ids) / 100),
    }
    assert_no_batch_over_its_limit(stats)


def test_a_hundred_and_fifty_orders_cost_exactly_two_crm_calls(uncached_graphql, sim_counters):
    ids = [f"SO-{100001 + i}" for i in range(150)]
    sim_counters.reset()
    data = uncached_graphql("query($ids: [ID!]!) { orders(ids: $ids) { id status } }", {"ids": ids})
    assert [order["id"] for order in data["orders"]] == ids
    assert calls_by_operation(sim_counters.read()) == {"orders.by_ids": 2}
    assert_no_batch_over_its_limit(sim_counters.read())


def test_repeated_keys_in_one_query_are_fetched_once(uncached_graphql, sim_counters):
    sim_counters.reset()
    uncached_graphql(
        """{ a: product(code: "P-1001") { code availableToPromise }
             b: product(code: "P-1001") { name inventory { warehouse } }
             c: products(codes: ["P-1001", "P-1002", "P-1001"]) { code } }"""
    )
    assert calls_by_operation(sim_counters.read()) == {
        "product.product.search_read": 1,
        "stockLevels": 1,
    }


def test_order_tracking_costs_two_levels_of_calls(uncached_graphql, sim_counters):
    sim_counters.reset()
    uncached_graphql(
        """{ orderTracking(orderId: "SO-100010") {
            stage progress estimatedDelivery order { customer { name } }
            timeline { at label } } }"""
    )
    assert calls_by_operation(sim_counters.read()) == {
        "orders.by_ids": 1,
        "customers.by_ids": 1,
        "mrp.production.search_read": 1,
        "shipmentsByOrder": 1,
        "account.move.search_read": 1,
    }
