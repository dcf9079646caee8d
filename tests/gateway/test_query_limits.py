"""Query limits are checked before anything is resolved, and say which limit and its value."""

from __future__ import annotations

import httpx

from gateway.settings import Settings


def test_a_too_deep_query_is_rejected_naming_the_depth_limit(graphql_response, sim_counters):
    sim_counters.reset()
    nested = "customer { orders { " * 6
    query = '{ order(id: "SO-100001") { ' + nested + "id" + " } }" * 6 + " } }"
    body = graphql_response(query)
    assert body.get("data") is None
    assert {"code": "QUERY_REJECTED", "limit": "depth", "value": 12} in [
        error["extensions"] for error in body["errors"]
    ]
    assert all(stats["requests"] == 0 for stats in sim_counters.read().values()), (
        "a rejected query must not reach any upstream"
    )


def test_too_many_aliases_are_rejected(graphql_response):
    aliases = " ".join(f'a{i}: order(id: "SO-100001") {{ id }}' for i in range(31))
    [error] = graphql_response("{ " + aliases + " }")["errors"]
    assert error["extensions"]["limit"] == "aliases"
    assert error["extensions"]["value"] == 30


def test_a_document_with_too_many_tokens_is_rejected(graphql_response):
    query = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
    [error] = graphql_response(query)["errors"]
    assert error["extensions"]["code"] == "QUERY_REJECTED"
    assert error["extensions"]["limit"] == "tokens"


def test_an_oversized_body_is_refused_with_413(http):
    response = http.post(
        "/graphql",
        content=b'{"query": "' + b" " * 200_000 + b'{ __typename }"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["limit"] == "body_bytes"


def test_the_dashboard_query_stays_within_the_default_cost(graphql_response):
    from tests.gateway.test_upstream_calls import DASHBOARD

    body = graphql_response(DASHBOARD)
    assert not body.get("errors")


def test_introspection_can_be_turned_off(simulators):
    from gateway.app import create_app
    from gateway.server_thread import ThreadedServer

    settings = Settings(
        crm_url=simulators.crm_url,
        erp_url=simulators.erp_url,
        scm_url=simulators.scm_url,
        auth_disabled=True,
        introspection=False,
    )
    with ThreadedServer(create_app(settings)) as server:
        body = httpx.post(
            f"{server.url}/graphql", json={"query": "{ __schema { types { name } } }"}
        ).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
