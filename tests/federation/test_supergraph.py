"""supplygraph's /subgraph composed with a second subgraph under a real federation gateway.

The gateway is Apollo's (``@apollo/gateway`` under ``@apollo/server``, from
tests/federation/package-lock.json) composing both subgraphs by introspection
(``IntrospectAndCompose``), as a team that federates supplygraph would run it. Queries
go to the Node gateway and cross both subgraphs each way; upstream calls are counted on
the simulators. Without node the tests skip; under CI=true they fail instead (.ci/run
installs the packages with ``npm ci --prefix tests/federation``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.server_thread import ThreadedServer
from tests.contract_client import ContractClient
from tests.federation.notes_subgraph import create_app as create_notes_app
from tests.gateway.live_helpers import Gateway, bearer, secured_settings, token
from tests.gateway.test_upstream_calls import calls_by_operation

FEDERATION_DIR = Path(__file__).parent
GATEWAY_START_TIMEOUT_S = 60.0


def node_or_skip() -> str:
    node = shutil.which("node")
    installed = (FEDERATION_DIR / "node_modules" / "@apollo" / "gateway").is_dir()
    if os.environ.get("CI") == "true":
        assert node is not None, "node is not installed: the federation gateway runs on Node 20"
        assert installed, "run `npm ci --prefix tests/federation` (.ci/run does)"
    if node is None:
        pytest.skip("node is not installed: the federation gateway runs on Node 20")
    if not installed:
        pytest.skip("run `npm ci --prefix tests/federation` to compose (.ci/run does, and fails)")
    return node


def first_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The process's first line of output; fails with its stderr if none comes in time."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    if not lines or not lines[0]:
        process.kill()
        _, errors = process.communicate(timeout=10)
        raise AssertionError(f"the federation gateway did not start: {errors}")
    return lines[0]


@pytest.fixture(scope="module")
def supergraph(simulators: Any) -> Iterator[str]:
    """The Node federation gateway's URL, over supplygraph's /subgraph and "notes"."""
    node = node_or_skip()
    with (
        Gateway(secured_settings(simulators)) as supplygraph,
        ThreadedServer(create_notes_app()) as notes,
    ):
        process = subprocess.Popen(
            [
                node,
                str(FEDERATION_DIR / "run_gateway.mjs"),
                f"supplygraph={supplygraph.url}/subgraph",
                f"notes={notes.url}/graphql",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SUBGRAPH_TOKEN": token()},
        )
        try:
            yield str(json.loads(first_line(process, GATEWAY_START_TIMEOUT_S))["url"])
        finally:
            process.terminate()
            process.communicate(timeout=10)  # and closes its pipes


def ask(url: str, query: str, variables: dict[str, Any], **claims: Any) -> dict[str, Any]:
    response = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={**bearer(token(**claims)), "Cache-Control": "no-cache"},
        timeout=60.0,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def order_ids(upstream: ContractClient, count: int) -> list[str]:
    ids: list[str] = []
    for customer in upstream.all_customers():
        ids += [order["id"] for order in upstream.orders_of_customer(customer["id"])]
        if len(ids) >= count:
            return ids[:count]
    raise AssertionError("the demo data has too few orders")


NOTES_WITH_OUR_ORDERS = """query ($ids: [ID!]!) {
  notes(orderIds: $ids) { text order { id status customer { id name } } }
}"""

OUR_ORDERS_WITH_NOTES = """query ($ids: [ID!]!) {
  orders(ids: $ids) { id status notes { text } lines { product { code name reviewCount } } }
}"""


def test_twenty_orders_referenced_by_the_other_subgraph_cost_one_crm_call(
    supergraph, sim_counters, upstream: ContractClient
):
    ids = order_ids(upstream, 20)
    sim_counters.reset()
    body = ask(supergraph, NOTES_WITH_OUR_ORDERS, {"ids": ids})
    stats = sim_counters.read()

    assert "errors" not in body, body["errors"]
    notes = body["data"]["notes"]
    assert [note["text"] for note in notes] == [f"call about {i}" for i in ids]
    expected = upstream.orders(ids)
    assert [note["order"]["id"] for note in notes] == ids
    assert [note["order"]["status"].lower() for note in notes] == [
        expected[i]["status"] for i in ids
    ]
    customers = upstream.customers(sorted({expected[i]["customer_id"] for i in ids}))
    assert [note["order"]["customer"]["name"] for note in notes] == [
        customers[expected[i]["customer_id"]]["name"] for i in ids
    ]
    # The router sends the 20 references in one _entities request; the subgraph loads
    # them in one batch and their customers in the next.
    assert calls_by_operation(stats) == {"orders.by_ids": 1, "customers.by_ids": 1}


def test_our_orders_carry_the_other_subgraphs_fields(
    supergraph, sim_counters, upstream: ContractClient
):
    ids = order_ids(upstream, 20)
    sim_counters.reset()
    body = ask(supergraph, OUR_ORDERS_WITH_NOTES, {"ids": ids})
    stats = sim_counters.read()

    assert "errors" not in body, body["errors"]
    orders = body["data"]["orders"]
    assert [order["id"] for order in orders] == ids
    assert [order["notes"] for order in orders] == [[{"text": f"call about {i}"}] for i in ids]
    products = [line["product"] for order in orders for line in order["lines"]]
    assert products and all(p["reviewCount"] == len(p["code"]) for p in products)
    expected = upstream.orders(ids)
    assert [len(order["lines"]) for order in orders] == [len(expected[i]["lines"]) for i in ids]
    assert calls_by_operation(stats) == {"orders.by_ids": 1, "product.product.search_read": 1}


def test_a_customer_token_passed_through_the_router_sees_its_own_orders_only(
    supergraph, upstream: ContractClient
):
    [own, foreign] = [
        upstream.orders_of_customer(customer["id"])[0]["id"]
        for customer in upstream.all_customers()[:2]
    ]
    owner = upstream.orders([own])[own]["customer_id"]
    body = ask(
        supergraph,
        NOTES_WITH_OUR_ORDERS,
        {"ids": [own, foreign]},
        scopes="crm:read",
        customer_id=owner,
    )
    [mine, theirs] = body["data"]["notes"]
    assert mine["order"]["id"] == own and mine["order"]["customer"]["id"] == owner
    assert theirs == {"text": f"call about {foreign}", "order": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "no such order for this token"


def test_the_router_without_a_token_gets_no_data_of_ours(supergraph):
    response = httpx.post(
        supergraph,
        json={"query": NOTES_WITH_OUR_ORDERS, "variables": {"ids": ["SO-100001"]}},
        timeout=60.0,
    )
    body = response.json()
    # The notes subgraph answers; supplygraph refuses the router's request for the orders.
    assert body["data"]["notes"] == [{"text": "call about SO-100001", "order": None}]
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["response"]["status"] == 401
