"""Finance views through a real gateway over HTTP, against figures computed in the test
from the simulators' own data (``finance_expectations``), with exact upstream call counts."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from tests.contract_client import ContractClient
from tests.gateway_fixtures import JWT_SECRET, GraphQL, SimCounters
from tests.schema.finance_expectations import (
    Totals,
    amount,
    cents,
    feed_pages,
    first_of_months,
    line_cost,
    read_world,
)

START, END = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
FIGURES = """revenue { amount currency } productionCost { amount currency }
    purchaseCost { amount currency } standardCost { amount currency } cost { amount currency }
    profit { amount currency } marginPercent orderCount linesWithUnknownCost"""
SUMMARY = f"""query($from: DateTime!, $to: DateTime!, $by: FinanceGrouping!) {{
  financeSummary(from: $from, to: $to, groupBy: $by) {{
    from to groupBy currency cancelledOrderCount otherCurrencyOrders
    total {{ {FIGURES} }} groups {{ key figures {{ {FIGURES} }} }} }} }}"""
PERIOD = {"from": "2025-12-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


def calls(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        operation: figures["calls"]
        for system in stats.values()
        for operation, figures in system["operations"].items()
        if figures["calls"]
    }


@pytest.fixture(scope="module")
def period_orders(upstream: ContractClient) -> list[list[list[dict[str, Any]]]]:
    """The period's feed pages, month by month, as the CRM serves them."""
    return [feed_pages(upstream, low, high) for low, high in first_of_months(START, END)]


def counted_orders(months: list[list[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [
        order
        for pages in months
        for page in pages
        for order in page
        if order["status"] != "cancelled" and order["currency"] == "EUR"
    ]


def test_a_twelve_month_summary_by_month_adds_up_the_actual_costs_of_every_order(
    uncached_graphql: GraphQL, upstream: ContractClient, period_orders: Any
) -> None:
    orders = counted_orders(period_orders)
    world = read_world(upstream, orders)
    total = Totals()
    months: defaultdict[str, Totals] = defaultdict(Totals)
    for order in orders:
        costs = [line_cost(order, line, world) for line in order["lines"]]
        revenue = amount(order["total"])
        total.add(order["id"], revenue, costs)
        months[order["created_at"][:7]].add(order["id"], revenue, costs)

    summary = uncached_graphql(SUMMARY, {**PERIOD, "by": "MONTH"})["financeSummary"]

    assert len(orders) > 3000
    assert summary["currency"] == "EUR" and summary["otherCurrencyOrders"] == []
    assert summary["cancelledOrderCount"] == sum(
        o["status"] == "cancelled" for pages in period_orders for page in pages for o in page
    )
    assert summary["total"] == total.shown()
    assert summary["groups"] == [
        {"key": key, "figures": months[key].shown()} for key in sorted(months)
    ]
    # Every basis shows up in the demo data: made, bought, the fallback and unknown.
    shown = summary["total"]
    assert shown["productionCost"]["amount"] != "0.00"
    assert shown["purchaseCost"]["amount"] != "0.00"
    assert shown["linesWithUnknownCost"] > 0


def test_a_twelve_month_summary_costs_its_feed_pages_and_one_call_per_upstream_chunk(
    uncached_graphql: GraphQL,
    upstream: ContractClient,
    period_orders: Any,
    sim_counters: SimCounters,
) -> None:
    orders = counted_orders(period_orders)
    world = read_world(upstream, orders)
    # ERP: 200 sale_refs per call in feed order, each chunk paged by 500 production orders.
    ids = [order["id"] for order in orders]
    plan_calls = sum(
        sum(len(world.plans.get(ref, [])) for ref in ids[start : start + 200]) // 500 + 1
        for start in range(0, len(ids), 200)
    )
    codes = {line["product_code"] for order in orders for line in order["lines"]}
    # SCM: the skus of the lines with no live production order (bought lines).
    bought_skus = set()
    for order in orders:
        for line in order["lines"]:
            if not any(
                plan["product_code"] == line["product_code"] and plan["state"] != "cancel"
                for plan in world.plans.get(order["id"], [])
            ):
                sku = world.products[line["product_code"]]["scm_sku"]
                if sku:
                    bought_skus.add(sku)
    sim_counters.reset()

    uncached_graphql(SUMMARY, {**PERIOD, "by": "PRODUCT"})

    assert calls(sim_counters.read()) == {
        "orders.by_created_at": sum(len(pages) for pages in period_orders),
        "mrp.production.search_read": plan_calls,
        "product.product.search_read": math.ceil(len(codes) / 200),
        "purchaseOrders": math.ceil(len(bought_skus) / 250),
    }
    assert len(period_orders) == 12 and plan_calls < 30


def test_groups_by_product_and_by_customer_add_up_to_the_same_total(
    graphql: GraphQL, upstream: ContractClient, period_orders: Any
) -> None:
    orders = counted_orders(period_orders)
    world = read_world(upstream, orders)
    by_product: dict[str, Totals] = defaultdict(Totals)
    for order in orders:
        for line in order["lines"]:
            revenue = amount(line["unit_price"]) * line["quantity"]
            by_product[line["product_code"]].add(
                order["id"], revenue, [line_cost(order, line, world)]
            )

    products = graphql(SUMMARY, {**PERIOD, "by": "PRODUCT"})["financeSummary"]
    customers = graphql(SUMMARY, {**PERIOD, "by": "CUSTOMER"})["financeSummary"]

    assert products["groups"] == [
        {"key": code, "figures": by_product[code].shown()} for code in sorted(by_product)
    ]
    assert {g["key"] for g in customers["groups"]} == {o["customer_id"] for o in orders}
    for summary in (products, customers):
        revenue = sum(amount(g["figures"]["revenue"]["amount"]) for g in summary["groups"])
        assert abs(revenue - amount(summary["total"]["revenue"]["amount"])) < 1
        assert summary["total"] == products["total"]


ORDER_FINANCE = """query($ids: [ID!]!) { orders(ids: $ids) { id finance {
    revenue { amount } productionCost { amount } purchaseCost { amount }
    standardCost { amount } cost { amount } profit { amount } marginPercent
    lines { lineNo productCode quantity revenue { amount } cost { amount } costBasis } } } }"""


def test_each_line_of_an_order_names_the_cost_basis_it_was_costed_on(
    uncached_graphql: GraphQL, upstream: ContractClient, period_orders: Any
) -> None:
    orders = counted_orders(period_orders)
    world = read_world(upstream, orders)
    # One order per basis that the data holds, found from the upstreams' data.
    examples: dict[str, dict[str, Any]] = {}
    for order in orders:
        for line in order["lines"]:
            examples.setdefault(line_cost(order, line, world)[0], order)
    assert set(examples) == {"PRODUCTION_ORDER", "PURCHASE_ORDER", "STANDARD_COST", "UNKNOWN"}

    data = uncached_graphql(ORDER_FINANCE, {"ids": [o["id"] for o in examples.values()]})

    for order, shown in zip(examples.values(), data["orders"], strict=True):
        costs = [line_cost(order, line, world) for line in order["lines"]]
        assert shown["finance"]["lines"] == [
            {
                "lineNo": line["line_no"],
                "productCode": line["product_code"],
                "quantity": line["quantity"],
                "revenue": {"amount": cents(amount(line["unit_price"]) * line["quantity"])},
                "cost": None if cost is None else {"amount": cents(cost)},
                "costBasis": basis,
            }
            for line, (basis, cost) in zip(order["lines"], costs, strict=True)
        ]
        totals = Totals()
        totals.add(order["id"], amount(order["total"]), costs)
        expected = totals.shown()
        finance = shown["finance"]
        assert finance["revenue"]["amount"] == cents(amount(order["total"]))
        assert finance["productionCost"] == {"amount": expected["productionCost"]["amount"]}
        assert finance["purchaseCost"] == {"amount": expected["purchaseCost"]["amount"]}
        if any(cost is None for _, cost in costs):
            # Not passed off as zero: an unknown cost leaves the order without a profit.
            assert finance["cost"] is None and finance["profit"] is None
            assert finance["marginPercent"] is None
        else:
            assert finance["profit"] == {"amount": expected["profit"]["amount"]}
            assert finance["marginPercent"] == expected["marginPercent"]


def test_finance_of_fifty_orders_costs_one_call_per_upstream_operation(
    uncached_graphql: GraphQL, sim_counters: SimCounters
) -> None:
    ids = [f"SO-{105000 + n}" for n in range(50)]
    sim_counters.reset()

    data = uncached_graphql(ORDER_FINANCE, {"ids": ids})

    assert all(order["finance"]["lines"] for order in data["orders"])
    assert calls(sim_counters.read()) == {
        "orders.by_ids": 1,
        "mrp.production.search_read": 1,
        "product.product.search_read": 1,
        "purchaseOrders": 1,
    }


def test_a_customer_token_sees_no_finance_and_causes_no_cost_reads(
    secured_gateway_url: str, sim_counters: SimCounters
) -> None:
    bearer = issue_token(JWT_SECRET, "app", "crm:read erp:read scm:read", customer_id="C-000001")
    order_id = httpx.post(
        f"{secured_gateway_url}/graphql",
        json={"query": '{ customer(id: "C-000001") { orders(first: 1) { id } } }'},
        headers={"Authorization": f"Bearer {bearer}"},
    ).json()["data"]["customer"]["orders"][0]["id"]
    sim_counters.reset()

    def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return dict(
            httpx.post(
                f"{secured_gateway_url}/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {bearer}", "Cache-Control": "no-cache"},
            ).json()
        )

    order = ask(
        "query($id: ID!) { order(id: $id) { id finance { profit { amount } } } }",
        {"id": order_id},
    )
    summary = ask(
        """query($from: DateTime!, $to: DateTime!) {
            financeSummary(from: $from, to: $to) { total { profit { amount } } } }""",
        PERIOD,
    )

    assert order["data"] == {"order": {"id": order_id, "finance": None}}
    assert [(e["path"], e["extensions"]["code"]) for e in order["errors"]] == [
        (["order", "finance"], "FORBIDDEN")
    ]
    assert summary["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in summary["errors"]] == [
        (["financeSummary"], "FORBIDDEN")
    ]
    # Refused before anything is read: only the order itself came from the CRM.
    assert calls(sim_counters.read()) == {"orders.by_ids": 1}


def test_a_period_that_ends_before_it_starts_is_refused_with_the_field_named(
    graphql_response: GraphQL,
) -> None:
    body = graphql_response(
        SUMMARY, {"from": "2026-06-01T00:00:00Z", "to": "2026-05-01T00:00:00Z", "by": "MONTH"}
    )

    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "fields": {"to": "not after from"}}
