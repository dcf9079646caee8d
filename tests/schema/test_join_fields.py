"""Every join field has its row in ``schema/join_fields.py``, and every row names real things.

A field that reads a loader but has no row still answers, awaited one object at a time:
slow, and only a test notices. So the fields that read loaders are found in the schema
itself, not in a list kept beside it: each object type's fields whose resolver names the
request's ``loaders``, directly or through a method of its own type or a function of our
schema package that it calls (the tracking view's fields read them in ``_from_joins``).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, get_origin, get_type_hints

import pytest
from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    build_schema,
)
from strawberry.types.base import StrawberryObjectDefinition

from resolvers.loaders import Loaders, RequestLoader
from schema.build import GatewaySchema, create_schema
from schema.join_fields import ROWS, JoinField

# The roots start the walk (schema.prefetch.walk) with the records they read: no row.
ROOTS = frozenset({"Query", "Mutation", "Subscription"})


@cache
def gateway_schema() -> GatewaySchema:
    return create_schema()


@cache
def core_schema() -> GraphQLSchema:
    # From the SDL: the type system alone, through strawberry's public API.
    return build_schema(gateway_schema().as_str())


def object_types() -> Iterator[GraphQLObjectType]:
    for name, graphql_type in core_schema().type_map.items():
        if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__"):
            yield graphql_type


def names_loaders(function: Callable[..., Any], owner: type) -> bool:
    """Whether ``function``, or what it calls of ``owner`` or of ``schema.*``, names ``loaders``."""
    seen: set[Callable[..., Any]] = set()
    todo = [function]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(current)))):
            if isinstance(node, ast.Attribute) and node.attr == "loaders":
                return True
            if isinstance(node, ast.Name) and node.id == "loaders":
                return True
            if isinstance(node, ast.Call):
                called = called_function(node.func, current, owner)
                if called is not None:
                    todo.append(called)
    return False


def called_function(
    callee: ast.expr, caller: Callable[..., Any], owner: type
) -> Callable[..., Any] | None:
    found: object = None
    if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
        if callee.value.id == "self":
            found = getattr(owner, callee.attr, None)
    elif isinstance(callee, ast.Name):
        found = caller.__globals__.get(callee.id)
    if inspect.isfunction(found) and found.__module__.startswith("schema."):
        return found
    return None


def fields_reading_loaders() -> set[tuple[str, str]]:
    schema = gateway_schema()
    found = set()
    for graphql_type in object_types():
        if graphql_type.name in ROOTS:
            continue
        definition = schema.get_type_by_name(graphql_type.name)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field_name in graphql_type.fields:
            field = schema.get_field_for_type(field_name, graphql_type.name)
            resolver = field.base_resolver if field is not None else None
            function = resolver.wrapped_func if resolver is not None else None
            if inspect.isfunction(function) and names_loaders(function, definition.origin):
                found.add((graphql_type.name, field_name))
    return found


def loader_names() -> set[str]:
    return {
        name
        for name, hint in get_type_hints(Loaders).items()
        if get_origin(hint) is RequestLoader or hint is RequestLoader
    }


def unwrapped(graphql_type: GraphQLOutputType) -> tuple[bool, str]:
    """(whether it is a list, the named type's name) of a field's type."""
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    is_list = isinstance(graphql_type, GraphQLList)
    while isinstance(graphql_type, GraphQLList | GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return is_list, graphql_type.name


def row_id(row: JoinField[Any]) -> str:
    return f"{row.type_name}.{row.field_name}"


def test_every_field_that_reads_a_loader_has_its_row() -> None:
    rows = {(row.type_name, row.field_name) for row in ROWS if row.reads or row.own}

    found = fields_reading_loaders()

    assert found - rows == set(), "join fields without a row in schema/join_fields.py"
    # The other way round: a row that reads is a field that reads (else the row is stale).
    assert rows - found == set()


def test_the_finder_sees_joins_read_through_a_method_of_the_type() -> None:
    # OrderTracking's fields name no loader themselves: _from_joins reads them.
    found = fields_reading_loaders()

    assert ("OrderTracking", "stage") in found and ("Order", "productionPlans") in found
    assert ("Order", "status") not in found and ("Order", "lines") not in found


def test_each_type_and_field_is_listed_once() -> None:
    ids = [row_id(row) for row in ROWS]

    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_each_row_names_a_field_of_the_schema(row: JoinField[Any]) -> None:
    graphql_type = core_schema().type_map.get(row.type_name)

    assert isinstance(graphql_type, GraphQLObjectType)
    assert row.field_name in graphql_type.fields


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_each_join_a_row_reads_is_a_loader(row: JoinField[Any]) -> None:
    assert set(row.joins) <= loader_names()


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_each_row_loads_in_exactly_one_way(row: JoinField[Any]) -> None:
    ways = [bool(row.reads), row.within is not None, row.own is not None]

    assert ways.count(True) == 1
    if row.reads and row.below is not None:
        # Walking on needs the records of one join.
        assert len(row.reads) == 1


@pytest.mark.parametrize("row", [row for row in ROWS if row.below is not None], ids=row_id)
def test_the_type_below_and_its_multiplicity_are_the_fields_own(row: JoinField[Any]) -> None:
    graphql_type = core_schema().type_map[row.type_name]
    assert isinstance(graphql_type, GraphQLObjectType)

    is_list, named = unwrapped(graphql_type.fields[row.field_name].type)

    assert (row.many, row.below) == (is_list, named)


def test_loaders_are_found_by_their_names() -> None:
    # The finder above must see the loaders themselves, or every join check passes.
    assert {"order", "plans_of_order", "supplier"} <= loader_names()
