"""Reading GraphQL operations out of an HTTP request, with a clear error for every mistake.

A GET carries one operation in its query string (``query``, ``variables`` and
``extensions`` as JSON text, ``operationName``); a POST carries a JSON object, or an
array of them for a batch, in an ``application/json`` body. What is not a well-formed
GraphQL-over-HTTP request raises ``BadHttpRequest`` with the status, message and
``extensions.code`` the client is told; nothing here executes anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.http import GraphQLRequestData

from schema.error_codes import BAD_REQUEST, QUERY_REJECTED, UNSUPPORTED_MEDIA_TYPE

JSON_REQUEST_TYPE = "application/json"


class BadHttpRequest(Exception):
    """The request is not a GraphQL-over-HTTP request the gateway can run."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str = BAD_REQUEST,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = extensions


@dataclass
class RequestedOperation(GraphQLRequestData):
    """An operation as the client sent it, with the id it may name a trusted document by
    (``documentId``, or ``id`` as Relay sends it; ``gateway.trusted_documents``)."""

    document_id: str | None = None


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    media, *parameters = (header or "").split(";")
    values = {}
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        values[name.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), values


def decode_json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadHttpRequest(400, f"{what} is not valid JSON ({error.msg})") from None
    except UnicodeDecodeError:
        raise BadHttpRequest(400, f"{what} is not UTF-8") from None
    except RecursionError:
        raise BadHttpRequest(400, f"{what} is nested too deeply") from None


def holds_lone_surrogate(value: object) -> bool:
    """Whether any string in ``value`` (keys too) is not encodable Unicode.

    JSON may escape half a surrogate pair (``"\\ud800"``), which decodes to text that no
    encoder accepts: left in, it fails later wherever the text is hashed, stored or
    answered, as an internal error instead of the client's.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def operation_from_mapping(data: object, where: str = "the request") -> GraphQLRequestData:
    """One operation from its JSON object, each parameter checked for its type."""
    if not isinstance(data, dict):
        raise BadHttpRequest(400, f"{where} must be a JSON object with a `query`")
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise BadHttpRequest(400, f"`query` in {where} must be a string")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadHttpRequest(400, f"`operationName` in {where} must be a string or null")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise BadHttpRequest(400, f"`variables` in {where} must be a JSON object or null")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadHttpRequest(400, f"`extensions` in {where} must be a JSON object or null")
    document_id = data.get("documentId", data.get("id"))
    if document_id is not None and not isinstance(document_id, str):
        raise BadHttpRequest(400, f"`documentId` in {where} must be a string or null")
    for name, value in (
        ("query", query),
        ("operationName", operation_name),
        ("variables", variables),
        ("extensions", extensions),
    ):
        if holds_lone_surrogate(value):
            raise BadHttpRequest(
                400,
                f"`{name}` in {where} holds a lone UTF-16 surrogate (such as \\ud800), "
                "which is not Unicode text",
            )
    return RequestedOperation(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        document_id=document_id,
    )


def operation_from_query_string(params: Mapping[str, str]) -> GraphQLRequestData:
    """A GET's operation; ``variables`` and ``extensions`` are JSON text in the URL."""
    data: dict[str, object] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
    }
    for name in ("documentId", "id"):
        if params.get(name):
            data[name] = params[name]
    for name in ("variables", "extensions"):
        text = params.get(name)
        if text:
            data[name] = decode_json(text, f"the `{name}` parameter")
    return operation_from_mapping(data)


def operations_from_body(
    content_type: str | None, body: bytes, *, max_batch_operations: int
) -> GraphQLRequestData | list[GraphQLRequestData]:
    """A POST's operation, or its batch of operations (a JSON array of them)."""
    media_type, parameters = parse_content_type(content_type)
    if media_type != JSON_REQUEST_TYPE:
        shown = media_type or "no Content-Type"
        raise BadHttpRequest(
            415,
            f"send the operation as {JSON_REQUEST_TYPE}, not {shown}",
            UNSUPPORTED_MEDIA_TYPE,
        )
    charset = parameters.get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise BadHttpRequest(
            415, f"the body must be UTF-8 encoded, not {charset}", UNSUPPORTED_MEDIA_TYPE
        )
    if not body.strip():
        raise BadHttpRequest(400, "the request body is empty: send a JSON object with a `query`")
    data = decode_json(body, "the request body")
    if not isinstance(data, list):
        return operation_from_mapping(data)
    if not data:
        raise BadHttpRequest(400, "the batch is empty: send at least one operation")
    if len(data) > max_batch_operations:
        raise BadHttpRequest(
            400,
            f"a batch may hold at most {max_batch_operations} operations, "
            f"this one holds {len(data)}",
            QUERY_REJECTED,
            limit="batch_operations",
            value=max_batch_operations,
        )
    return [
        operation_from_mapping(item, f"operation {index} of the batch")
        for index, item in enumerate(data)
    ]
