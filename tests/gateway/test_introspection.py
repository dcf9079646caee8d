"""Introspection as GraphiQL and client libraries send it counts toward no query limit,
and ``GATEWAY_INTROSPECTION=0`` refuses it with a clear error.

The documents, written into ``data/`` by graphql-js 16.15's ``getIntrospectionQuery``:
the one the gateway's GraphiQL (3.8, ``inputValueDeprecation: true``) sends, and one with
every option (descriptions, specifiedByUrl, directiveIsRepeatable, schemaDescription,
inputValueDeprecation, oneOf); and gql's ``fetch_schema_from_transport``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import gateway_settings

DATA = Path(__file__).parent / "data"
DOCUMENTS = {
    "graphiql": (DATA / "graphiql_introspection.graphql").read_text(),
    "graphql-js, all options": (DATA / "graphql_js_introspection.graphql").read_text(),
}


@pytest.fixture(scope="module")
def closed_gateway(simulators: Any) -> Iterator[str]:
    settings = gateway_settings(simulators, introspection=False)
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_standard_introspection_query_is_answered_whole(http: httpx.Client, name: str):
    response = http.post(
        "/graphql", json={"query": DOCUMENTS[name], "operationName": "IntrospectionQuery"}
    )
    assert response.status_code == 200
    body = response.json()
    assert not body.get("errors"), body.get("errors")
    types = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Customer", "Order", "Product", "Shipment"} <= types


def test_gql_fetches_the_schema_from_the_gateway(gateway_url: str):
    transport = HTTPXTransport(url=f"{gateway_url}/graphql", timeout=30)
    client = Client(transport=transport, fetch_schema_from_transport=True)
    with client as session:
        result = session.execute(gql('{ order(id: "SO-100001") { id } }'))
    assert result == {"order": {"id": "SO-100001"}}
    assert client.schema is not None
    assert "Customer" in client.schema.type_map


@pytest.mark.parametrize("name", DOCUMENTS)
def test_introspection_turned_off_is_refused_with_a_clear_error(closed_gateway: str, name: str):
    response = httpx.post(f"{closed_gateway}/graphql", json={"query": DOCUMENTS[name]})
    body = response.json()
    assert body.get("data") is None
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection has been disabled" in error["message"]


def test_gql_is_refused_schema_fetching_when_introspection_is_off(closed_gateway: str):
    client = Client(
        transport=HTTPXTransport(url=f"{closed_gateway}/graphql", timeout=30),
        fetch_schema_from_transport=True,
    )
    with pytest.raises(Exception, match="introspection has been disabled"), client:
        pass


def test_ordinary_queries_still_run_with_introspection_off(closed_gateway: str):
    response = httpx.post(
        f"{closed_gateway}/graphql",
        json={"query": '{ order(id: "SO-100001") { id __typename } }'},
    )
    assert response.json() == {"data": {"order": {"id": "SO-100001", "__typename": "Order"}}}
