"""Plain resolvers for the fields that need none of strawberry's per-field machinery.

Strawberry resolves every field through a generic wrapper: it converts arguments,
builds a chain of field extensions, and checks for exception handlers, on each call.
A dashboard resolves ~12,000 fields, almost all of them ``self.record.x`` or a join
read from a loader, and that wrapper was a third of the gateway's CPU per response.
For a field whose resolver takes no GraphQL arguments, is synchronous and has no field
extensions or permission classes, the wrapper does nothing but cost; such a field is
given a resolver that calls the method directly (with strawberry's ``Info`` when the
method asks for it). Every other field keeps strawberry's resolver.

Applied once, when the schema is built, before the access policy wraps its fields.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
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
        return _attribute_resolver(definition.python_name)
    method = resolver.wrapped_func
    if resolver.is_async or not inspect.isfunction(method):
        return None
    info_parameter = resolver.info_parameter
    names = [parameter.name for parameter in inspect.signature(method).parameters.values()]
    if names == ["self"]:

        def resolve_source(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return method(source)

        return resolve_source
    if info_parameter is not None and names == ["self", info_parameter.name]:

        def resolve_with_info(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
            return method(source, info_for(info, definition))

        return resolve_with_info
    return None


def _attribute_resolver(name: str) -> Resolver:
    def resolve_attribute(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return getattr(source, name)

    return resolve_attribute
