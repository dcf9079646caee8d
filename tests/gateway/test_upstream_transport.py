"""Either upstream transport gives the same answers, at the same upstream cost."""

from __future__ import annotations

import httpx

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway.test_upstream_calls import DASHBOARD, calls_by_operation
from tests.gateway_fixtures import gateway_settings


def cold_answer(simulators, sim_counters, transport: str) -> tuple[dict, dict]:
    settings = gateway_settings(simulators, upstream_transport=transport)
    with ThreadedServer(create_app(settings)) as server:
        sim_counters.reset()
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": DASHBOARD},
            headers={"Cache-Control": "no-cache"},
            timeout=30.0,
        )
    assert response.status_code == 200
    return response.json(), calls_by_operation(sim_counters.read())


def test_the_dashboard_answers_alike_over_either_transport(simulators, sim_counters):
    over_httpcore, httpcore_calls = cold_answer(simulators, sim_counters, "httpcore")
    over_keepalive, keepalive_calls = cold_answer(simulators, sim_counters, "keepalive")

    assert "errors" not in over_keepalive
    assert over_keepalive == over_httpcore
    assert keepalive_calls == httpcore_calls
