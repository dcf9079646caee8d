"""The runtime reaches the views through the lifespan's state, never set on them."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request

from gateway.app import create_app
from gateway.lifespan_state import runtime_of
from gateway.server_thread import ThreadedServer
from tests.gateway.test_upstream_calls import calls_by_operation
from tests.gateway_fixtures import gateway_settings


def test_a_request_without_the_lifespans_state_is_refused_rather_than_served_half_built():
    with pytest.raises(RuntimeError, match="lifespan has not started"):
        runtime_of(Request({"type": "http", "state": {}}))


def test_two_apps_in_one_process_each_answer_from_their_own_runtime(simulators, sim_counters):
    # Each app's lifespan opens a runtime of its own (its pool, its cache prefix); a view
    # that kept one on itself would be the only thing telling them apart.
    first = create_app(gateway_settings(simulators))
    second = create_app(gateway_settings(simulators))
    query = {"query": '{ order(id: "SO-100010") { id } }'}
    with ThreadedServer(first) as one, ThreadedServer(second) as two:
        assert first.state.runtime is not second.state.runtime
        sim_counters.reset()
        for server in (one, two):
            answer = httpx.post(f"{server.url}/graphql", json=query, timeout=30.0)
            assert answer.json() == {"data": {"order": {"id": "SO-100010"}}}
        cold_calls = calls_by_operation(sim_counters.read())
        sim_counters.reset()
        for server in (one, two):
            httpx.post(f"{server.url}/graphql", json=query, timeout=30.0)
        warm_calls = calls_by_operation(sim_counters.read())
    # Each app read the order once into its own cache, then answered from it.
    assert list(cold_calls.values()) == [2]
    assert warm_calls == {}
