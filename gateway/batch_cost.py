"""The cost limit holds for a whole request: a batch's operations share it.

Each operation is also held to the limit on its own when it runs (``schema.limits``), but
ten operations each just under it made a request ten times the limit. A batch whose
operations together would resolve more is refused before any of them runs, like a batch
with too many operations: 400 with ``QUERY_REJECTED``, ``limit: cost``.
"""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.http import GraphQLRequestData

from gateway.http_request import BadHttpRequest
from gateway.operation_choice import OperationChoice
from schema.build import GatewaySchema
from schema.error_codes import QUERY_REJECTED
from schema.limits import COST_CEILING, about, estimated_cost
from schema.strawberry_internals import graphql_schema


def batch_cost(
    schema: GatewaySchema,
    operations: Sequence[GraphQLRequestData],
    choices: Sequence[OperationChoice],
) -> int:
    total = 0
    for operation, choice in zip(operations, choices, strict=True):
        if choice.document is None or choice.ambiguous:
            continue  # it runs nothing; its own answer says why
        cost = estimated_cost(
            graphql_schema(schema),
            choice.document,
            operation.operation_name,
            operation.variables or {},
            schema.limits,
        )
        total = min(total + cost, COST_CEILING)
    return total


def refuse_costly_batch(
    schema: object,
    operations: Sequence[GraphQLRequestData],
    choices: Sequence[OperationChoice],
) -> None:
    if not isinstance(schema, GatewaySchema):
        return
    limit = schema.limits.max_cost
    cost = batch_cost(schema, operations, choices)
    if cost > limit:
        raise BadHttpRequest(
            400,
            f"the batch's operations would resolve {about(cost)} fields together; "
            f"the limit is {limit} for the whole request",
            QUERY_REJECTED,
            limit="cost",
            value=limit,
        )
