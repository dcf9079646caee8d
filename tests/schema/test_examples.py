"""The GraphiQL examples are operations the gateway's schema accepts as they are."""

from __future__ import annotations

from graphql import parse, validate

from gateway.graphiql_page import EXAMPLES
from schema.build import create_schema


def test_every_graphiql_example_validates_against_the_schema():
    document = parse(EXAMPLES)
    assert validate(create_schema()._schema, document) == []
    names = {definition.name.value for definition in document.definitions}  # type: ignore[attr-defined]
    assert {"ProductView", "LowStock", "StockAlerts"} <= names
