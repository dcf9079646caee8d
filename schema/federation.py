"""The same graph as an Apollo Federation v2 subgraph: ``@key`` on the entity types,
``_service { sdl }`` and ``_entities``.

The public schema (``/graphql``, ``schema/schema.graphql``) must stay exactly as it is,
so the types are not declared with ``@key``: the keys of ``schema.entities.ENTITIES`` are
put on copies of their strawberry definitions while the subgraph's schema is built, and
only then. Both schemas then share every field and resolver; only the subgraph's types
print ``@key``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import strawberry.federation
from graphql import GraphQLAbstractType, GraphQLResolveInfo, GraphQLSchema, GraphQLUnionType
from strawberry import UNSET
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import get_object_definition

from schema.context import Info
from schema.entities import ENTITIES, resolve_entities

# Schemas are built from the classes' definitions: no other build may see the keys.
_BUILDING = threading.RLock()

__all__ = ["FederationAny", "FederationEntities", "building", "keyed", "name_entities_by_class"]


@contextmanager
def building() -> Iterator[None]:
    """Held while any schema is built, so that none sees another's temporary keys."""
    with _BUILDING:
        yield


@contextmanager
def keyed() -> Iterator[None]:
    """The entity types carry their ``@key`` while the block runs (a schema is built)."""
    originals = {
        entity.type: get_object_definition(entity.type, strict=True) for entity in ENTITIES.values()
    }
    with _BUILDING:
        try:
            for entity in ENTITIES.values():
                definition = originals[entity.type]
                directives = [
                    *(definition.directives or ()),
                    Key(fields=FieldSet(entity.key), resolvable=UNSET),
                ]
                entity.type.__strawberry_definition__ = dataclasses.replace(  # type: ignore[attr-defined]
                    definition, directives=directives
                )
            yield
        finally:
            for cls, definition in originals.items():
                cls.__strawberry_definition__ = definition  # type: ignore[attr-defined]


def name_entities_by_class(schema: GraphQLSchema) -> None:
    """``_Entity`` resolves to the GraphQL name of the object's class.

    strawberry matches an object to a union member by its definition's identity; an
    entity's object carries the public definition, the subgraph's type a keyed copy.
    """
    union = schema.type_map["_Entity"]
    assert isinstance(union, GraphQLUnionType)

    def resolve_type(root: Any, info: GraphQLResolveInfo[Any], type_: GraphQLAbstractType) -> str:
        return str(type(root).__strawberry_definition__.name)

    union.resolve_type = resolve_type


class FederationEntities(strawberry.federation.Schema):
    """strawberry's federation schema, with ``_entities`` batched through the loaders."""

    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # strawberry's own resolves one representation at a time, in a loop.
        return await resolve_entities(info, representations)  # type: ignore[return-value]
