"""Which fields skip strawberry's per-field wrapper (schema/lean_resolvers.py)."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.types import ExecutionResult

from schema.build import create_schema
from schema.lean_resolvers import LeanLeaves, lean_resolver, use_lean_resolvers


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
        "Mutation.createProductionOrder",
        "Mutation.createPurchaseOrder",
        "Mutation.placeOrder",
        "Mutation.receivePurchaseOrder",
        "Mutation.recordStockMove",
        "Mutation.updatePurchaseOrder",
        "Query.customer",  # async root resolvers
        "Query.customers",
        "Query.financeSummary",
        "Query.flowRuns",
        "Query.lowStock",
        "Query.order",
        "Query.orderList",
        "Query.orderTracking",
        "Query.orders",
        "Query.product",
        "Query.productList",
        "Query.products",
        "Query.purchaseOrders",
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


@strawberry.enum
class Mood(enum.Enum):
    CALM = "calm"
    CROSS = "cross"


@strawberry.type
class Crate:
    number: int
    weight: int | None
    note: str | None
    mood: Mood
    missing: int  # a record may lack what its type promises (an upstream gap)

    @strawberry.field
    def label(self) -> str:
        return f"crate {self.number}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"crate {self.number} has no seal")


@strawberry.type
class CrateQuery:
    @strawberry.field
    def crates(self) -> list[Crate | None]:
        return [
            Crate(number=1, weight=12, note="fragile", mood=Mood.CALM, missing=0),
            # Past GraphQL's 32-bit Int, no note, and a null where none may be.
            Crate(number=2, weight=2**40, note=None, mood=Mood.CROSS, missing=None),  # type: ignore[arg-type]
        ]


class CountingLeanLeaves(LeanLeaves):
    """Counts the resolve infos graphql-core builds: one per field it takes the whole way."""

    built = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        CountingLeanLeaves.built += 1
        return super().build_resolve_info(*args, **kwargs)


def answer_of(result: ExecutionResult) -> tuple[Any, list[tuple[str, list[Any]]]]:
    errors = sorted((error.message, list(error.path or ())) for error in result.errors or ())
    return result.data, errors


def test_leaves_completed_inline_answer_and_fail_as_graphql_core_completes_them():
    query = "{ crates { number label note mood weight missing broken } }"
    plain = strawberry.Schema(query=CrateQuery)
    lean = strawberry.Schema(query=CrateQuery, execution_context_class=CountingLeanLeaves)
    use_lean_resolvers(lean._schema, skip_types=set())

    expected = plain.execute_sync(query)
    CountingLeanLeaves.built = 0
    answered = lean.execute_sync(query)

    assert answer_of(answered) == answer_of(expected)
    assert answer_of(answered) == (
        {
            "crates": [
                {
                    "number": 1,
                    "label": "crate 1",
                    "note": "fragile",
                    "mood": "CALM",
                    "weight": 12,
                    "missing": 0,
                    "broken": None,
                },
                None,  # its missing is null where none may be: the crate is null
            ]
        },
        [
            ("Cannot return null for non-nullable field Crate.missing.",
             ["crates", 1, "missing"]),
            ("Int cannot represent non 32-bit signed integer value: 1099511627776",
             ["crates", 1, "weight"]),
            ("crate 1 has no seal", ["crates", 0, "broken"]),
        ],
    )  # fmt: skip
    # graphql-core's whole way: `crates`, crate 1's broken, crate 2's null note, its
    # weight and its missing (its broken is never reached).
    assert CountingLeanLeaves.built == 5


def test_leaves_that_answer_are_completed_without_a_resolve_info():
    query = "{ crates { number label mood } }"
    lean = strawberry.Schema(query=CrateQuery, execution_context_class=CountingLeanLeaves)
    use_lean_resolvers(lean._schema, skip_types=set())

    CountingLeanLeaves.built = 0
    answered = lean.execute_sync(query)

    assert answered.errors is None
    assert answered.data == {
        "crates": [
            {"number": 1, "label": "crate 1", "mood": "CALM"},
            {"number": 2, "label": "crate 2", "mood": "CROSS"},
        ]
    }
    assert CountingLeanLeaves.built == 1  # `crates`, whose resolver is strawberry's
