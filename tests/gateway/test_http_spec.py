"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) at /graphql.

Media types: the answer is ``application/graphql-response+json`` when the client ranks
it highest and ``application/json`` without an Accept header, for wildcards, or when the
client asks for it. Under graphql-response+json a request that was never executed (parse,
validation, variable coercion, query limits) is a 400 without a ``data`` entry; under
application/json it is a 200, as the spec asks for legacy clients. What is not a
GraphQL-over-HTTP request at all gets a 4xx JSON error under either. The last test runs
the npm package graphql-http's own audit suite against the gateway.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import gateway_settings

GRAPHQL_JSON = "application/graphql-response+json"
JSON = "application/json"
AS_GRAPHQL_JSON = {"accept": GRAPHQL_JSON}
AS_JSON = {"accept": JSON}

AUDIT_DIR = Path(__file__).parents[1] / "http_audit"
# Audits of graphql-http the gateway deliberately does not pass, with the reason.
# None today: every MUST, SHOULD and MAY audit passes.
DELIBERATELY_SKIPPED: dict[str, str] = {}


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def test_a_client_that_accepts_graphql_response_json_gets_it(http):
    response = http.post("/graphql", json={"query": "{ __typename }"}, headers=AS_GRAPHQL_JSON)
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_JSON
    assert response.headers["content-type"].endswith("charset=utf-8")
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "", "*/*", "application/*", JSON, "text/html, */*;q=0.8"])
def test_application_json_answers_a_missing_accept_header_wildcards_and_json(http, accept):
    request = http.build_request("POST", "/graphql", json={"query": "{ __typename }"})
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    response = http.send(request)
    assert response.request.headers.get("accept") == accept
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (f"{GRAPHQL_JSON}, {JSON};q=0.9", GRAPHQL_JSON),
        (f"{JSON}, {GRAPHQL_JSON}", JSON),
        (f"{GRAPHQL_JSON};q=0.5, {JSON};q=0.9", JSON),
        (f"{GRAPHQL_JSON}, */*", GRAPHQL_JSON),
        (f"application/*;q=0.5, {JSON};q=0", GRAPHQL_JSON),
        (f"*/*, {GRAPHQL_JSON};q=0", JSON),
    ],
)
def test_the_acceptable_media_type_the_client_ranks_highest_is_used(http, accept, expected):
    response = http.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert response.status_code == 200
    assert media_type(response) == expected
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", f"{GRAPHQL_JSON};q=0, {JSON};q=0", "nonsense"]
)
def test_an_accept_header_allowing_neither_json_type_gets_406_in_json(http, accept):
    response = http.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert response.status_code == 406
    assert media_type(response) == JSON
    assert only_error(response)["extensions"]["code"] == "NOT_ACCEPTABLE"


REQUEST_ERRORS = {
    "parse": ({"query": "{ order(id: "}, "GRAPHQL_PARSE_FAILED"),
    "validation": ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
    "coercion": (
        {"query": "query ($id: ID!) { order(id: $id) { id } }", "variables": {"id": None}},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "operation": (
        {"query": "query A { __typename }", "operationName": "B"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "several operations, none named": (
        {"query": "query A { __typename } query B { __typename }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "depth": (
        {"query": '{ order(id: "SO-1") { ' + "customer { orders { " * 6 + "id" + " } }" * 7},
        "QUERY_REJECTED",
    ),
}


@pytest.mark.parametrize("case", sorted(REQUEST_ERRORS))
def test_a_request_error_is_400_under_graphql_response_json_and_200_under_json(http, case):
    body, code = REQUEST_ERRORS[case]
    strict = http.post("/graphql", json=body, headers=AS_GRAPHQL_JSON)
    legacy = http.post("/graphql", json=body, headers=AS_JSON)
    assert (strict.status_code, legacy.status_code) == (400, 200)
    assert (media_type(strict), media_type(legacy)) == (GRAPHQL_JSON, JSON)
    # Nothing was executed: no `data` entry at all, under either media type.
    assert strict.json() == legacy.json()
    assert "data" not in strict.json()
    assert {error["extensions"]["code"] for error in strict.json()["errors"]} == {code}


def test_a_field_error_that_nulls_all_data_is_still_200_with_a_null_data_entry(http):
    # `customers` is non-null, so its BAD_USER_INPUT error nulls `data`: it was executed.
    body = {"query": "{ customers(first: 500) { edges { cursor } } }"}
    for headers in (AS_GRAPHQL_JSON, AS_JSON):
        response = http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200
        answer = response.json()
        assert answer["data"] is None
        [error] = answer["errors"]
        assert error["path"] == ["customers"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_mutation_sent_as_a_get_is_refused_with_405_before_reaching_the_crm(http, sim_counters):
    sim_counters.reset()
    for headers in (AS_GRAPHQL_JSON, AS_JSON):
        response = http.get(
            "/graphql",
            params={"query": 'mutation { cancelOrder(id: "SO-100001") { id status } }'},
            headers=headers,
        )
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert sim_counters.read()["crm"]["requests"] == 0


def test_a_get_runs_a_query_with_json_variables_from_the_url(http):
    response = http.get(
        "/graphql",
        params={
            "query": "query ($code: ID!) { product(code: $code) { code } }",
            "variables": json.dumps({"code": "P-1002"}),
        },
        headers=AS_GRAPHQL_JSON,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"product": {"code": "P-1002"}}}


def test_a_subscription_over_plain_http_is_refused_pointing_at_the_websocket(http):
    query = 'subscription { orderTrackingUpdated(orderId: "SO-100001") { stage } }'
    response = http.post("/graphql", json={"query": query})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]


def test_a_batch_holding_a_subscription_runs_none_of_its_operations(http, sim_counters):
    batch = [
        {"query": '{ order(id: "SO-100001") { id } }'},
        {"query": 'subscription { orderTrackingUpdated(orderId: "SO-100001") { stage } }'},
    ]
    sim_counters.reset()

    response = http.post("/graphql", json=batch, headers={"Cache-Control": "no-cache"})

    assert response.status_code == 400
    assert "WebSocket" in only_error(response)["message"]
    assert all(
        figures["calls"] == 0
        for system in sim_counters.read().values()
        for figures in system["operations"].values()
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_methods_other_than_get_and_post_get_a_json_405(http, method):
    response = http.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


MALFORMED_BODIES = {
    "not JSON": (b'{"query": "{ __typename }"', "not valid JSON"),
    "empty body": (b"", "empty"),
    "not UTF-8": (b'{"query": "\xff"}', "UTF-8"),
    "a JSON string": (b'"{ __typename }"', "JSON object"),
    "no query": (b'{"variables": {}}', "`query`"),
    "empty query": (b'{"query": ""}', "`query`"),
    "query not a string": (b'{"query": ["{ __typename }"]}', "`query`"),
    "variables not an object": (b'{"query": "{ __typename }", "variables": "{}"}', "`variables`"),
    "extensions a list": (b'{"query": "{ __typename }", "extensions": []}', "`extensions`"),
    "operationName a number": (b'{"query": "{ __typename }", "operationName": 1}', "operationName"),
    "nested too deeply": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "an empty batch": (b"[]", "empty"),
    "a batch item not an object": (b'[{"query": "{ __typename }"}, 7]', "operation 1 of the batch"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_BODIES))
def test_a_malformed_body_gets_a_400_json_error_naming_the_problem(simulators, case):
    content, phrase = MALFORMED_BODIES[case]
    # A gateway with room for the deeply nested body; the default limit is 100 kB.
    with ThreadedServer(create_app(gateway_settings(simulators, max_body_bytes=300_000))) as gw:
        for accept in (GRAPHQL_JSON, JSON):
            response = httpx.post(
                f"{gw.url}/graphql",
                content=content,
                headers={"content-type": "application/json", "accept": accept},
            )
            assert response.status_code == 400, response.text
            assert media_type(response) == accept
            error = only_error(response)
            assert error["extensions"]["code"] == "BAD_REQUEST"
            assert phrase in error["message"]


def test_get_parameters_that_are_not_json_get_a_400_naming_the_parameter(http):
    response = http.get("/graphql", params={"query": "{ __typename }", "variables": "{nope"})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "`variables`" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_a_body_sent_as_anything_but_utf8_json_gets_415(http, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    response = http.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.request.headers.get("content-type") == content_type
    assert response.status_code == 415
    assert only_error(response)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_chunked_body_past_the_size_limit_is_refused_with_413(http):
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(30):
            yield b" " * 5_000
        yield b'"}'

    response = http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    extensions = only_error(response)["extensions"]
    assert extensions == {"code": "QUERY_REJECTED", "limit": "body_bytes", "value": 100_000}


def test_a_batch_answers_each_operation_in_order_with_its_own_errors(http):
    batch = [
        {"query": '{ product(code: "P-1002") { code } }'},
        {"query": "{ noSuchField }"},
        {"query": "query ($id: ID!) { order(id: $id) { id } }", "variables": {"id": "SO-100001"}},
    ]
    response = http.post("/graphql", json=batch, headers=AS_GRAPHQL_JSON)
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == {"data": {"product": {"code": "P-1002"}}}
    assert set(second) == {"errors"}
    assert second["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert third == {"data": {"order": {"id": "SO-100001"}}}


def test_a_batch_longer_than_the_configured_limit_is_refused_naming_the_limit(simulators):
    settings = gateway_settings(simulators, max_batch_operations=2)
    batch = [{"query": "{ __typename }"}] * 3
    with ThreadedServer(create_app(settings)) as gw:
        allowed = httpx.post(f"{gw.url}/graphql", json=batch[:2])
        refused = httpx.post(f"{gw.url}/graphql", json=batch)
    assert allowed.status_code == 200
    assert len(allowed.json()) == 2
    assert refused.status_code == 400
    error = only_error(refused)
    assert error["extensions"] == {
        "code": "QUERY_REJECTED",
        "limit": "batch_operations",
        "value": 2,
    }
    assert "at most 2 operations" in error["message"]


def test_the_default_batch_limit_is_ten_operations(http):
    response = http.post("/graphql", json=[{"query": "{ __typename }"}] * 11)
    assert response.status_code == 400
    assert only_error(response)["extensions"]["value"] == 10


def test_an_unknown_persisted_query_is_a_request_error_under_either_media_type(http):
    sha = hashlib.sha256(b"{ __typename } # never sent").hexdigest()
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    strict = http.post("/graphql", json=body, headers=AS_GRAPHQL_JSON)
    legacy = http.post("/graphql", json=body, headers=AS_JSON)
    assert (strict.status_code, legacy.status_code) == (400, 200)
    assert only_error(strict)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert only_error(legacy)["message"] == "PersistedQueryNotFound"


def test_graphiql_still_opens_on_the_examples_for_a_browser(http):
    response = http.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert "GraphiQL" in response.text
    assert "query Dashboard" in response.text  # the examples, in the page's config


def test_a_missing_token_gets_401_in_the_negotiated_media_type(secured_gateway_url):
    response = httpx.post(
        f"{secured_gateway_url}/graphql", json={"query": "{ __typename }"}, headers=AS_GRAPHQL_JSON
    )
    assert response.status_code == 401
    assert media_type(response) == GRAPHQL_JSON
    assert only_error(response)["extensions"]["code"] == "UNAUTHENTICATED"


def test_every_graphql_http_audit_passes(gateway_url):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: graphql-http's audit suite runs on Node 20")
    installed = (AUDIT_DIR / "node_modules" / "graphql-http").is_dir()
    if not installed and os.environ.get("CI") != "true":
        pytest.skip("run `npm ci --prefix tests/http_audit` to audit (.ci/run does, and fails)")
    assert installed, (
        "graphql-http is not installed: run `npm ci --prefix tests/http_audit` (.ci/run does)"
    )
    finished = subprocess.run(
        [node, str(AUDIT_DIR / "run_audits.mjs"), f"{gateway_url}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads(finished.stdout)
    for result in results:
        outcome = result["status"] if result["id"] not in DELIBERATELY_SKIPPED else "skipped"
        print(f"{outcome:7} {result['id']} {result['name']}", result["reason"] or "")
    # The suite really ran: it holds 61 audits in graphql-http 1.23.1.
    assert len(results) >= 60
    for level in ("MUST", "SHOULD", "MAY"):
        assert any(result["name"].startswith(level) for result in results), level
    failed = [
        f"{result['id']} {result['name']}: {result['reason']} (HTTP {result['responseStatus']})"
        for result in results
        if result["status"] != "ok" and result["id"] not in DELIBERATELY_SKIPPED
    ]
    assert failed == []
