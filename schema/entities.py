"""``_entities``: the objects a federation router asks this subgraph for, by their keys.

A router that joins another subgraph's objects to ours sends every reference of one
level in one ``_entities`` call. They are loaded through the request's own loaders,
each type's keys at once, and the query's selection below them is prefetched a level
at a time as the root fields do (``schema/prefetch.py``): 20 order references cost one
CRM call, as ``orders(ids: …)`` does.

The access policy holds as it does at the root: looking an entity up needs what looking
it up by its root field needs (``ENTITIES``' rules come from ``schema.access.POLICY``),
and a customer's token gets the same NOT_FOUND for another customer's order, customer
or shipment as for an unknown one. Each refused or malformed reference is null with its
own error; the others still come.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import ForbiddenError, InputValidationError, NotFoundError
from schema import prefetch
from schema.access import POLICY, Rule, hidden_from_customer, refusal, visible_record, visible_to
from schema.context import Info
from schema.customers import Customer
from schema.lookahead import Selection
from schema.orders import Order
from schema.products import Product, Supplier
from schema.shipments import Shipment

# One entity of the answer: the object, None for an unknown key, or its error.
Resolved = object | None | Exception
Lookup = Callable[[Info, list[str]], Awaitable[list[Resolved]]]


@dataclass(frozen=True, slots=True)
class Entity:
    type: type
    key: str  # the @key field, as the schema names it
    rule: Rule  # who may look one up
    rule_of: str  # the field whose rule that is, to name it in a refusal
    lookup: Lookup


async def customers(info: Info, ids: list[str]) -> list[Resolved]:
    viewer = info.context.viewer
    # Refused before any read: another customer's id and an unknown one cost the same.
    asked = [customer_id for customer_id in ids if visible_to(viewer, customer_id)]
    loaded = dict(zip(asked, await info.context.loaders.customer.load_many(asked), strict=True))
    results: list[Resolved] = []
    for customer_id in ids:
        if customer_id not in loaded:
            results.append(hidden_from_customer("customer"))
            continue
        results.append(_visible(info, "customer", loaded[customer_id], lambda found: found.id))
    shown = [result.record for result in results if isinstance(result, Customer)]
    await prefetch.walk(info.context, "Customer", shown, Selection.of_entities(info, "Customer"))
    return results


async def orders(info: Info, ids: list[str]) -> list[Resolved]:
    records = await info.context.loaders.order.load_many(ids)
    results = [
        _visible(info, "order", record, lambda found: found.customer_id) for record in records
    ]
    shown = [result.record for result in results if isinstance(result, Order)]
    await prefetch.walk(info.context, "Order", shown, Selection.of_entities(info, "Order"))
    return results


async def products(info: Info, codes: list[str]) -> list[Resolved]:
    records = await info.context.loaders.product.load_many(codes)
    found = [record for record in records if record is not None]
    await prefetch.walk(info.context, "Product", found, Selection.of_entities(info, "Product"))
    return [Product(record=record) if record is not None else None for record in records]


async def shipments(info: Info, tracking_numbers: list[str]) -> list[Resolved]:
    loaders = info.context.loaders
    records = await loaders.shipment_by_tracking_number.load_many(tracking_numbers)
    owners: dict[str, str] = {}
    if info.context.viewer.is_customer:
        # A shipment is the customer's whose order it ships; unknown has no owner.
        refs = sorted({record.order_ref for record in records if record is not None})
        found = await loaders.order.load_many(refs)
        owners = {ref: order.customer_id for ref, order in zip(refs, found, strict=True) if order}
    # Staff see every shipment that exists: "" is nobody's customer id, yet not None.
    results = [
        _visible(info, "shipment", record, lambda found: owners.get(found.order_ref, ""))
        for record in records
    ]
    shown = [result.record for result in results if isinstance(result, Shipment)]
    await prefetch.walk(info.context, "Shipment", shown, Selection.of_entities(info, "Shipment"))
    return results


async def suppliers(info: Info, ids: list[str]) -> list[Resolved]:
    records = await info.context.loaders.supplier.load_many(ids)
    return [Supplier(record=record) if record is not None else None for record in records]


def _visible(info: Info, kind: str, record: Any, owner: Callable[[Any], str]) -> Resolved:
    """The object if the viewer may see it (``access.visible_record``'s rule), else None
    or the NOT_FOUND a customer's token gets for unknown and foreign ids alike."""
    try:
        shown = visible_record(info, kind, record, owner)
    except NotFoundError as error:
        return error
    return _wrap(kind, shown)


def _wrap(kind: str, record: Any) -> object | None:
    if record is None:
        return None
    wrapper: type = {"customer": Customer, "order": Order, "shipment": Shipment}[kind]
    built: object = wrapper(record=record)
    return built


def _entity(type_: type, key: str, rule_of: tuple[str, str], lookup: Lookup) -> Entity:
    return Entity(type_, key, POLICY[rule_of], ".".join(rule_of), lookup)


# The one table of entity types: key, access rule (that of the field one would otherwise
# reach it by) and lookup. schema.federation derives the @key directives from it.
ENTITIES: Mapping[str, Entity] = {
    "Customer": _entity(Customer, "id", ("Query", "customer"), customers),
    "Order": _entity(Order, "id", ("Query", "order"), orders),
    "Product": _entity(Product, "code", ("Query", "product"), products),
    "Shipment": _entity(Shipment, "trackingNumber", ("Query", "shipment"), shipments),
    "Supplier": _entity(Supplier, "id", ("PurchaseOrder", "supplier"), suppliers),
}


async def resolve_entities(info: Info, representations: Sequence[Any]) -> list[Resolved]:
    """One answer per representation, in their order; each type's keys looked up at once."""
    results: list[Resolved] = [None] * len(representations)
    keys_of: dict[str, list[tuple[int, str]]] = {}
    for index, representation in enumerate(representations):
        located = _locate(representation)
        if isinstance(located, Exception):
            results[index] = located
        else:
            keys_of.setdefault(located[0], []).append((index, located[1]))

    async def look_up(type_name: str, positions: list[tuple[int, str]]) -> None:
        entity = ENTITIES[type_name]
        reason = refusal(info.context.viewer, entity.rule, entity.rule_of)
        if reason is not None:
            found: list[Resolved] = [ForbiddenError(reason) for _ in positions]
        else:
            found = await entity.lookup(info, [key for _, key in positions])
        for (index, _), result in zip(positions, found, strict=True):
            results[index] = result

    await asyncio.gather(*(look_up(name, positions) for name, positions in keys_of.items()))
    return results


def _locate(representation: Any) -> tuple[str, str] | Exception:
    """``(type name, key)`` of a representation, or why it names no entity of ours."""
    if not isinstance(representation, Mapping):
        return InputValidationError("a representation must be an object with __typename")
    type_name = representation.get("__typename")
    entity = ENTITIES.get(type_name) if isinstance(type_name, str) else None
    if entity is None or not isinstance(type_name, str):
        known = ", ".join(ENTITIES)
        return InputValidationError(
            f"__typename must name an entity of this subgraph ({known})",
            {"__typename": "unknown entity type"},
        )
    key = representation.get(entity.key)
    if not isinstance(key, str) or not key:
        return InputValidationError(
            f"a {type_name} representation needs its key `{entity.key}` as a string",
            {entity.key: "missing"},
        )
    return type_name, key
