"""Plain resolvers for the fields that need none of strawberry's per-field machinery.

Strawberry resolves every field through a generic wrapper: it converts arguments,
builds a chain of field extensions, and checks for exception handlers, on each call.
A dashboard resolves ~12,000 fields, almost all of them ``self.record.x`` or a join
read from a loader, and that wrapper was a third of the gateway's CPU per response.
For a field whose resolver takes no GraphQL arguments, is synchronous and has no field
extensions or permission classes, the wrapper does nothing but cost; such a field is
given a resolver that calls the method directly (with strawberry's ``Info`` when the
method asks for it). Every other field keeps strawberry's resolver.

graphql-core has a per-field cost of its own: for each field it builds a resolve info,
calls the resolver, checks the result for an awaitable twice and completes it through
its non-null, list and leaf branches. Two thirds of a dashboard's fields are scalars read
off a record (``available``, ``code``, ``quantity``, ``state`` …), for which all that
amounts to "read, then serialize". ``LeanLeaves`` does just that for a scalar or enum
field whose resolver needs nothing but its source (``SourceOnly``), and hands anything
else — a null, a read or serialization that fails — to graphql-core's own path, which
reads again and answers (or fails) exactly as before.

Applied once, when the schema is built, before the access policy wraps its fields
(a guarded field is no longer ``SourceOnly``, so it keeps the whole path).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema.strawberry_internals import info_for

Resolver = Callable[..., Any]


def use_lean_resolvers(schema: GraphQLSchema, *, skip_types: set[str]) -> int:
    """Replace the resolvers that can be; returns how many were."""
    replaced = 0
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or type_name in skip_types:
            continue
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            lean = lean_resolver(field)
            if lean is not None:
                field.resolve = lean
                replaced += 1
    return replaced


def lean_resolver(field: GraphQLField) -> Resolver | None:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or field.args:
        return None
    if definition.extensions or definition.permission_classes:
        return None
    resolver = definition.base_resolver
    if resolver is None:
        return SourceOnly(attrgetter(definition.python_name), field.type)
    method = resolver.wrapped_func
    if resolver.is_async or not inspect.isfunction(method):
        return None
    info_parameter = resolver.info_parameter
    names = [parameter.name for parameter in inspect.signature(method).parameters.values()]
    if names == ["self"]:
        return SourceOnly(method, field.type)
    if info_parameter is not None and names == ["self", info_parameter.name]:

        def resolve_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return method(source, info_for(info, definition))

        return resolve_with_info
    return None


class SourceOnly:
    """A resolver that needs nothing but its source: a record's attribute, or a method of
    ``self`` without arguments. ``leaf`` is the field's scalar or enum type, if it is one
    (``LeanLeaves`` completes such a field itself)."""

    __slots__ = ("leaf", "read")

    def __init__(self, read: Callable[[Any], Any], field_type: GraphQLOutputType) -> None:
        self.read = read
        named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        self.leaf: GraphQLLeafType | None = named if is_leaf_type(named) else None

    def __call__(self, source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return self.read(source)


class LeanLeaves(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing a ``SourceOnly`` scalar or enum field itself.

    A value that is there and serializes is the answer graphql-core would give; for
    anything else (null, an error reading or serializing) the field goes the whole way,
    so that its null or its error, with its path, is graphql-core's own. Middleware (a
    strawberry extension with a ``resolve`` hook) wraps every resolver: with any, every
    field goes the whole way.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leaves_inline = not (self.middleware_manager and self.middleware_manager.middlewares)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        field = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        resolve = field.resolve if field is not None else None
        if self.leaves_inline and isinstance(resolve, SourceOnly) and resolve.leaf is not None:
            try:
                value = resolve.read(source)
                serialized = None if value is None else resolve.leaf.coerce_output_value(value)
            except Exception:
                serialized = None
            if serialized is not None and serialized is not Undefined:
                return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
