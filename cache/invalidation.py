"""Which cache entries a webhook makes wrong, and dropping them.

Webhooks name what changed by key (``../shared/contracts/README.md``); their ``data``
is never trusted as the new state, so the gateway drops entries and lets the next
read fetch the truth. Most events map to one entity. Two need to look further, and
look in the cache itself (entries past freshness still tell whom they belong to):

- ``order.created`` / ``order.updated`` name orders, but the lists that contain them
  are cached per customer: the cached order records give their customers, whose
  lists are dropped for every status filter. A new order is rarely cached yet, so the
  gateway may pass ``customer_ids_of_orders`` to ask the CRM for the rest; without
  it such orders are reported as unresolved and their lists age out by TTL.
- ``shipment.updated`` names orders; shipments are also cached by tracking number,
  and the cached shipment lists of those orders give the tracking numbers.

Whole answers and records held in processes are not tracked per key: every known event
and every drop counts up the generation of the system concerned (``cache.generations``),
which retires them in every process. Before dropping anything, each invalidation leaves
a marker holding that generation beside every key it drops (one per pattern for pattern
drops), so that a fetch already under way does not write the old state back
(``cache.write_guard``).

The store fails open, so an invalidation reports whether it was ``applied``: False when
any of its store calls was answered by the fallback (Redis down, slow or busy). It may
also be False when a concurrent call of this process failed meanwhile; that errs the
safe way (a webhook is then refused and sent again).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from cache.codec import CodecError, ValueCodec, codec_for
from cache.entry import decode_entry
from cache.generations import SystemGenerations
from cache.keys import KeyLayout, composite_key_text, event_key
from cache.store import CacheStore
from cache.write_guard import MARKER_TTL_MS
from core.errors import UpstreamError
from core.records import OrderRecord, ShipmentRecord

logger = logging.getLogger(__name__)

ValueT = TypeVar("ValueT")

# None (every status) and the CRM's six order statuses: the filters a customer's
# order list may be cached under.
ORDER_STATUS_FILTERS: tuple[str | None, ...] = (
    None,
    "confirmed",
    "in_production",
    "ready",
    "shipped",
    "delivered",
    "cancelled",
)

# Events whose keys are the keys of exactly these entities (joins of the event's own
# system, by their names in resolvers.joins).
DIRECT_EVENTS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("crm", "customer.updated"): ("customer",),
    ("erp", "product.updated"): ("product",),
    ("erp", "partner.updated"): ("account",),
    ("erp", "production.updated"): ("plans_of_order",),
    ("erp", "invoice.updated"): ("invoices_of_order",),
    ("scm", "stock.changed"): ("stock_of_sku",),
    ("scm", "purchase_order.updated"): ("open_purchase_orders_of_sku", "purchase_orders_of_sku"),
}
# Entities whose keys an event does not name, so that every entry of them goes. Which
# products an order's lines hold, or which product a plan made for stock is of, the
# event does not say (a new order was never cached; ``production.updated`` names
# sale_refs, and none for plans made for stock), and a product.updated may change the
# sku of any product in the one cached catalogue. Nor does any event say which pages of a
# list (customers, the order feed) hold, or will hold, what it names.
WHOLE_ENTITY_EVENTS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("crm", "customer.updated"): ("customer_page",),
    ("crm", "order.created"): ("open_orders_of_product", "order_page"),
    ("crm", "order.updated"): ("open_orders_of_product", "order_page"),
    ("erp", "production.updated"): ("open_plans_of_product",),
    ("erp", "product.updated"): ("product_catalog", "product_of_sku"),
}
ORDER_EVENTS: frozenset[tuple[str, str]] = frozenset(
    {("crm", "order.created"), ("crm", "order.updated")}
)
SHIPMENT_EVENTS: frozenset[tuple[str, str]] = frozenset({("scm", "shipment.updated")})

CustomerIdsOfOrders = Callable[[Sequence[str]], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True, slots=True)
class Invalidation:
    known_event: bool
    dropped: list[str] = field(default_factory=list)  # keys deleted (or already gone)
    unresolved: list[str] = field(default_factory=list)  # keys whose dependents are unknown
    applied: bool = True  # False when the store could not do all of it


class Invalidator:
    def __init__(
        self,
        store: CacheStore,
        *,
        prefix: str = "sg",
        schema_version: int = 1,
        customer_ids_of_orders: CustomerIdsOfOrders | None = None,
        generations: SystemGenerations | None = None,
    ) -> None:
        self._store = store
        self._layout = KeyLayout(prefix, schema_version)
        # Always counted: the generation orders invalidations against fetches.
        self._generations = generations or SystemGenerations(store, self._layout)
        self._customer_ids_of_orders = customer_ids_of_orders
        self._order_codec: ValueCodec[OrderRecord | None] = codec_for(OrderRecord | None)
        self._shipments_codec: ValueCodec[list[ShipmentRecord]] = codec_for(list[ShipmentRecord])

    async def invalidate(self, system: str, event: str, keys: Sequence[str]) -> Invalidation:
        """Drops every entry the event makes wrong; an unknown event drops nothing."""
        failures_before = self._store.stats.failures
        invalidation = await self._invalidate(system, event, keys)
        return self._checked(invalidation, failures_before)

    async def _invalidate(self, system: str, event: str, keys: Sequence[str]) -> Invalidation:
        keys = list(dict.fromkeys(key for key in keys if key))
        known = (system, event) in DIRECT_EVENTS or (
            system,
            event,
        ) in ORDER_EVENTS | SHIPMENT_EVENTS
        if not known:
            logger.warning("webhook event %s.%s is not known: nothing dropped", system, event)
            return Invalidation(False)
        generation = await self._retire(system)
        if generation is None:
            return Invalidation(True, applied=False)
        for entity in WHOLE_ENTITY_EVENTS.get((system, event), ()):
            await self._drop_pattern(generation, system, entity)
        if (system, event) in DIRECT_EVENTS:
            dropped = [
                cache_key
                for entity in DIRECT_EVENTS[system, event]
                for cache_key in self._keys_of(system, entity, keys)
            ]
            return await self._drop(Invalidation(True, dropped), generation)
        if (system, event) in ORDER_EVENTS:
            return await self._drop(await self._order_invalidation(keys), generation)
        return await self._drop(await self._shipment_invalidation(keys), generation)

    async def drop_system(self, system: str) -> int | None:
        """Every entry of one system (an admin's big hammer); how many were dropped, or
        None when the store failed on the way, so that nothing may be assumed dropped."""
        failures_before = self._store.stats.failures
        generation = await self._retire(system)
        if generation is None:
            return None
        dropped = await self._drop_pattern(generation, system)
        return None if self._store.stats.failures != failures_before else dropped

    def _checked(self, invalidation: Invalidation, failures_before: int) -> Invalidation:
        if invalidation.applied and self._store.stats.failures != failures_before:
            return replace(invalidation, applied=False)
        return invalidation

    async def _retire(self, system: str) -> int | None:
        return await self._generations.bump(system)

    async def _drop_pattern(self, generation: int, system: str, entity: str | None = None) -> int:
        marker = self._layout.invalidated_all_key(system, entity)
        await self._store.set_many([(marker, str(generation).encode(), MARKER_TTL_MS)])
        return await self._store.delete_matching(self._layout.entity_pattern(system, entity))

    async def _order_invalidation(self, order_ids: list[str]) -> Invalidation:
        order_keys = self._keys_of("crm", "order", order_ids)
        customer_ids = await self._cached_customer_ids(order_keys, order_ids)
        unknown = [order_id for order_id in order_ids if order_id not in customer_ids]
        complete = True
        if unknown and self._customer_ids_of_orders is not None:
            try:
                customer_ids.update(await self._customer_ids_of_orders(unknown))
            except UpstreamError as error:
                # Drop what is known now; not applied, so that the event is sent again.
                logger.warning("customers of orders %s not known: %s", unknown, error)
                complete = False
            unknown = [order_id for order_id in order_ids if order_id not in customer_ids]
        list_keys = self._order_list_keys(customer_ids.values())
        return Invalidation(
            True, order_keys + list_keys, self._keys_of("crm", "order", unknown), applied=complete
        )

    async def drop_orders(self, customer_ids: Mapping[str, str]) -> Invalidation:
        """After the gateway's own write (order id -> customer id, both known): drops
        those orders and every cached order list of their customers."""
        failures_before = self._store.stats.failures
        generation = await self._retire("crm")
        if generation is None:
            return Invalidation(True, applied=False)
        await self._drop_pattern(generation, "crm", "order_page")
        order_keys = self._keys_of("crm", "order", list(customer_ids))
        list_keys = self._order_list_keys(customer_ids.values())
        invalidation = await self._drop(Invalidation(True, order_keys + list_keys), generation)
        return self._checked(invalidation, failures_before)

    def _order_list_keys(self, customer_ids: Iterable[str]) -> list[str]:
        return self._keys_of(
            "crm",
            "orders_of_customer",
            (
                composite_key_text((customer_id, status))
                for customer_id in dict.fromkeys(customer_ids)
                for status in ORDER_STATUS_FILTERS
            ),
        )

    async def _cached_customer_ids(
        self, order_keys: list[str], order_ids: list[str]
    ) -> dict[str, str]:
        customer_ids: dict[str, str] = {}
        for order_id, raw in zip(order_ids, await self._store.get_many(order_keys), strict=True):
            order = self._decoded(raw, self._order_codec)
            if order is not None:
                customer_ids[order_id] = order.customer_id
        return customer_ids

    async def _shipment_invalidation(self, order_refs: list[str]) -> Invalidation:
        list_keys = self._keys_of("scm", "shipments_of_order", order_refs)
        tracking_numbers: dict[str, None] = {}
        unresolved: list[str] = []
        for list_key, raw in zip(list_keys, await self._store.get_many(list_keys), strict=True):
            shipments = self._decoded(raw, self._shipments_codec)
            if shipments is None:
                unresolved.append(list_key)
                continue
            tracking_numbers.update(dict.fromkeys(s.tracking_number for s in shipments))
        tracking_keys = self._keys_of("scm", "shipment_by_tracking_number", tracking_numbers)
        return Invalidation(True, list_keys + tracking_keys, unresolved)

    async def _drop(self, invalidation: Invalidation, generation: int) -> Invalidation:
        # Markers first, then the drop: see cache.write_guard for why this order.
        mark = str(generation).encode()
        await self._store.set_many(
            [
                (self._layout.invalidated_key(key), mark, MARKER_TTL_MS)
                for key in invalidation.dropped
            ]
        )
        await self._store.delete(invalidation.dropped)
        return invalidation

    def _keys_of(self, system: str, entity: str, key_texts: Iterable[str]) -> list[str]:
        return self._layout.entity_keys(system, entity, key_texts)

    @staticmethod
    def _decoded(raw: bytes | None, codec: ValueCodec[ValueT]) -> ValueT | None:
        if raw is None:
            return None
        try:
            return decode_entry(raw, codec).value
        except CodecError:
            return None


EVENT_SEEN_TTL_S = 86_400.0


async def was_seen(store: CacheStore, prefix: str, system: str, event_id: str) -> bool:
    """True if ``event_id`` was applied before (``mark_seen``). Without a working store
    it reads as new: the event is then applied, or refused, but never ignored."""
    return await store.get(event_key(prefix, system, event_id)) is not None


async def mark_seen(
    store: CacheStore, prefix: str, system: str, event_id: str, ttl_s: float = EVENT_SEEN_TTL_S
) -> bool:
    """Marks ``event_id`` applied, once it has been (SET NX); False if a delivery racing
    this one marked it first. Both were applied then, which is harmless: applying an
    event drops keys and leaves markers, and doing that twice leaves the same state."""
    return await store.set_if_absent(
        event_key(prefix, system, event_id), b"1", max(1, round(ttl_s * 1000))
    )
