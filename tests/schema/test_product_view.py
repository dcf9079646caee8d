"""The product view (demand, open plans, supply, coverage) and ``lowStock``, through a real
gateway over HTTP in front of the simulators: values against those computed here from the
simulators' own data, exact upstream call counts from their counters, the cache and the
webhooks that drop it, and what a customer's token may not see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from gateway.server_thread import ThreadedServer
from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import restored_after, send_webhook
from tests.gateway_fixtures import JWT_SECRET, GraphQL, SimCounters
from tests.schema.test_prefetch import LateBuilds, late_builds  # noqa: F401

OPEN = ("confirmed", "in_production", "ready")
OPEN_PLAN_STATES = ("draft", "confirmed", "progress", "to_close")
FIFTY = [f"P-{1001 + index}" for index in range(50)]

PRODUCT_VIEW = """query View($codes: [ID!]!) { products(codes: $codes) {
  code sku
  demand { lineNo quantity requestedDate status order { id } }
  productionPlans { reference state quantity plannedFinish }
  inventory { warehouse onHand reserved available reorderPoint }
  openPurchaseOrders { id quantity expectedAt supplier { id name } }
  coverage { asOf availableToPromise openPurchaseQuantity plannedOutput openDemand net
             runsShortOn timeline { date incoming outgoing balance } }
} }"""

LOW_STOCK = """query Low($first: Int, $after: String) {
  lowStock(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { shortBy level { sku warehouse available reorderPoint } product { code } } }
  }
}"""


def calls(counters: SimCounters) -> dict[str, int]:
    return {
        f"{system}:{operation}": figures["calls"]
        for system, stats in counters.read().items()
        for operation, figures in stats["operations"].items()
    }


def open_lines(simulators: RunningSimulators, code: str) -> list[tuple[str, int, int]]:
    return sorted(
        (order.id, line.line_no, line.quantity)
        for order in simulators.dataset.orders.values()
        if order.status in OPEN
        for line in order.lines
        if line.product_code == code
    )


def expected_coverage(
    simulators: RunningSimulators, code: str, as_of: date
) -> tuple[int, date | None]:
    """Net and the first short date, computed here from the simulators' data."""
    data = simulators.dataset
    sku = data.products[code].scm_sku
    levels = data.stock_by_sku.get(sku, []) if sku else []
    atp = sum(max(level.on_hand - level.reserved, 0) for level in levels)
    moves: list[tuple[date, int, int]] = []  # (date, 0 = in / 1 = out, quantity)
    for purchase in data.purchase_orders_by_sku.get(sku, []) if sku else []:
        if purchase.status == "open":
            moves.append((max(purchase.expected_at.date(), as_of), 0, purchase.quantity))
    for plan in data.productions:
        if plan.product_code == code and plan.state in OPEN_PLAN_STATES:
            moves.append((max(plan.date_planned_finished.date(), as_of), 0, int(plan.product_qty)))
    for order in data.orders.values():
        if order.status in OPEN:
            day = max(order.requested_date or as_of, as_of)
            moves += [(day, 1, line.quantity) for line in order.lines if line.product_code == code]
    balance, short = atp, None
    for day, direction, quantity in sorted(moves):
        balance += quantity if direction == 0 else -quantity
        if balance < 0 and short is None:
            short = day
    return balance, short


def test_the_product_view_matches_the_simulators_data(simulators, uncached_graphql: GraphQL):
    codes = ["P-1001", "P-1002", "P-1005", "P-1007", "P-1010"]
    products = uncached_graphql(PRODUCT_VIEW, {"codes": codes})["products"]
    data = simulators.dataset
    for product in products:
        code = product["code"]
        shown = sorted((d["order"]["id"], d["lineNo"], d["quantity"]) for d in product["demand"])
        assert shown == open_lines(simulators, code)
        plans = sorted(p["reference"] for p in product["productionPlans"])
        assert plans == sorted(
            plan.name
            for plan in data.productions
            if plan.product_code == code and plan.state in OPEN_PLAN_STATES
        )
        coverage = product["coverage"]
        as_of = date.fromisoformat(coverage["asOf"])
        net, short = expected_coverage(simulators, code, as_of)
        assert coverage["net"] == net
        assert coverage["runsShortOn"] == (short.isoformat() if short else None)
        assert coverage["net"] == (
            coverage["availableToPromise"]
            + coverage["openPurchaseQuantity"]
            + coverage["plannedOutput"]
            - coverage["openDemand"]
        )
        assert coverage["openDemand"] == sum(quantity for _, _, quantity in shown)
    # The showcase product without a sku: no stock, no purchase orders, only demand.
    without_sku = next(product for product in products if product["code"] == "P-1002")
    assert without_sku["coverage"]["availableToPromise"] == 0
    assert without_sku["openPurchaseOrders"] == []


def test_a_fifty_product_demand_view_costs_eight_upstream_calls_then_none_from_the_cache(
    graphql: GraphQL,
    sim_counters: SimCounters,
    late_builds: LateBuilds,  # noqa: F811
):
    sim_counters.reset()
    headers = {"Cache-Control": "no-cache"}
    products = graphql(PRODUCT_VIEW, {"codes": FIFTY}, headers)["products"]
    assert len(products) == 50
    assert any(product["demand"] for product in products)
    # One call per system operation: products; demand per open status (3); open plans;
    # stock; purchase orders; their suppliers.
    assert calls(sim_counters) == {
        "crm:orders.by_product_codes": 3,
        "erp:product.product.search_read": 1,
        "erp:mrp.production.search_read": 1,
        "scm:stockLevels": 1,
        "scm:purchaseOrders": 1,
        "scm:suppliers": 1,
    }
    assert late_builds.count == 0  # every join below products was prefetched
    sim_counters.reset()
    # A second view of the same products, other fields in another order: all cached.
    again = graphql(
        "query V($codes: [ID!]!) { products(codes: $codes) { coverage { net } demand { quantity }"
        " productionPlans { reference } openPurchaseOrders { id } code } }",
        {"codes": FIFTY},
    )["products"]
    assert [product["coverage"]["net"] for product in again] == [
        product["coverage"]["net"] for product in products
    ]
    assert calls(sim_counters) == {}


def test_an_order_webhook_drops_every_products_cached_demand(
    simulators, graphql: GraphQL, gateway_url: str, sim_counters: SimCounters
):
    query = '{ product(code: "P-1001") { demand { order { id } quantity } } }'
    before = graphql(query)["product"]["demand"]
    with restored_after(simulators):
        placed = place_order(simulators)
        sim_counters.reset()
        assert graphql(query)["product"]["demand"] == before  # cached, the webhook not sent
        assert calls(sim_counters) == {}
        send_webhook(gateway_url, "crm", "order.created", [placed])
        after = graphql(query)["product"]["demand"]
        assert after[0] == {"order": {"id": placed}, "quantity": 7}
        assert after[1:] == before
        assert calls(sim_counters)["crm:orders.by_product_codes"] == 3
    # The seeded data again: its own order.updated drops the demand that showed the order.
    send_webhook(gateway_url, "crm", "order.updated", [placed])
    assert graphql(query)["product"]["demand"] == before


def place_order(simulators: RunningSimulators) -> str:
    response = httpx.post(
        f"{simulators.crm_url}/crm/v1/orders",
        json={"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 7}]},
        headers={"Authorization": f"Bearer {simulators.config.crm_token}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_low_stock_enumerates_skus_from_the_erp_and_reads_stock_250_at_a_time(
    simulators, uncached_graphql: GraphQL, sim_counters: SimCounters
):
    data = simulators.dataset
    skus = sorted(product.scm_sku for product in data.products.values() if product.scm_sku)
    expected = sorted(
        (level.sku, level.warehouse)
        for sku in skus
        for level in data.stock_by_sku.get(sku, [])
        if max(level.on_hand - level.reserved, 0) < level.reorder_point
    )
    sim_counters.reset()
    seen: list[tuple[str, str]] = []
    after: str | None = None
    pages = 0
    while True:
        page = uncached_graphql(LOW_STOCK, {"first": 50, "after": after})["lowStock"]
        pages += 1
        for edge in page["edges"]:
            node = edge["node"]
            level = node["level"]
            assert node["shortBy"] == level["reorderPoint"] - level["available"] > 0
            assert data.products[node["product"]["code"]].scm_sku == level["sku"]
            seen.append((level["sku"], level["warehouse"]))
        assert page["totalCount"] == len(expected)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    # Per page: the ERP's catalogue in one call (< 500 products), stock 250 skus a call.
    chunks = -(-len(skus) // 250)
    assert calls(sim_counters) == {
        "erp:product.product.search_read": pages,
        "scm:stockLevels": pages * chunks,
    }


def test_low_stock_with_the_cache_costs_nothing_on_the_next_page(
    graphql: GraphQL, sim_counters: SimCounters
):
    first = graphql(LOW_STOCK, {"first": 5})["lowStock"]
    sim_counters.reset()
    graphql(LOW_STOCK, {"first": 5, "after": first["pageInfo"]["endCursor"]})
    # Stock is fresh for 5 s: the pages of one reading cost nothing more.
    assert calls(sim_counters) == {}


@pytest.fixture(scope="module")
def secured_url(simulators: Any) -> Iterator[str]:
    from gateway.app import create_app
    from tests.gateway_fixtures import gateway_settings

    settings = gateway_settings(
        simulators, jwt_secret=JWT_SECRET, cache_prefix=f"sgtest-{uuid.uuid4().hex[:8]}"
    ).model_copy(update={"auth_disabled": False})
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


def test_a_customer_token_sees_no_demand_plans_coverage_purchase_orders_or_low_stock(
    secured_url: str, sim_counters: SimCounters
):
    customer = issue_token(JWT_SECRET, "app", "crm:read erp:read scm:read", customer_id="C-000001")
    sim_counters.reset()
    response = httpx.post(
        f"{secured_url}/graphql",
        json={
            "query": '{ product(code: "P-1005") { name demand { quantity } productionPlans '
            "{ reference } coverage { net } openPurchaseOrders { id } } "
            "lowStock(first: 1) { totalCount } }"
        },
        headers={"Authorization": f"Bearer {customer}"},
    )
    body = response.json()
    assert body["data"]["product"] == {
        "name": body["data"]["product"]["name"],
        "demand": None,
        "productionPlans": None,
        "coverage": None,
        "openPurchaseOrders": None,
    }
    assert body["data"]["lowStock"] is None
    refused = {tuple(error["path"]) for error in body["errors"]}
    assert refused == {
        ("product", "demand"),
        ("product", "productionPlans"),
        ("product", "coverage"),
        ("product", "openPurchaseOrders"),
        ("lowStock",),
    }
    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}
    # Nothing it may not see was even read.
    assert set(calls(sim_counters)) == {"erp:product.product.search_read"}


def test_the_products_below_low_stock_and_their_demand_are_loaded_a_level_at_a_time(
    uncached_graphql: GraphQL,
    sim_counters: SimCounters,
    late_builds: LateBuilds,  # noqa: F811
):
    sim_counters.reset()
    page = uncached_graphql(
        "{ lowStock(first: 40) { edges { node { product { code coverage { net } "
        "demand { order { id customer { id } } } } } } } }"
    )["lowStock"]
    assert len(page["edges"]) == 40
    assert late_builds.count == 0
    # Beside the catalogue and stock: demand (3), plans, purchase orders, customers.
    assert calls(sim_counters) == {
        "erp:product.product.search_read": 1,
        "scm:stockLevels": 2,
        "crm:orders.by_product_codes": 3,
        "erp:mrp.production.search_read": 1,
        "scm:purchaseOrders": 1,
        "crm:customers.by_ids": 1,
    }
