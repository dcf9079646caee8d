"""Which fields skip strawberry's per-field wrapper (schema/lean_resolvers.py)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLObjectType

from schema.build import create_schema
from schema.lean_resolvers import lean_resolver, use_lean_resolvers


def test_only_fields_with_arguments_async_resolvers_or_subscriptions_keep_strawberrys():
    graphql_schema = create_schema()._schema

    kept = sorted(
        f"{type_name}.{field_name}"
        for type_name, graphql_type in graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for field_name, field in graphql_type.fields.items()
        if lean_resolver(field) is None
    )

    assert kept == [
        "Customer.orders",  # arguments
        "Mutation.cancelOrder",
        "Mutation.placeOrder",
        "Query.customer",  # async root resolvers
        "Query.customers",
        "Query.lowStock",
        "Query.order",
        "Query.orderTracking",
        "Query.orders",
        "Query.product",
        "Query.products",
        "Query.shipment",
        "Subscription.orderTrackingUpdated",
        "Subscription.stockAlerts",
    ]


@strawberry.type
class Box:
    size: int
    secret: strawberry.Private[str]

    @strawberry.field
    def label(self) -> str:
        return f"box of {self.size}"

    @strawberry.field
    def seen_as(self, info: strawberry.Info) -> str:
        return f"{info.field_name} by {info.context['who']}"


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [Box(size=n, secret="x") for n in (1, 2)]


def test_lean_resolvers_answer_as_strawberrys_own_do():
    query = "{ boxes { size label seenAs } }"
    plain = strawberry.Schema(query=BoxQuery)
    lean = strawberry.Schema(query=BoxQuery)
    replaced = use_lean_resolvers(lean._schema, skip_types=set())

    expected = plain.execute_sync(query, context_value={"who": "tester"})
    answered = lean.execute_sync(query, context_value={"who": "tester"})

    assert replaced == 4  # Box.size, Box.label, Box.seenAs and BoxQuery.boxes
    assert answered.errors is None and answered.data == expected.data
    assert answered.data == {
        "boxes": [
            {"size": 1, "label": "box of 1", "seenAs": "seenAs by tester"},
            {"size": 2, "label": "box of 2", "seenAs": "seenAs by tester"},
        ]
    }
