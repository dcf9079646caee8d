"""Trusted documents (``GATEWAY_TRUSTED_DOCUMENTS``): only the manifest's operations run.

Manifests are written as Apollo's ``generate-persisted-query-manifest`` and Relay's
compiler write them; requests come as Apollo Client (``extensions.persistedQuery``),
Relay (``documentId``/``id``), a plain GraphQL client (gql, the full text) and a
WebSocket client send them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError, TransportServerError
from gql.transport.httpx import HTTPXTransport
from websockets.typing import Subprotocol

from core.errors import ConfigurationError
from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway.live_helpers import free_port
from tests.gateway_fixtures import SimCounters, gateway_settings

ROOT = Path(__file__).resolve().parents[2]
ORDER_STATUS = "query OrderStatus($id: ID!) {\n  order(id: $id) {\n    id\n    status\n  }\n}"
CUSTOMER_NAME = "query CustomerName($id: ID!) {\n  customer(id: $id) {\n    name\n  }\n}"
NOT_LISTED = "{ customers(first: 50) { name orders { id lines { quantity } } } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apollo_manifest(path: Path) -> Path:
    operations = [
        {"id": sha256(body), "name": name, "type": "query", "body": body}
        for name, body in (("OrderStatus", ORDER_STATUS), ("CustomerName", CUSTOMER_NAME))
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


def relay_manifest(path: Path) -> Path:
    # relay-compiler's local persisting names each text by its MD5.
    path.write_text(json.dumps({hashlib.md5(ORDER_STATUS.encode()).hexdigest(): ORDER_STATUS}))
    return path


@pytest.fixture
def safelisted(simulators, tmp_path) -> Iterator[str]:
    settings = gateway_settings(
        simulators, trusted_documents=str(apollo_manifest(tmp_path / "manifest.json"))
    )
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


def post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, timeout=30)


def test_a_listed_operation_runs_by_its_apollo_hash_its_document_id_or_its_text(safelisted):
    variables = {"id": "SO-100001"}
    by_hash = post(
        safelisted,
        {
            "variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(ORDER_STATUS)}},
        },
    )
    by_document_id = post(safelisted, {"documentId": sha256(ORDER_STATUS), "variables": variables})
    by_get = httpx.get(
        f"{safelisted}/graphql",
        params={"documentId": sha256(ORDER_STATUS), "variables": json.dumps(variables)},
    )
    by_text = post(safelisted, {"query": ORDER_STATUS, "variables": variables})

    expected = {
        "data": {"order": {"id": "SO-100001", "status": by_text.json()["data"]["order"]["status"]}}
    }
    for response in (by_hash, by_document_id, by_get, by_text):
        assert response.status_code == 200, response.text
        assert response.json() == expected


def test_an_operation_not_in_the_manifest_is_refused_before_any_upstream_call(
    safelisted, simulators
):
    counters = SimCounters(simulators)
    counters.reset()
    free_text = post(safelisted, {"query": NOT_LISTED})
    unknown_id = post(safelisted, {"documentId": sha256(NOT_LISTED)})
    # APQ's registration (hash and text) is no way in either: nothing is stored.
    registration = post(
        safelisted,
        {
            "query": NOT_LISTED,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(NOT_LISTED)}},
        },
    )
    calls = sum(int(stats["requests"]) for stats in counters.read().values())

    for response in (free_text, unknown_id, registration):
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_ALLOWED"}
    assert "trusted documents" in free_text.json()["errors"][0]["message"]
    assert calls == 0


def test_a_plain_graphql_client_runs_listed_texts_and_is_refused_others(safelisted):
    transport = HTTPXTransport(url=f"{safelisted}/graphql")
    with Client(transport=transport) as session:
        # gql sends the document as graphql-core prints it: as Apollo's manifest holds it.
        data = session.execute(GraphQLRequest(CUSTOMER_NAME, variable_values={"id": "C-000001"}))
        with pytest.raises((TransportQueryError, TransportServerError)) as refused:
            session.execute(gql(NOT_LISTED))

    assert set(data["customer"]) == {"name"}
    assert "400" in str(refused.value) or "PERSISTED_QUERY_NOT_ALLOWED" in str(refused.value)


async def test_a_websocket_runs_only_listed_texts_too(safelisted):
    url = safelisted.replace("http://", "ws://") + "/graphql"
    answers: dict[str, dict[str, Any]] = {}
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 15))["type"] == "connection_ack"
        listed = {"query": ORDER_STATUS, "variables": {"id": "SO-100001"}}
        await ws.send(json.dumps({"id": "listed", "type": "subscribe", "payload": listed}))
        await ws.send(
            json.dumps({"id": "other", "type": "subscribe", "payload": {"query": NOT_LISTED}})
        )
        while len(answers) < 2:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] in ("next", "error"):
                answers[message["id"]] = message

    assert answers["listed"]["payload"]["data"]["order"]["id"] == "SO-100001"
    other = answers["other"]["payload"]
    errors = other if isinstance(other, list) else other["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["PERSISTED_QUERY_NOT_ALLOWED"]


def test_a_relay_manifest_is_read_and_its_ids_run(simulators, tmp_path):
    settings = gateway_settings(
        simulators, trusted_documents=str(relay_manifest(tmp_path / "persisted_queries.json"))
    )
    with ThreadedServer(create_app(settings)) as server:
        by_id = post(
            server.url,
            {
                "id": hashlib.md5(ORDER_STATUS.encode()).hexdigest(),
                "variables": {"id": "SO-100002"},
            },
        )
        other = post(server.url, {"query": CUSTOMER_NAME, "variables": {"id": "C-000001"}})

    assert by_id.json()["data"]["order"]["id"] == "SO-100002"
    assert other.status_code == 400


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "is not JSON"),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": []}',
            "no operations",
        ),
        (
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [{"id": "0" * 64, "name": "X", "type": "query", "body": "{ x }"}],
                }
            ),
            "not its body's SHA-256",
        ),
        ('{"operations": 3}', "neither"),
    ],
)
def test_a_broken_manifest_stops_the_gateway_being_built(simulators, tmp_path, content, reason):
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=reason):
        create_app(gateway_settings(simulators, trusted_documents=str(path)))


def test_serve_refuses_to_start_on_a_missing_manifest_and_says_why(simulators, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "GATEWAY_CRM_URL": simulators.crm_url,
        "GATEWAY_ERP_URL": simulators.erp_url,
        "GATEWAY_SCM_URL": simulators.scm_url,
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_TRUSTED_DOCUMENTS": str(tmp_path / "missing.json"),
    }
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(free_port())]
    finished = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode != 0
    assert "refusing to start: GATEWAY_TRUSTED_DOCUMENTS" in finished.stderr
    assert "cannot be read" in finished.stderr
