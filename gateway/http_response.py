"""Status code and body of a GraphQL answer over HTTP, by the response media type.

The GraphQL-over-HTTP rules (https://graphql.github.io/graphql-over-http/draft/):

* a *request error* (the document did not parse or validate, a variable did not
  coerce, the operation could not be chosen, a query limit refused it) means nothing
  was executed: the answer has ``errors`` and no ``data`` entry;
* with ``application/graphql-response+json`` a request error is a 400 (500 if the
  gateway itself failed), and an executed operation is a 200, whatever its field errors;
* with ``application/json`` every well-formed request gets 200.

A request that is not a well-formed GraphQL-over-HTTP request at all (bad JSON, no
``query``, a wrong Content-Type) is refused with a 4xx by either media type before any of
this (``gateway.http_request``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import orjson
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.execution import ExecutionResult

from gateway.http_media import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON
from schema.error_codes import INTERNAL_ERROR


def is_request_error(result: ExecutionResult) -> bool:
    """True when the operation never ran: no data, and no error belongs to a field."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def request_error_status(media_type: str, codes: Sequence[str]) -> int:
    if media_type != GRAPHQL_RESPONSE_JSON:
        return 200
    return 500 if INTERNAL_ERROR in codes else 400


def status_of(media_type: str, result: ExecutionResult) -> int:
    if not is_request_error(result):
        return 200
    codes = [str((error.extensions or {}).get("code", "")) for error in result.errors or ()]
    return request_error_status(media_type, codes)


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE_JSON else media_type


def json_response(
    body: GraphQLHTTPResponse | Sequence[GraphQLHTTPResponse] | Mapping[str, object],
    status: int,
    media_type: str | None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """UTF-8 JSON in the negotiated media type; ``Vary: Accept`` since the type depends on it."""
    response = Response(
        encode(body),
        status_code=status,
        headers={"Vary": "Accept", **(headers or {})},
        media_type=content_type(media_type or APPLICATION_JSON),
    )
    return response


def encode(body: object) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:
        # orjson refuses integers past 64 bits and lone surrogates; ASCII-escaped JSON does not.
        return json.dumps(body, default=str).encode()


def error_body(message: str, code: str, **extensions: object) -> dict[str, object]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
