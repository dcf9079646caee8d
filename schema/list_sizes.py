"""How many items each list field is taken to hold when a query's cost is estimated.

The one table of list sizes, in the manner of Apollo's ``@listSize(assumedSize,
slicingArguments)``. A list's estimate is its slicing argument (``first``, or the length
of an ``ids``/``codes`` list) when it has one, capped by ``assumed`` where the systems
give fewer: a customer asked for ``orders(first: 50)`` has about 10 (30 at the 99th
percentile of the demo data), so 50 per customer would refuse an ordinary dashboard
over 50 customers. A list with neither is taken to hold ``assumed``, or the connection's
page size for ``edges``. The estimate only screens a query before it runs; what a query
really returns is capped while it executes (``schema.answer_size``).

``GATEWAY_QUERY_LIST_SIZES='{"Customer.orders": 30}'`` replaces an assumed size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from graphql import GraphQLObjectType, GraphQLSchema


@dataclass(frozen=True, slots=True)
class ListSize:
    # What one such list holds at most in practice; None: exactly what its argument asks.
    assumed: int | None = None
    # Arguments that bound the list: an integer, or a list whose length is the bound.
    slicing: tuple[str, ...] = ()


# A list field not named here: ``first``/``ids``/``codes`` if given, else the default
# size of ``QueryLimits``.
DEFAULT_LIST_SIZE = ListSize(slicing=("first", "ids", "codes"))

LIST_SIZES: dict[str, ListSize] = {
    # Pages and look-ups by key return what they are asked for.
    "Query.customers": ListSize(slicing=("first",)),
    "Query.orders": ListSize(slicing=("ids",)),
    "Query.products": ListSize(slicing=("codes",)),
    # The subgraph's entity look-ups (/subgraph): one object per representation.
    "Query._entities": ListSize(slicing=("representations",)),
    # Joins: bounded by what the systems hold per parent (demo data: mean / max).
    "Customer.orders": ListSize(assumed=20, slicing=("first",)),  # 10 / 34
    "Order.lines": ListSize(assumed=5),  # 2.4 / 5
    "Order.productionPlans": ListSize(assumed=5),  # 2.4 / 5
    "Order.shipments": ListSize(assumed=2),  # 1.1 / 2
    "Order.invoices": ListSize(assumed=2),  # 1.0 / 2
    "Product.inventory": ListSize(assumed=4),  # one per warehouse: 2.2 / 4
    "Product.openPurchaseOrders": ListSize(assumed=3),  # 1.8 / 3
    "Product.demand": ListSize(assumed=30),  # open lines per product: 10 / 31
    "Product.productionPlans": ListSize(assumed=20),  # open plans per product
    "Coverage.timeline": ListSize(assumed=30),
    "Query.lowStock": ListSize(slicing=("first",)),
    "Shipment.events": ListSize(assumed=6),  # 5.5 / 6
    "OrderTracking.timeline": ListSize(assumed=20),
}


def list_sizes(
    schema: GraphQLSchema,
    assumed_overrides: Mapping[str, int] | None = None,
    base: Mapping[str, ListSize] = LIST_SIZES,
) -> dict[str, ListSize]:
    """The table with configured assumed sizes applied; an unknown field is a startup error."""
    sizes = dict(base)
    for coordinate, assumed in (assumed_overrides or {}).items():
        type_name, _, field_name = coordinate.partition(".")
        owner = schema.type_map.get(type_name)
        if not isinstance(owner, GraphQLObjectType) or field_name not in owner.fields:
            raise ValueError(
                f"GATEWAY_QUERY_LIST_SIZES names {coordinate!r}, which is no field of the "
                "schema; use Type.field, e.g. Customer.orders"
            )
        if not isinstance(assumed, int) or assumed < 0:
            raise ValueError(f"GATEWAY_QUERY_LIST_SIZES: {coordinate} must be a whole number >= 0")
        sizes[coordinate] = replace(sizes.get(coordinate, ListSize()), assumed=assumed)
    return sizes
