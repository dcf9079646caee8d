"""Which operation of its document a request runs, known before anything runs.

The spec's GetOperation: without ``operationName`` a document must hold exactly one
operation (strawberry would quietly run the first). And a request's operations are all
checked against what its method may run before any of them starts, so a batch holding a
subscription, or a GET holding a mutation, runs nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, OperationDefinitionNode, get_operation_ast, parse
from strawberry.http import GraphQLRequestData
from strawberry.types.graphql import OperationType

from schema.build import GatewaySchema


@dataclass(frozen=True, slots=True)
class OperationChoice:
    # None when the text does not parse (execution reports it) or names no operation.
    definition: OperationDefinitionNode | None
    # Several operations and no operationName to choose one.
    ambiguous: bool = False
    # The parsed text, None when it does not parse.
    document: DocumentNode | None = None

    @property
    def operation_type(self) -> OperationType | None:
        if self.definition is None:
            return None
        return OperationType(self.definition.operation.value)


def choose(schema: object, operation: GraphQLRequestData) -> OperationChoice:
    query = operation.query or ""
    document = (
        schema.parser.parse_or_none(query)
        if isinstance(schema, GatewaySchema)
        else parse(query, no_location=True)
    )
    if document is None:
        return OperationChoice(None)
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation.operation_name is None and len(definitions) > 1:
        return OperationChoice(None, ambiguous=True, document=document)
    return OperationChoice(get_operation_ast(document, operation.operation_name), document=document)
