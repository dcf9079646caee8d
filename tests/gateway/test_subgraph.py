"""The graph as an Apollo Federation v2 subgraph at /subgraph, the way a router asks it.

A federation router reads ``_service { sdl }`` once and then sends ``_entities`` with
every reference of one level at once; these tests send exactly those requests over HTTP
to a gateway that demands tokens, and count the upstream calls on the simulators.
tests/federation/ composes the subgraph under a real federation gateway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from schema.build import create_schema
from tests.contract_client import ContractClient
from tests.gateway.live_helpers import Gateway, bearer, secured_settings, token
from tests.gateway.test_upstream_calls import calls_by_operation

ENTITIES = """query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Order { id status customer { id name } lines { product { code name } } }
    ... on Product { code name availableToPromise }
    ... on Customer { id name }
    ... on Shipment { trackingNumber carrier order { id } }
    ... on Supplier { id name }
  }
}"""


@pytest.fixture(scope="module")
def subgraph(simulators: Any) -> Iterator[httpx.Client]:
    with (
        Gateway(secured_settings(simulators)) as gateway,
        httpx.Client(base_url=gateway.url, timeout=30.0) as client,
    ):
        yield client


def post(
    client: httpx.Client, query: str, variables: dict[str, Any] | None = None, **claims: Any
) -> dict[str, Any]:
    scopes = claims.pop("scopes", "crm:read erp:read scm:read")
    response = client.post(
        "/subgraph",
        json={"query": query, "variables": variables or {}},
        headers={**bearer(token(scopes, **claims)), "Cache-Control": "no-cache"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def entities(client: httpx.Client, *representations: dict[str, str], **claims: Any) -> Any:
    return post(client, ENTITIES, {"representations": list(representations)}, **claims)


def some_order_ids(upstream: ContractClient, count: int) -> list[str]:
    ids: list[str] = []
    for customer in upstream.all_customers():
        ids += [order["id"] for order in upstream.orders_of_customer(customer["id"])]
        if len(ids) >= count:
            return ids[:count]
    raise AssertionError("the demo data has too few orders")


def test_the_subgraph_sdl_puts_a_key_on_each_entity_type(subgraph):
    sdl = post(subgraph, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    assert 'schema @link(url: "https://specs.apollo.dev/federation/v2' in sdl
    for type_name, key in [
        ("Customer", "id"),
        ("Order", "id"),
        ("Product", "code"),
        ("Shipment", "trackingNumber"),
        ("Supplier", "id"),
    ]:
        assert f'type {type_name} @key(fields: "{key}") {{' in sdl
    assert "union _Entity = Customer | Order | Product | Shipment | Supplier" in sdl


def test_the_public_schema_is_the_exported_one_with_no_federation_in_it():
    create_schema(federation=True)  # building the subgraph leaves no key behind
    public = create_schema().as_str()
    assert "@key" not in public and "_entities" not in public and "_service" not in public
    from schema.build import SDL_PATH

    assert SDL_PATH.read_text() == public + "\n"


def test_twenty_order_references_cost_one_crm_call_per_level(
    subgraph, sim_counters, upstream: ContractClient
):
    ids = some_order_ids(upstream, 20)
    sim_counters.reset()
    body = entities(subgraph, *({"__typename": "Order", "id": i} for i in ids))
    stats = sim_counters.read()

    assert "errors" not in body, body["errors"]
    found = body["data"]["_entities"]
    assert [entity["id"] for entity in found] == ids
    assert all(entity["__typename"] == "Order" for entity in found)
    expected = upstream.orders(ids)
    assert [entity["status"].lower() for entity in found] == [expected[i]["status"] for i in ids]
    assert [entity["customer"]["id"] for entity in found] == [
        expected[i]["customer_id"] for i in ids
    ]
    codes = {line["product"]["code"] for entity in found for line in entity["lines"]}
    assert len(codes) > 1
    assert calls_by_operation(stats) == {
        "orders.by_ids": 1,
        "customers.by_ids": 1,
        "product.product.search_read": 1,
    }


def test_references_of_several_types_are_answered_in_their_order_each_type_batched(
    subgraph, sim_counters, upstream: ContractClient
):
    [first, second] = some_order_ids(upstream, 2)
    shipment = upstream.shipments_of_orders(some_order_ids(upstream, 20))[0]
    sim_counters.reset()
    body = entities(
        subgraph,
        {"__typename": "Product", "code": "P-1001"},
        {"__typename": "Order", "id": first},
        {"__typename": "Shipment", "trackingNumber": shipment["trackingNumber"]},
        {"__typename": "Order", "id": second},
        {"__typename": "Order", "id": "SO-NOPE"},
    )
    stats = sim_counters.read()

    assert "errors" not in body, body["errors"]
    [product, order_1, found_shipment, order_2, unknown] = body["data"]["_entities"]
    assert product["__typename"] == "Product" and product["code"] == "P-1001"
    assert (order_1["id"], order_2["id"], unknown) == (first, second, None)
    assert found_shipment["order"]["id"] == shipment["orderRef"]
    # One call per system operation and level: the product, the orders and the shipment
    # first, then the orders' customers, the lines' products, the shipment's order and
    # the product's stock.
    shipment_order_is_new = shipment["orderRef"] not in (first, second)
    assert calls_by_operation(stats) == {
        "product.product.search_read": 2,
        "orders.by_ids": 2 if shipment_order_is_new else 1,
        "shipments": 1,
        "customers.by_ids": 1,
        "stockLevels": 1,
    }


def test_a_customer_token_gets_not_found_for_another_customers_order(
    subgraph, upstream: ContractClient
):
    [own, foreign] = [
        upstream.orders_of_customer(customer["id"])[0] for customer in upstream.all_customers()[:2]
    ]
    body = entities(
        subgraph,
        {"__typename": "Order", "id": own["id"]},
        {"__typename": "Order", "id": foreign["id"]},
        {"__typename": "Order", "id": "SO-NOPE"},
        customer_id=own["customer_id"],
    )
    [shown, hidden, unknown] = body["data"]["_entities"]
    assert shown["id"] == own["id"]
    assert hidden is None and unknown is None
    errors = {tuple(error["path"]): error for error in body["errors"]}
    assert set(errors) == {("_entities", 1), ("_entities", 2)}
    # Another customer's order and an unknown one cannot be told apart.
    assert errors[("_entities", 1)]["message"] == errors[("_entities", 2)]["message"]
    assert {error["extensions"]["code"] for error in errors.values()} == {"NOT_FOUND"}


def test_entities_need_the_scopes_their_root_fields_need(subgraph, sim_counters):
    sim_counters.reset()
    body = entities(
        subgraph,
        {"__typename": "Product", "code": "P-1001"},
        {"__typename": "Supplier", "id": "SUP-001"},
        scopes="crm:read",
    )
    assert body["data"]["_entities"] == [None, None]
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"] * 2
    assert "erp:read" in body["errors"][0]["message"]
    stats = sim_counters.read()
    assert calls_by_operation(stats) == {}


def test_a_supplier_is_not_an_entity_a_customer_token_may_look_up(subgraph):
    body = entities(subgraph, {"__typename": "Supplier", "id": "SUP-001"}, customer_id="C-000001")
    assert body["data"]["_entities"] == [None]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_malformed_representation_is_an_error_of_its_own_and_the_rest_still_comes(
    subgraph, upstream: ContractClient
):
    [order_id] = some_order_ids(upstream, 1)
    body = entities(
        subgraph,
        {"__typename": "Invoice", "id": "INV-1"},
        {"__typename": "Order"},
        {"__typename": "Order", "id": order_id},
    )
    [unknown_type, keyless, order] = body["data"]["_entities"]
    assert unknown_type is None and keyless is None and order["id"] == order_id
    codes = [error["extensions"]["code"] for error in body["errors"]]
    assert codes == ["BAD_USER_INPUT", "BAD_USER_INPUT"]
    assert "__typename must name an entity" in body["errors"][0]["message"]
    assert "needs its key `id`" in body["errors"][1]["message"]


def test_the_subgraph_demands_a_token_like_graphql(subgraph):
    response = subgraph.post("/subgraph", json={"query": "{ _service { sdl } }"})
    assert response.status_code == 401


def test_the_subgraph_keeps_the_query_limits(subgraph):
    deep = "{ _entities(representations: []) { ... on Order { " + "customer { orders { " * 6
    deep += "id" + " } }" * 6 + " } } }"
    body = post(subgraph, deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
    assert "data" not in body or body["data"] is None


@pytest.mark.parametrize(("padding", "status"), [(80_000, 200), (120_000, 413)])
def test_the_subgraph_takes_bodies_up_to_the_graphql_limit(subgraph, padding, status):
    # A router's _entities request with a few hundred references is larger than the
    # 64 KiB other routes take; /subgraph takes what /graphql takes (100 kB).
    response = subgraph.post(
        "/subgraph",
        json={"query": "{ __typename }", "variables": {"padding": "x" * padding}},
        headers=bearer(token()),
    )
    assert response.status_code == status, response.text


def test_an_answer_kept_for_the_subgraph_is_never_served_at_graphql(subgraph):
    # Answers are kept by query text and view; this one reads a product (it could be kept).
    query = """{ _entities(representations: [{__typename: "Product", code: "P-1002"}]) {
        ... on Product { code name } } }"""
    headers = bearer(token())
    for _ in range(2):
        answer = subgraph.post("/subgraph", json={"query": query}, headers=headers).json()
        assert answer["data"]["_entities"][0]["code"] == "P-1002"
    public = subgraph.post("/graphql", json={"query": query}, headers=headers).json()
    assert public["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_gateway_subgraph_0_serves_no_subgraph(simulators):
    with Gateway(secured_settings(simulators, subgraph=False)) as gateway:
        response = httpx.post(f"{gateway.url}/subgraph", json={"query": "{ __typename }"})
    assert response.status_code == 404


def test_the_cost_of_an_entities_request_grows_with_its_references(simulators):
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } } }"
    with (
        Gateway(secured_settings(simulators, max_query_cost=100)) as gateway,
        httpx.Client(base_url=gateway.url, headers=bearer(token())) as client,
    ):

        def ask(references: int) -> dict[str, Any]:
            representations = [{"__typename": "Order", "id": "SO-NOPE"}] * references
            variables = {"r": representations}
            body: dict[str, Any] = client.post(
                "/subgraph", json={"query": query, "variables": variables}
            ).json()
            return body

        assert ask(20)["data"]["_entities"] == [None] * 20
        refused = ask(200)
        assert refused["errors"][0]["extensions"]["code"] == "QUERY_REJECTED"
        assert refused["errors"][0]["extensions"]["limit"] == "cost"


def test_a_customer_token_gets_not_found_for_another_customers_shipment(
    subgraph, upstream: ContractClient
):
    shipments_by_customer = []
    for customer in upstream.all_customers():
        refs = [order["id"] for order in upstream.orders_of_customer(customer["id"])]
        found = upstream.shipments_of_orders(refs)
        if found:
            shipments_by_customer.append((customer["id"], found[0]))
        if len(shipments_by_customer) == 2:
            break
    [(owner, own), (_, foreign)] = shipments_by_customer
    body = entities(
        subgraph,
        {"__typename": "Shipment", "trackingNumber": own["trackingNumber"]},
        {"__typename": "Shipment", "trackingNumber": foreign["trackingNumber"]},
        {"__typename": "Shipment", "trackingNumber": "1Z-NOPE"},
        customer_id=owner,
    )
    [shown, hidden, unknown] = body["data"]["_entities"]
    assert shown["trackingNumber"] == own["trackingNumber"]
    assert shown["order"]["id"] == own["orderRef"]
    assert hidden is None and unknown is None
    messages = {tuple(error["path"]): error["message"] for error in body["errors"]}
    assert messages == {
        ("_entities", 1): "no such shipment for this token",
        ("_entities", 2): "no such shipment for this token",
    }
