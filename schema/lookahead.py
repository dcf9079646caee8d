"""What a query asks for below a field, read before that field's value is resolved.

A root resolver uses it to load every join its answer will need a level at a time
(``schema/prefetch.py``) instead of waiting for graphql-core to reach each object.
Fragments are followed and ``@skip``/``@include`` honoured, so nothing the query leaves
out is fetched. Only field names matter; aliases of one field are merged.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
)

from schema.context import Info
from schema.strawberry_internals import resolve_info


class Selection:
    """The fields selected on one object type, merged over every place that selects it."""

    def __init__(
        self,
        nodes: list[FieldNode],
        object_type: GraphQLObjectType | None,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self._nodes = nodes
        self._type = object_type
        self._schema = schema
        self._fragments = fragments
        self._variables = variables

    @classmethod
    def of(cls, info: Info) -> Selection:
        """What is selected below the field being resolved."""
        raw = resolve_info(info)
        object_type = get_named_type(raw.return_type)
        variables: Any = raw.variable_values
        if not isinstance(variables, VariableValues):
            # Strawberry's resolve info holds the coerced values as a plain dict.
            variables = VariableValues(sources={}, coerced=dict(variables))
        return cls(
            list(raw.field_nodes),
            object_type if isinstance(object_type, GraphQLObjectType) else None,
            raw.schema,
            raw.fragments,
            variables,
        )

    @classmethod
    def of_entities(cls, info: Info, type_name: str) -> Selection:
        """What ``_entities`` selects on ``type_name``: only the fragments on that type.

        ``_entities`` returns a union, so each entity type is selected by fragments of its
        own (``... on Order { status }``); those on other types say nothing about it.
        """
        raw = resolve_info(info)
        nodes = [
            FieldNode(
                name=node.name,
                selection_set=SelectionSetNode(
                    selections=tuple(
                        selection
                        for selection in node.selection_set.selections
                        if _on_type(selection, type_name, raw.fragments)
                    )
                ),
            )
            for node in raw.field_nodes
            if node.selection_set is not None
        ]
        selection = cls.of(info)
        object_type = raw.schema.type_map.get(type_name)
        return cls(
            nodes,
            object_type if isinstance(object_type, GraphQLObjectType) else None,
            selection._schema,
            selection._fragments,
            selection._variables,
        )

    @cached_property
    def _fields(self) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        for node in self._nodes:
            if node.selection_set is not None:
                self._collect(node.selection_set, fields, set())
        return fields

    def _collect(
        self, selection_set: SelectionSetNode, into: dict[str, list[FieldNode]], seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                into.setdefault(selection.name.value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, into, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    self._collect(fragment.selection_set, into, seen)

    def _included(self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode | Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self._variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self._variables)
        return not (include is not None and include.get("if") is False)

    def _field(self, name: str) -> GraphQLField | None:
        return self._type.fields.get(name) if self._type is not None else None

    def __contains__(self, name: str) -> bool:
        return name in self._fields

    def any_of(self, *names: str) -> bool:
        return any(name in self._fields for name in names)

    def __getitem__(self, name: str) -> Selection:
        """What is selected below ``name``, merged over all its occurrences (maybe none)."""
        field = self._field(name)
        child_type = get_named_type(field.type) if field is not None else None
        return Selection(
            self._fields.get(name, []),
            child_type if isinstance(child_type, GraphQLObjectType) else None,
            self._schema,
            self._fragments,
            self._variables,
        )

    def arguments(self, name: str) -> list[dict[str, Any]]:
        """The arguments of each occurrence of ``name``, coerced, defaults filled in."""
        field = self._field(name)
        if field is None:
            return []
        return [
            get_argument_values(field, node, self._variables) for node in self._fields.get(name, [])
        ]


def _on_type(selection: Any, type_name: str, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    """Whether ``selection`` is a fragment on ``type_name`` (an inline one or a spread)."""
    if isinstance(selection, InlineFragmentNode):
        condition = selection.type_condition
    elif isinstance(selection, FragmentSpreadNode):
        fragment = fragments.get(selection.name.value)
        condition = fragment.type_condition if fragment is not None else None
    else:
        return False
    return condition is not None and condition.name.value == type_name
