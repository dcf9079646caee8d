"""Query limits, checked on the parsed document before anything is resolved.

Depth, aliases and an estimated cost are computed in one walk over each operation, with
fragments expanded. The cost counts every field the answer would hold: a list field
multiplies what is below it by its ``first`` argument, the length of its ``ids``/``codes``
list, or a default size. Variables are known at this point, so ``first: $n`` counts as
what ``$n`` is. A breach answers with ``QUERY_REJECTED`` naming the limit and its value,
before validation or any upstream call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    validate,
)
from graphql.language import IntValueNode
from graphql.type import GraphQLNamedType
from strawberry.extensions import SchemaExtension

from cache.documents import DocumentCache
from gateway.errors import QueryRejectedError

SIZE_ARGUMENTS = ("ids", "codes")


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 250_000
    # Lists without a size argument (order lines, stock per warehouse) are short.
    default_list_size: int = 5


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def unwrap(graphql_type: Any) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


class Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: QueryLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.measure = Measure()

    def argument(self, field: FieldNode, name: str) -> Any:
        for argument in field.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                return self.variables.get(value.name.value)
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, ListValueNode):
                return value.values
        return None

    def declared_size(self, field: FieldNode, definition: GraphQLField) -> int | None:
        """The size a field's arguments give its list: ``first`` (or its default), ids."""
        first = self.argument(field, "first")
        if first is None and "first" in definition.args:
            default = definition.args["first"].default_value
            first = default if isinstance(default, int) else None
        if isinstance(first, int):
            return max(first, 0)
        for name in SIZE_ARGUMENTS:
            values = self.argument(field, name)
            if isinstance(values, (list, tuple)):
                return len(values)
        return None

    def fields(
        self, selection_set: SelectionSetNode | None, seen: frozenset[str]
    ) -> Iterator[FieldNode]:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    yield from self.fields(fragment.selection_set, seen | {name})

    def walk(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        depth: int,
        multiplier: int,
        page_size: int | None = None,
    ) -> None:
        """``page_size`` carries a connection's ``first`` down to its ``edges`` list."""
        self.measure.depth = max(self.measure.depth, depth)
        for field in self.fields(selection_set, frozenset()):
            if field.alias is not None:
                self.measure.aliases += 1
            self.measure.cost += multiplier
            if field.selection_set is None:
                continue
            child_type: GraphQLNamedType | None = None
            child_multiplier, child_page_size = multiplier, None
            definition = (
                parent.fields.get(field.name.value)
                if isinstance(parent, GraphQLObjectType)
                else None
            )
            if definition is not None:
                child_type, is_list = unwrap(definition.type)
                size = self.declared_size(field, definition)
                if is_list:
                    if size is None:
                        size = page_size if page_size is not None else self.limits.default_list_size
                    child_multiplier = multiplier * max(size, 1)
                else:
                    child_page_size = size
            self.walk(field.selection_set, child_type, depth + 1, child_multiplier, child_page_size)


def root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]


def breaches(
    schema: GraphQLSchema,
    document: Any,
    variables: Mapping[str, Any],
    limits: QueryLimits,
) -> list[QueryRejectedError]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found: list[QueryRejectedError] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        walker = Walker(schema, fragments, variables, limits)
        walker.walk(operation.selection_set, root_type(schema, operation), 1, 1)
        measured = walker.measure
        name = operation.name.value if operation.name else "the operation"
        if measured.depth > limits.max_depth:
            found.append(
                QueryRejectedError(
                    f"{name} is {measured.depth} levels deep; the limit is {limits.max_depth}",
                    limit="depth",
                    value=limits.max_depth,
                )
            )
        if measured.aliases > limits.max_aliases:
            found.append(
                QueryRejectedError(
                    f"{name} uses {measured.aliases} aliases; the limit is {limits.max_aliases}",
                    limit="aliases",
                    value=limits.max_aliases,
                )
            )
        if measured.cost > limits.max_cost:
            found.append(
                QueryRejectedError(
                    f"{name} would resolve about {measured.cost} fields; "
                    f"the limit is {limits.max_cost}",
                    limit="cost",
                    value=limits.max_cost,
                )
            )
    return found


class EnforceQueryLimits(SchemaExtension):
    """Runs the limits, then graphql's own validation, before execution starts.

    Validation depends on the document only (the schema and its rules are fixed), so its
    outcome is kept per query text in ``validated``, shared by every request of a schema:
    clients send the same few documents, and validating one costs more than running a
    small warm query. The limits depend on variables and are measured every time.
    """

    def __init__(
        self, limits: QueryLimits, validated: DocumentCache[list[GraphQLError]] | None = None
    ) -> None:
        self.limits = limits
        self.validated = validated

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            schema = context.schema._schema
            variables = context.variables or {}
            rejected = breaches(schema, context.graphql_document, variables, self.limits)
            if rejected:
                context.pre_execution_errors = [
                    GraphQLError(error.message, original_error=error, extensions=error.extensions())
                    for error in rejected
                ]
            else:
                context.pre_execution_errors = self.validation_errors()
        yield

    def validation_errors(self) -> list[GraphQLError]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema

        def validated_now(_: str) -> list[GraphQLError]:
            return list(validate(schema, document, context.validation_rules))

        if self.validated is None or not context.query:
            return validated_now("")
        return list(self.validated.get_or_build(context.query, validated_now))
