"""orderList over the CRM's created_at feed and productList over the ERP's catalogue,
through a real gateway, against what the upstreams serve, with exact call counts."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.auth import issue_token
from tests.contract_client import ContractClient
from tests.gateway_fixtures import JWT_SECRET, GraphQL, SimCounters

ORDER_LIST = """query($status: OrderStatus, $from: DateTime, $to: DateTime, $first: Int,
    $after: String) {
  orderList(status: $status, createdFrom: $from, createdTo: $to, first: $first, after: $after) {
    edges { cursor node { id status createdAt } } pageInfo { hasNextPage endCursor } } }"""
WINDOW = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}


def calls(stats: dict[str, dict[str, Any]]) -> dict[str, int]:
    return {
        operation: figures["calls"]
        for system in stats.values()
        for operation, figures in system["operations"].items()
        if figures["calls"]
    }


def feed(upstream: ContractClient, status: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"created_from": WINDOW["from"], "created_to": WINDOW["to"]}
        params |= {"limit": 200} | ({"status": status} if status else {})
        params |= {"cursor": cursor} if cursor else {}
        body = upstream.crm.get("/orders", params=params).json()
        found += body["records"]
        cursor = body.get("next_cursor")
        if not cursor:
            return found


def walk(graphql: GraphQL, query: str, root: str, variables: dict[str, Any]) -> list[Any]:
    nodes: list[Any] = []
    after = None
    for _ in range(100):
        page = graphql(query, {**variables, "after": after})[root]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


def test_order_list_pages_through_a_window_in_the_crms_order(
    graphql: GraphQL, upstream: ContractClient
) -> None:
    expected = feed(upstream)

    nodes = walk(graphql, ORDER_LIST, "orderList", {**WINDOW, "first": 70})

    assert len(expected) > 200  # more than one CRM page
    assert [node["id"] for node in nodes] == [order["id"] for order in expected]
    assert all(WINDOW["from"] <= node["createdAt"] < WINDOW["to"] for node in nodes)


def test_order_list_without_a_window_starts_at_the_oldest_order(
    graphql: GraphQL, upstream: ContractClient
) -> None:
    oldest = upstream.crm.get(
        "/orders", params={"created_from": "1970-01-01T00:00:00Z", "limit": 3}
    ).json()["records"]

    page = graphql(ORDER_LIST, {"first": 3})["orderList"]

    assert [edge["node"]["id"] for edge in page["edges"]] == [order["id"] for order in oldest]
    assert page["pageInfo"]["hasNextPage"] is True


def test_order_list_filters_by_status(graphql: GraphQL, upstream: ContractClient) -> None:
    expected = feed(upstream, "cancelled")

    nodes = walk(graphql, ORDER_LIST, "orderList", {**WINDOW, "status": "CANCELLED", "first": 5})

    assert expected and [node["id"] for node in nodes] == [order["id"] for order in expected]
    assert {node["status"] for node in nodes} == {"CANCELLED"}


def test_a_page_of_fifty_orders_joins_customers_products_and_plans_in_one_batch_each(
    uncached_graphql: GraphQL, sim_counters: SimCounters
) -> None:
    query = """query($from: DateTime) { orderList(createdFrom: $from, first: 50) { edges { node {
        id customer { name } lines { product { name } } productionPlans { state } } } } }"""
    sim_counters.reset()

    data = uncached_graphql(query, {"from": WINDOW["from"]})

    assert len(data["orderList"]["edges"]) == 50
    assert calls(sim_counters.read()) == {
        "orders.by_created_at": 1,
        "customers.by_ids": 1,
        "product.product.search_read": 1,
        "mrp.production.search_read": 1,
    }


def test_order_list_refuses_a_page_past_the_crms_limit_and_a_backwards_window(
    graphql_response: GraphQL,
) -> None:
    too_big = graphql_response(ORDER_LIST, {"first": 201})
    backwards = graphql_response(ORDER_LIST, {"from": WINDOW["to"], "to": WINDOW["from"]})

    assert too_big["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"first": "out of range"},
    }
    assert backwards["errors"][0]["extensions"]["fields"] == {"createdTo": "not after createdFrom"}


def test_a_customer_token_gets_no_list_of_every_customers_orders(
    secured_gateway_url: str, sim_counters: SimCounters
) -> None:
    bearer = issue_token(JWT_SECRET, "app", "crm:read erp:read", customer_id="C-000001")
    sim_counters.reset()

    body = httpx.post(
        f"{secured_gateway_url}/graphql",
        json={"query": "{ orderList(first: 5) { edges { node { id } } } }"},
        headers={"Authorization": f"Bearer {bearer}"},
    ).json()

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert calls(sim_counters.read()) == {}


PRODUCT_LIST = """query($search: String, $first: Int, $after: String) {
  productList(search: $search, first: $first, after: $after) {
    edges { node { code name } } pageInfo { hasNextPage endCursor } } }"""


def test_product_list_pages_through_the_catalogue_in_code_order(
    graphql: GraphQL, upstream: ContractClient
) -> None:
    catalogue = upstream.search_read("product.product", [], ["default_code", "name"])

    nodes = walk(graphql, PRODUCT_LIST, "productList", {"first": 64})

    assert [node["code"] for node in nodes] == sorted(p["default_code"] for p in catalogue)


def test_product_list_searches_code_and_name_whatever_the_case(
    graphql: GraphQL, upstream: ContractClient
) -> None:
    catalogue = upstream.search_read("product.product", [], ["default_code", "name"])
    word = catalogue[7]["name"].split()[0]
    expected = sorted(
        p["default_code"]
        for p in catalogue
        if word.lower() in p["name"].lower() or word.lower() in p["default_code"].lower()
    )

    by_name = walk(graphql, PRODUCT_LIST, "productList", {"search": word.upper(), "first": 7})
    by_code = graphql(PRODUCT_LIST, {"search": "p-100", "first": 50})["productList"]

    assert [node["code"] for node in by_name] == expected
    assert [e["node"]["code"] for e in by_code["edges"]] == sorted(
        p["default_code"]
        for p in catalogue
        if "p-100" in p["name"].lower() or "p-100" in p["default_code"].lower()
    )
    assert {f"P-100{n}" for n in range(1, 10)} <= {e["node"]["code"] for e in by_code["edges"]}


def test_fifty_products_with_their_stock_cost_one_erp_and_one_scm_call(
    uncached_graphql: GraphQL, sim_counters: SimCounters
) -> None:
    query = "{ productList(first: 50) { edges { node { code availableToPromise } } } }"
    sim_counters.reset()

    data = uncached_graphql(query)

    assert len(data["productList"]["edges"]) == 50
    assert calls(sim_counters.read()) == {"product.product.search_read": 1, "stockLevels": 1}


def test_a_cursor_of_another_list_is_refused_as_bad_input(graphql_response: GraphQL) -> None:
    orders = graphql_response(ORDER_LIST, {**WINDOW, "first": 200})
    foreign = orders["data"]["orderList"]["pageInfo"]["endCursor"]

    body = graphql_response(PRODUCT_LIST, {"after": foreign})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
