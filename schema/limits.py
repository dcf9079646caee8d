"""Query limits, checked on the parsed document before anything is resolved.

Depth, aliases and an estimated cost are computed in one walk over the operation that
runs, with fragments expanded. The cost counts every field the answer would hold: a list
field multiplies what is below it by its size from ``schema.list_sizes`` (its ``first``
argument or the length of its ``ids``/``codes`` list, capped by what the systems hold per
parent). Variables are known at this point, so ``first: $n`` counts as what ``$n`` is.
A breach answers with ``QUERY_REJECTED`` naming the limit and its value, before
validation or any upstream call.

The walk takes time linear in the document: a fragment is measured once per place it can
apply (its parent type and page size) and its measure reused at every spread, since the
cost below a field is its own cost per parent times the parent's count. Twenty-three
fragments each spreading the next twice used to take seconds of the event loop (doubling
with each fragment); now they take 23 measures. A fragment that spreads itself, through
fields or not, stops the walk and answers graphql's own validation error for the cycle.
Introspection (``__schema``, ``__type``) counts nothing: GraphiQL's and client libraries'
introspection queries are deep, and ``GATEWAY_INTROSPECTION=0`` refuses them outright.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
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
    NoFragmentCyclesRule,
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
from core.errors import QueryRejectedError
from schema.list_sizes import DEFAULT_LIST_SIZE, LIST_SIZES, ListSize
from schema.strawberry_internals import graphql_schema

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# Past this a cost is "more than any limit": a fragment bomb's 2**2000 stays a small int.
COST_CEILING = 10**15


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    # For the whole request: a batch's operations share it.
    max_cost: int = 250_000
    # Lists neither the table nor an argument sizes (stock per warehouse, ...) are short.
    default_list_size: int = 5
    list_sizes: Mapping[str, ListSize] = field(default_factory=lambda: dict(LIST_SIZES))
    # Fields (list items' fields included) one request's answers may hold, counted while
    # executing: the estimate's assumed sizes can be wrong.
    max_answer_fields: int = 500_000
    # Fragments spreading fragments (without fields between): 600 of them in 5,000
    # tokens used to exhaust Python's stack.
    max_fragment_nesting: int = 50


@dataclass(frozen=True, slots=True)
class Measure:
    """Of one selection set, per object it is selected on."""

    # Levels of selection sets below this one (0: only leaves).
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def beside(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth),
            min(self.aliases + other.aliases, COST_CEILING),
            min(self.cost + other.cost, COST_CEILING),
        )


NOTHING = Measure()


class FragmentCycle(Exception):
    """A fragment spreads itself: the document is invalid, and graphql's rule says how."""


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
        # Selections looked at: linear in the document, whatever its fragments spread.
        self.visits = 0
        self.fragment_measures: dict[tuple[str, str | None, int | None], Measure] = {}
        self.expanding: set[str] = set()
        # Levels of selection sets the walk is in: it stops past the depth limit, so no
        # document can take it deeper into Python's stack than the limits allow.
        self.level = 1

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

    def sliced_size(
        self, field: FieldNode, definition: GraphQLField, slicing: tuple[str, ...]
    ) -> int | None:
        """The bound a field's slicing arguments give: an integer (or its default), a length."""
        for name in slicing:
            value = self.argument(field, name)
            if value is None and name in definition.args:
                default = definition.args[name].default_value
                value = default if isinstance(default, (int, list, tuple)) else None
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                return max(value, 0)
            if isinstance(value, (list, tuple)):
                return len(value)
        return None

    def list_size(self, parent: GraphQLNamedType, field: FieldNode) -> ListSize:
        return self.limits.list_sizes.get(f"{parent.name}.{field.name.value}", DEFAULT_LIST_SIZE)

    def measure(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        page_size: int | None = None,
    ) -> Measure:
        """``page_size`` carries a connection's ``first`` down to its ``edges`` list."""
        total = NOTHING
        for selection in selection_set.selections if selection_set else ():
            self.visits += 1
            if isinstance(selection, FieldNode):
                total = total.beside(self.field(selection, parent, page_size))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.type_map.get(condition.name.value) if condition else parent
                total = total.beside(self.measure(selection.selection_set, inner, page_size))
            elif isinstance(selection, FragmentSpreadNode):
                total = total.beside(self.fragment(selection.name.value, parent, page_size))
        return total

    def fragment(
        self, name: str, parent: GraphQLNamedType | None, page_size: int | None
    ) -> Measure:
        key = (name, parent.name if parent is not None else None, page_size)
        known = self.fragment_measures.get(key)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None:
            return NOTHING  # validation names the unknown fragment
        if name in self.expanding:
            raise FragmentCycle(name)
        if len(self.expanding) >= self.limits.max_fragment_nesting:
            raise QueryRejectedError(
                f"fragments spread within each other more than "
                f"{self.limits.max_fragment_nesting} deep",
                limit="fragment_nesting",
                value=self.limits.max_fragment_nesting,
            )
        self.expanding.add(name)
        try:
            measured = self.measure(definition.selection_set, parent, page_size)
        finally:
            self.expanding.discard(name)
        self.fragment_measures[key] = measured
        return measured

    def field(
        self, field: FieldNode, parent: GraphQLNamedType | None, page_size: int | None
    ) -> Measure:
        if field.name.value in INTROSPECTION_FIELDS:
            return NOTHING
        aliases = 1 if field.alias is not None else 0
        if field.selection_set is None:
            return Measure(0, aliases, 1)
        definition = (
            parent.fields.get(field.name.value) if isinstance(parent, GraphQLObjectType) else None
        )
        child_type: GraphQLNamedType | None = None
        items, child_page_size = 1, None
        if definition is not None and parent is not None:
            child_type, is_list = unwrap(definition.type)
            rule = self.list_size(parent, field)
            bound = self.sliced_size(field, definition, rule.slicing)
            if is_list:
                items = self.items(bound, rule.assumed, page_size)
            else:
                # A connection: its page size is the length of its edges.
                child_page_size = bound
        if self.level >= self.limits.max_depth:
            raise QueryRejectedError(
                f"the operation is more than {self.limits.max_depth} levels deep",
                limit="depth",
                value=self.limits.max_depth,
            )
        self.level += 1
        try:
            below = self.measure(field.selection_set, child_type, child_page_size)
        finally:
            self.level -= 1
        return Measure(
            below.depth + 1,
            # An alias is counted where the document has it, not per list item.
            min(aliases + below.aliases, COST_CEILING),
            min(1 + items * below.cost, COST_CEILING),
        )

    def items(self, bound: int | None, assumed: int | None, page_size: int | None) -> int:
        if bound is not None:
            size = bound if assumed is None else min(bound, assumed)
        elif assumed is not None:
            size = assumed
        else:
            size = page_size if page_size is not None else self.limits.default_list_size
        return max(size, 1)


def about(cost: int) -> str:
    return f"more than {COST_CEILING}" if cost >= COST_CEILING else f"about {cost}"


def root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def operations_to_run(
    document: DocumentNode, operation_name: str | None
) -> list[OperationDefinitionNode]:
    """The operation a request runs; every one when it names none (then there is one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations
    return [o for o in operations if o.name is not None and o.name.value == operation_name]


def measure_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    limits: QueryLimits,
) -> tuple[Measure, Walker]:
    """Depth counts the operation's own selection set as level 1.

    Raises FragmentCycle, or QueryRejectedError where the walk stops (too deep).
    """
    walker = Walker(schema, fragments_of(document), variables, limits)
    measured = walker.measure(operation.selection_set, root_type(schema, operation))
    return Measure(measured.depth + 1, measured.aliases, measured.cost), walker


def estimated_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    limits: QueryLimits,
) -> int:
    """Fields the operation a request runs would resolve, as ``breaches`` estimates them."""
    total = 0
    for operation in operations_to_run(document, operation_name):
        try:
            measured, _ = measure_operation(schema, document, operation, variables, limits)
        except (FragmentCycle, QueryRejectedError):
            continue  # it runs nothing, and says why when it is executed
        total = min(total + measured.cost, COST_CEILING)
    return total


def cycle_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    errors = validate(schema, document, [NoFragmentCyclesRule])
    return errors or [GraphQLError("a fragment spreads itself")]


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """What the limits found of a request's operation, and its estimated cost."""

    rejected: tuple[QueryRejectedError, ...] = ()
    cost: int = 0
    # A fragment spreads itself: nothing could be measured (graphql's rule says which).
    cycle: bool = False


def breaches(
    schema: GraphQLSchema,
    document: Any,
    variables: Mapping[str, Any],
    limits: QueryLimits,
    operation_name: str | None = None,
) -> list[QueryRejectedError]:
    """Raises FragmentCycle for a document whose fragments spread themselves."""
    checked = check_limits(schema, document, variables, limits, operation_name)
    if checked.cycle:
        raise FragmentCycle(operation_name or "")
    return list(checked.rejected)


def check_limits(
    schema: GraphQLSchema,
    document: Any,
    variables: Mapping[str, Any],
    limits: QueryLimits,
    operation_name: str | None = None,
) -> LimitCheck:
    try:
        found, cost = measured_breaches(schema, document, variables, limits, operation_name)
    except FragmentCycle:
        return LimitCheck(cycle=True)
    return LimitCheck(tuple(found), cost)


class LimitChecks:
    """One request's limit checks, by operation and variables.

    The HTTP endpoint reads an operation's estimated cost before running it (rate limits
    charge it, ``gateway.rate_limit``); the execution's own check then finds it here
    instead of walking the document again.
    """

    def __init__(self) -> None:
        self.done: dict[tuple[str, str | None, str], LimitCheck] = {}

    def check(
        self,
        schema: GraphQLSchema,
        document: Any,
        query: str,
        variables: Mapping[str, Any],
        limits: QueryLimits,
        operation_name: str | None = None,
    ) -> LimitCheck:
        key = (query, operation_name, json.dumps(variables, sort_keys=True, default=repr))
        known = self.done.get(key)
        if known is None:
            known = check_limits(schema, document, variables, limits, operation_name)
            self.done[key] = known
        return known


def measured_breaches(
    schema: GraphQLSchema,
    document: Any,
    variables: Mapping[str, Any],
    limits: QueryLimits,
    operation_name: str | None = None,
) -> tuple[list[QueryRejectedError], int]:
    """The limits broken and the estimated cost; raises FragmentCycle."""
    found: list[QueryRejectedError] = []
    total = 0
    for operation in operations_to_run(document, operation_name):
        try:
            measured, _ = measure_operation(schema, document, operation, variables, limits)
        except QueryRejectedError as stopped:
            found.append(stopped)
            continue
        total = min(total + measured.cost, COST_CEILING)
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
                    f"{name} would resolve {about(measured.cost)} fields; "
                    f"the limit is {limits.max_cost}",
                    limit="cost",
                    value=limits.max_cost,
                )
            )
    return found, total


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
            schema = graphql_schema(context.schema)
            variables = context.variables or {}
            document = context.graphql_document
            checks = getattr(context.context, "limit_checks", None)
            if isinstance(checks, LimitChecks) and context.query:
                checked = checks.check(
                    schema, document, context.query, variables, self.limits, context.operation_name
                )
            else:
                checked = check_limits(
                    schema, document, variables, self.limits, context.operation_name
                )
            rejected = checked.rejected
            if checked.cycle:
                # Nothing else can be measured: graphql's own rule says which fragment.
                context.pre_execution_errors = cycle_errors(schema, document)
                yield
                return
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
        schema = graphql_schema(context.schema)

        def validated_now(_: str) -> list[GraphQLError]:
            return list(validate(schema, document, context.validation_rules))

        if self.validated is None or not context.query:
            return validated_now("")
        return list(self.validated.get_or_build(context.query, validated_now))
