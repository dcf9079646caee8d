"""The finance and list views from the entity cache: a warm 12-month summary costs no
upstream call, and each webhook makes exactly what it names be read again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.contract_client import ContractClient
from tests.gateway.test_caching import post, webhook
from tests.gateway_fixtures import SimCounters, gateway_settings
from tests.schema.finance_expectations import feed_pages, first_of_months, read_world

START, END = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
PERIOD = {"from": "2025-12-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
SUMMARY = """query($from: DateTime!, $to: DateTime!, $by: FinanceGrouping!) {
  financeSummary(from: $from, to: $to, groupBy: $by) {
    total { revenue { amount } profit { amount } } groups { key } } }"""


def calls(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        operation: figures["calls"]
        for system in stats.values()
        for operation, figures in system["operations"].items()
        if figures["calls"]
    }


@pytest.fixture
def fresh_gateway(simulators: Any) -> Iterator[str]:
    """A gateway of its own with an empty cache and no kept answers, so that each
    request is built anew from cached records."""
    settings = gateway_settings(simulators, response_cache=False)
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


def summary(url: str, by: str) -> dict[str, Any]:
    body = post(url, SUMMARY, {**PERIOD, "by": by})
    assert not body.get("errors"), body["errors"]
    return dict(body["data"]["financeSummary"])


def test_a_warm_twelve_month_summary_costs_no_upstream_call(
    fresh_gateway: str, sim_counters: SimCounters
) -> None:
    cold = summary(fresh_gateway, "MONTH")
    sim_counters.reset()

    warm = summary(fresh_gateway, "MONTH")
    by_product = summary(fresh_gateway, "PRODUCT")

    assert warm == cold and len(cold["groups"]) == 12
    assert by_product["total"] == cold["total"]
    assert calls(sim_counters.read()) == {}


def test_a_purchase_order_webhook_makes_only_that_skus_purchase_orders_be_read_again(
    fresh_gateway: str, sim_counters: SimCounters, upstream: ContractClient
) -> None:
    orders = [
        order
        for low, high in first_of_months(START, END)
        for page in feed_pages(upstream, low, high)
        for order in page
        if order["status"] != "cancelled"
    ]
    world = read_world(upstream, orders)
    bought_sku = next(
        world.products[line["product_code"]]["scm_sku"]
        for order in orders
        for line in order["lines"]
        if world.products[line["product_code"]]["scm_sku"]
        and not any(
            plan["product_code"] == line["product_code"] and plan["state"] != "cancel"
            for plan in world.plans.get(order["id"], [])
        )
    )
    summary(fresh_gateway, "MONTH")
    body, headers = webhook("scm", "purchase_order.updated", [bought_sku])
    assert httpx.post(f"{fresh_gateway}/webhooks/scm", content=body, headers=headers).is_success
    sim_counters.reset()

    summary(fresh_gateway, "MONTH")

    stats = sim_counters.read()
    assert calls(stats) == {"purchaseOrders": 1}
    assert stats["scm"]["operations"]["purchaseOrders"]["max_batch"] == 1


def test_an_order_webhook_makes_the_feed_be_read_again_and_nothing_else(
    fresh_gateway: str, sim_counters: SimCounters, upstream: ContractClient
) -> None:
    pages = sum(len(feed_pages(upstream, low, high)) for low, high in first_of_months(START, END))
    summary(fresh_gateway, "MONTH")
    body, headers = webhook("crm", "order.updated", ["SO-105000"])
    assert httpx.post(f"{fresh_gateway}/webhooks/crm", content=body, headers=headers).is_success
    sim_counters.reset()

    summary(fresh_gateway, "MONTH")

    # SO-105000's own record is re-read only if something asks for it: nothing here does.
    assert calls(sim_counters.read()) == {"orders.by_created_at": pages}


def test_a_product_webhook_makes_the_catalogue_be_read_again(
    fresh_gateway: str, sim_counters: SimCounters
) -> None:
    query = '{ productList(search: "P-10", first: 5) { edges { node { code name } } } }'
    post(fresh_gateway, query)
    sim_counters.reset()
    post(fresh_gateway, query)
    warm = calls(sim_counters.read())
    body, headers = webhook("erp", "product.updated", ["P-1001"])
    assert httpx.post(f"{fresh_gateway}/webhooks/erp", content=body, headers=headers).is_success
    sim_counters.reset()

    post(fresh_gateway, query)

    assert warm == {}
    assert calls(sim_counters.read()) == {"product.product.search_read": 1}
