"""The limits' walk over a document: linear in its size, sized by the list-size table."""

from __future__ import annotations

import pytest
from graphql import OperationDefinitionNode, parse

from core.errors import QueryRejectedError
from schema.build import create_schema
from schema.limits import FragmentCycle, QueryLimits, estimated_cost, measure_operation
from schema.list_sizes import LIST_SIZES, list_sizes
from tests.hostile_documents import fragment_bomb, fragment_chain

SCHEMA = create_schema()


def measured(text: str, variables: dict[str, object] | None = None):
    document = parse(text)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return measure_operation(SCHEMA._schema, document, operation, variables or {}, SCHEMA.limits)


@pytest.mark.parametrize("fragments", [23, 45])
def test_a_fragment_bomb_is_measured_in_steps_linear_in_its_size(fragments):
    measure, walker = measured(fragment_bomb(fragments))
    # Each selection of the document is looked at once: 2 spreads per fragment, 1 leaf,
    # 1 spread in the operation.
    assert walker.visits == 2 * fragments + 2
    assert measure.cost >= min(2**fragments, 10**15)


def test_a_fragment_that_spreads_itself_through_fields_is_found_as_a_cycle():
    text = """query Loop { customer(id: "C-000001") { ...A } }
        fragment A on Customer { orders { customer { ...B } } }
        fragment B on Customer { ...A }"""
    with pytest.raises(FragmentCycle):
        measured(text)


def test_a_customers_orders_are_estimated_at_the_assumed_size_not_the_page_asked_for():
    one = measured('{ customer(id: "C-1") { orders(first: 50) { id } } }')[0]
    few = measured('{ customer(id: "C-1") { orders(first: 3) { id } } }')[0]
    assumed = LIST_SIZES["Customer.orders"].assumed
    assert assumed is not None
    # customer, orders, and an id per order
    assert one.cost == 1 + 1 + assumed
    assert few.cost == 1 + 1 + 3


def test_a_page_of_customers_counts_as_many_as_it_asks_for():
    measure = measured(
        "query($n: Int) { customers(first: $n) { edges { node { id } } } }", {"n": 40}
    )[0]
    assert measure.cost == 1 + 1 + 40 * 2  # customers, edges, and node + id per edge


def test_introspection_counts_nothing():
    measure = measured("{ __schema { types { fields { type { ofType { ofType { name } } } } } } }")[
        0
    ]
    assert measure.cost == 0
    assert measure.depth == 1


def test_a_configured_list_size_replaces_the_assumed_one():
    sizes = list_sizes(SCHEMA._schema, {"Customer.orders": 2})
    limits = QueryLimits(list_sizes=sizes)
    document = parse('{ customer(id: "C-1") { orders { id } } }')
    assert estimated_cost(SCHEMA._schema, document, None, {}, limits) == 1 + 1 + 2


def test_a_list_size_for_a_field_the_schema_lacks_is_refused_at_startup():
    with pytest.raises(ValueError, match=r"Customer\.ordres"):
        create_schema(list_size_overrides={"Customer.ordres": 3})


def test_a_long_chain_of_fragments_is_refused_without_exhausting_the_stack():
    with pytest.raises(QueryRejectedError) as refused:
        measured(fragment_chain(600))
    assert refused.value.extensions() == {
        "code": "QUERY_REJECTED",
        "limit": "fragment_nesting",
        "value": 50,
    }


def test_a_chain_of_fragments_nesting_fields_stops_at_the_depth_limit():
    text = (
        'query Deep { customer(id: "C-1") { ...F0 } }\n'
        + fragment_chain(300, on="Customer", between=("orders { customer {", "} }")).split("\n", 1)[
            1
        ]
    )
    with pytest.raises(QueryRejectedError) as refused:
        measured(text)
    assert refused.value.limit == "depth"


def test_aliases_are_counted_per_place_in_the_document_not_per_list_item():
    measure = measured(
        "{ customers(first: 50) { edges { node { orders { a: id b: status } } } } }"
    )[0]
    assert measure.aliases == 2
