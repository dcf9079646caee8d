"""Every place our code reaches past strawberry's public API, in one module.

strawberry exposes no public way to these three things, and each is a hot path where a
public detour would cost on every request:

- ``graphql_schema``: the graphql-core ``GraphQLSchema`` strawberry built. The limits,
  document checks, federation naming, lean resolvers and access policy work on it
  (graphql-core's ``validate`` and type map); strawberry keeps it as ``Schema._schema``.
- ``resolve_info``: graphql-core's ``GraphQLResolveInfo`` behind strawberry's ``Info``.
  The lookahead (``schema.lookahead``) reads its ``field_nodes``, ``fragments`` and the
  field's GraphQL return type; ``Info`` offers ``selected_fields`` instead, which
  converts the whole subtree on first use and leaves arguments uncoerced, without
  their defaults.
- ``info_for``: the ``Info`` a lean resolver (``schema.lean_resolvers``) hands to a
  method that asks for one, built as strawberry's own resolver wrapper builds it.

strawberry is bounded from above in pyproject.toml; tests/test_pinned_internals.py runs
each of these against the installed version and says what to review when one breaks.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema
from strawberry import Schema
from strawberry.schema.base import BaseSchema
from strawberry.types import Info
from strawberry.types.field import StrawberryField


def graphql_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema strawberry built for ``schema``."""
    if not isinstance(schema, Schema):
        raise TypeError(f"not a strawberry.Schema: {type(schema).__name__}")
    return schema._schema


def resolve_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info for the field ``info`` is resolving."""
    return info._raw_info


def info_for(raw: GraphQLResolveInfo[Any], field: StrawberryField) -> Info[Any, Any]:
    """strawberry's ``Info`` for ``field``, resolved with graphql-core's ``raw`` info."""
    return Info(_raw_info=raw, _field=field)
