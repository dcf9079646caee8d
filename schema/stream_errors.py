"""Error codes for each result of a stream, not only for an operation's last one.

``ErrorCodes`` rewrites an operation's errors once it has finished; a subscription
sends its results while it runs, so each of them passes through ``with_code`` here,
before it goes out over the WebSocket or the event stream. ``with_code`` is idempotent,
so ``ErrorCodes`` may see the same errors again at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from schema.error_codes import with_code


class StreamErrorCodes(SchemaExtension):
    def on_stream_result(self, result: object) -> Iterator[None]:
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [with_code(error) for error in result.errors]
        yield
