"""Fragments that expand exponentially or spread themselves are refused, and cheaply.

How cheaply is asserted by the walk's count of visited selections
(``tests/schema/test_limits.py``); here, over HTTP, that a bomb is refused with the cost
limit while ``/healthz`` keeps answering, and a cycle is a validation error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import gateway_settings
from tests.hostile_documents import fragment_bomb, fragment_chain


@pytest.fixture
def own_gateway(simulators: Any) -> Iterator[str]:
    """A gateway of its own: a bomb that got through would stall no other test's."""
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server.url


def test_a_fragment_bomb_is_refused_while_healthz_keeps_answering(own_gateway, sim_counters):
    sim_counters.reset()
    # 30 fragments: 2**30 leaves; expanded one by one this took the loop for hours.
    bomb = fragment_bomb(30)
    assert len(bomb) < 2_000
    answers: list[httpx.Response] = []

    def send_bombs() -> None:
        with httpx.Client(base_url=own_gateway, timeout=60) as client:
            answers.extend(client.post("/graphql", json={"query": bomb}) for _ in range(3))

    sender = threading.Thread(target=send_bombs)
    sender.start()
    try:
        # Generous: a stalled loop would not answer within hours, a free one in ms.
        health = [httpx.get(f"{own_gateway}/healthz", timeout=10) for _ in range(3)]
    finally:
        sender.join(timeout=60)
    assert [response.status_code for response in health] == [200, 200, 200]
    assert len(answers) == 3
    for answer in answers:
        [error] = answer.json()["errors"]
        assert error["extensions"] == {"code": "QUERY_REJECTED", "limit": "cost", "value": 250_000}
    assert all(stats["requests"] == 0 for stats in sim_counters.read().values())


def test_a_fragment_cycle_through_fields_is_a_validation_error(graphql_response):
    query = """query Loop { customer(id: "C-000001") { ...A } }
        fragment A on Customer { orders { customer { ...A } } }"""
    body = graphql_response(query)
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "Cannot spread fragment 'A' within itself" in error["message"]


def test_a_fragment_cycle_through_other_fragments_is_a_validation_error(graphql_response):
    query = """{ customer(id: "C-000001") { ...A } }
        fragment A on Customer { orders { customer { ...B } } }
        fragment B on Customer { id ...A }"""
    [error] = graphql_response(query)["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "within itself via 'B'" in error["message"]


def test_a_chain_of_600_fragments_is_refused_naming_the_nesting_limit(graphql_response):
    body = graphql_response(fragment_chain(600))
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_REJECTED",
        "limit": "fragment_nesting",
        "value": 50,
    }
