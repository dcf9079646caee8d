"""The cap on what a request's answers really hold, counted while they are completed.

The cost estimate (``schema.limits``) screens a query with assumed list sizes, which can be
wrong both ways; this counts the fields graphql-core actually completes (each object's
selected fields, list items' included) and, past ``GATEWAY_MAX_ANSWER_FIELDS``, stops:
every object completed afterwards fails at once, and the request's answer becomes one
``QUERY_REJECTED`` error (``limit: answer_fields``) with no data rather than a partial
answer nulled in a thousand places. A batch's operations share one count (the request's
context carries it); a subscription counts each event on its own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import ExecutionResult, GraphQLError, GraphQLObjectType
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path

from core.errors import QueryRejectedError
from schema.lean_resolvers import LeanLeaves


class AnswerFields:
    """Fields completed so far for one request (or one subscription event)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.breach: QueryRejectedError | None = None

    def add(self, fields: int) -> None:
        self.count += fields
        if self.count <= self.limit:
            return
        if self.breach is None:
            self.breach = QueryRejectedError(
                f"the answer would hold more than {self.limit} fields; "
                "ask for fewer items or fewer fields",
                limit="answer_fields",
                value=self.limit,
            )
        raise self.breach


class AnswerSizeCapped(LeanLeaves):
    """graphql-core's executor (lean leaves: ``schema.lean_resolvers``), counting each
    object's fields as it completes them."""

    # Set per schema by ``capped_at``.
    max_answer_fields: ClassVar[int] = 500_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answer_fields = self.fresh_count()

    def fresh_count(self) -> AnswerFields:
        shared = getattr(self.context_value, "answer_fields", None)
        return shared if isinstance(shared, AnswerFields) else AnswerFields(self.max_answer_fields)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        self.answer_fields.add(len(grouped_field_set))
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        breach = self.answer_fields.breach
        if breach is None:
            return response
        # One error for the request, not one per object completed past the cap.
        error = GraphQLError(breach.message, original_error=breach, extensions=breach.extensions())
        return ExecutionResult(None, [error])

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        if isinstance(executor, AnswerSizeCapped):
            executor.answer_fields = executor.fresh_count()
        return executor


def capped_at(max_answer_fields: int) -> type[AnswerSizeCapped]:
    """An executor class for a schema whose answers may hold at most this many fields."""
    return type("AnswerSizeCapped", (AnswerSizeCapped,), {"max_answer_fields": max_answer_fields})
