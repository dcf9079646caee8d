"""Half a UTF-16 surrogate pair anywhere in a request is the client's error (400), not ours.

JSON can escape a lone surrogate (``"\\ud800"``); Python decodes it to text that cannot
be encoded, and the gateway used to fail on it wherever it hashed the request for its
answer cache: 500 ``INTERNAL_ERROR``.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.http_media import GRAPHQL_RESPONSE_JSON

JSON = {"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE_JSON}


def expect_request_error(response: httpx.Response, parameter: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert f"`{parameter}`" in error["message"]
    assert "surrogate" in error["message"]


@pytest.mark.parametrize(
    ("parameter", "body"),
    [
        ("query", b'{"query": "{ __typename } # \\ud800"}'),
        ("query", b'{"query": "{ order(id: \\"\\ud800\\") { id } }"}'),
        ("operationName", b'{"query": "query Q { __typename }", "operationName": "\\udc00"}'),
        ("variables", b'{"query": "{ __typename }", "variables": {"a": "\\ud800"}}'),
        ("variables", b'{"query": "{ __typename }", "variables": {"a": [{"b": "\\ud800"}]}}'),
        ("variables", b'{"query": "{ __typename }", "variables": {"\\udc00": 1}}'),
        ("extensions", b'{"query": "{ __typename }", "extensions": {"e": "\\ud800"}}'),
    ],
)
def test_a_posted_lone_surrogate_is_a_400_naming_its_parameter(http, parameter, body):
    expect_request_error(http.post("/graphql", content=body, headers=JSON), parameter)


def test_a_lone_surrogate_in_one_operation_of_a_batch_refuses_the_batch(http):
    body = b'[{"query": "{ __typename }"}, {"query": "{ __typename }", "operationName": "\\ud800"}]'
    response = http.post("/graphql", content=body, headers=JSON)
    expect_request_error(response, "operationName")
    assert "operation 1 of the batch" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("parameter", ["variables", "extensions"])
def test_a_lone_surrogate_in_a_get_parameters_json_is_a_400(http, parameter):
    params = {"query": "{ __typename }", parameter: '{"a": "\\ud800"}'}
    expect_request_error(http.get("/graphql", params=params, headers=JSON), parameter)


def test_surrogate_bytes_in_a_get_query_and_operation_name_are_no_internal_error(http):
    # A URL can carry a surrogate only as its (invalid) UTF-8 bytes, which decode as U+FFFD.
    response = http.get(
        "/graphql?query=%7B__typename%7D%23%ED%A0%80&operationName=%ED%A0%80", headers=JSON
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_valid_surrogate_pair_is_text_like_any_other(http):
    body = b'{"query": "{ __typename } # \\ud83d\\ude00", "variables": {"a": "\\ud83d\\ude00"}}'
    response = http.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
