"""The one place where errors become GraphQL errors with ``extensions.code``.

A ``SupplyGraphError`` reports its own code (and ``system`` for upstream failures). Input
the gateway cannot even send upstream is the client's error, not the system's:
``INPUT_TOO_LARGE`` (with ``system``, ``limit``, ``value``) or ``BAD_USER_INPUT``.
Errors of the GraphQL layer itself (syntax, validation, variable coercion) keep their
message and get ``GRAPHQL_PARSE_FAILED`` or ``GRAPHQL_VALIDATION_FAILED``. Anything else
is a bug: it is logged with its stack and reaches the client only as ``INTERNAL_ERROR``
with a generic message, so no stack trace or upstream secret leaks.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from core.errors import SupplyGraphError

INTERNAL_ERROR = "INTERNAL_ERROR"
INTERNAL_MESSAGE = "Internal error; the gateway logged the details."
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

# Codes of requests the endpoint refuses before any GraphQL work (gateway.graphql_view):
# the body is not a GraphQL-over-HTTP request (bad JSON, no `query`, a parameter of the
# wrong type), its Content-Type or the Accept header cannot be served, a mutation came
# as a GET, the token did not verify, or GraphiQL is turned off (NOT_FOUND). Breaking a
# configured limit (body size, batch length, depth, ...) is QUERY_REJECTED with `limit`
# and `value`.
BAD_REQUEST = "BAD_REQUEST"
NOT_FOUND = "NOT_FOUND"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNAUTHENTICATED = "UNAUTHENTICATED"
QUERY_REJECTED = "QUERY_REJECTED"
# A field whose keys would make an upstream request too large to send (core.errors).
INPUT_TOO_LARGE = "INPUT_TOO_LARGE"
# Safelist mode (GATEWAY_TRUSTED_DOCUMENTS): the operation is not in the manifest (400).
PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
# A client's requests or query cost per window are spent (429 with Retry-After).
RATE_LIMITED = "RATE_LIMITED"


def with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, SupplyGraphError):
        extensions = {**(error.extensions or {}), **original.extensions()}
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions=extensions,
        )
    if original is None or isinstance(original, GraphQLError):
        if error.extensions and "code" in error.extensions:
            return error
        code = GRAPHQL_VALIDATION_FAILED if error.path is None else "BAD_USER_INPUT"
        extra: dict[str, object] = {}
        if "tokens" in error.message and "Parsing aborted" in error.message:
            code, extra = QUERY_REJECTED, {"limit": "tokens"}
        elif error.message.startswith("Syntax Error"):
            code = GRAPHQL_PARSE_FAILED
        error.extensions = {**(error.extensions or {}), "code": code, **extra}
        return error
    return GraphQLError(
        INTERNAL_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": INTERNAL_ERROR},
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [with_code(error) for error in result.errors]
