from __future__ import annotations

import asyncio

import pytest

from cache.entry import encode_entry, negative_entry, present_entry
from cache.invalidation import Invalidator, mark_seen, was_seen
from cache.keys import KeyLayout
from cache.store import CacheStore
from tests.cache import samples

STATUS_FILTERS = ["*", "confirmed", "in_production", "ready", "shipped", "delivered", "cancelled"]


def key(layout: KeyLayout, system: str, entity: str, key_text: str) -> str:
    return layout.entity_key(system, entity, key_text)


async def fill(store: CacheStore, entries: dict[str, object]) -> None:
    await store.set_many(
        [
            (cache_key, encode_entry(present_entry(value, 1.0)), 60_000)
            for cache_key, value in entries.items()
        ]
    )


async def live_keys(store: CacheStore, keys: list[str]) -> set[str]:
    return {k for k, raw in zip(keys, await store.get_many(keys), strict=True) if raw is not None}


@pytest.fixture
def layout(prefix) -> KeyLayout:
    return KeyLayout(prefix, 1)


@pytest.fixture
def everything(layout) -> dict[str, object]:
    """One cached entry of every entity, for two customers and their orders."""
    entries: dict[str, object] = {
        key(layout, "crm", "customer", "C-1"): samples.customer("C-1"),
        key(layout, "crm", "customer", "C-2"): samples.customer("C-2"),
        key(layout, "crm", "order", "SO-1"): samples.order("SO-1", "C-1"),
        key(layout, "crm", "order", "SO-2"): samples.order("SO-2", "C-2"),
        key(layout, "erp", "product", "P-1001"): samples.product(),
        key(layout, "erp", "account", "K10123"): samples.partner(),
        key(layout, "erp", "plans_of_order", "SO-1"): [samples.production("SO-1")],
        key(layout, "erp", "invoices_of_order", "SO-1"): [samples.invoice("SO-1")],
        key(layout, "scm", "stock_of_sku", "SKU-1"): [samples.stock_level("SKU-1")],
        key(layout, "scm", "open_purchase_orders_of_sku", "SKU-1"): [samples.purchase_order()],
        key(layout, "scm", "purchase_orders_of_sku", "SKU-1"): [samples.purchase_order()],
        key(layout, "scm", "shipments_of_order", "SO-1"): [
            samples.shipment("SO-1", "TN-A"),
            samples.shipment("SO-1", "TN-B"),
        ],
        key(layout, "scm", "shipment_by_tracking_number", "TN-A"): samples.shipment("SO-1", "TN-A"),
        key(layout, "scm", "shipment_by_tracking_number", "TN-C"): samples.shipment("SO-2", "TN-C"),
        key(layout, "scm", "supplier", "SUP-001"): samples.supplier(),
    }
    for customer_id in ("C-1", "C-2"):
        for status in STATUS_FILTERS:
            entries[key(layout, "crm", "orders_of_customer", f"{customer_id}|{status}")] = []
    return entries


@pytest.mark.parametrize(
    ("system", "event", "keys", "expected"),
    [
        ("crm", "customer.updated", ["C-1"], [("crm", "customer", "C-1")]),
        ("erp", "product.updated", ["P-1001"], [("erp", "product", "P-1001")]),
        ("erp", "partner.updated", ["K10123"], [("erp", "account", "K10123")]),
        ("erp", "production.updated", ["SO-1"], [("erp", "plans_of_order", "SO-1")]),
        ("erp", "invoice.updated", ["SO-1"], [("erp", "invoices_of_order", "SO-1")]),
        ("scm", "stock.changed", ["SKU-1"], [("scm", "stock_of_sku", "SKU-1")]),
        (
            "scm",
            "purchase_order.updated",
            ["SKU-1"],
            [
                ("scm", "open_purchase_orders_of_sku", "SKU-1"),
                ("scm", "purchase_orders_of_sku", "SKU-1"),
            ],
        ),
        (
            "scm",
            "shipment.updated",
            ["SO-1"],
            [
                ("scm", "shipments_of_order", "SO-1"),
                ("scm", "shipment_by_tracking_number", "TN-A"),
                ("scm", "shipment_by_tracking_number", "TN-B"),
            ],
        ),
        (
            "crm",
            "order.updated",
            ["SO-1"],
            [("crm", "order", "SO-1")]
            + [("crm", "orders_of_customer", f"C-1|{status}") for status in STATUS_FILTERS],
        ),
    ],
)
async def test_each_webhook_drops_exactly_the_entries_it_makes_wrong(
    store, layout, everything, system, event, keys, expected
):
    await fill(store, everything)
    invalidator = Invalidator(store, prefix=layout.prefix)

    result = await invalidator.invalidate(system, event, keys)

    expected_keys = [key(layout, *parts) for parts in expected]
    assert result.known_event
    assert sorted(result.dropped) == sorted(expected_keys)
    assert await live_keys(store, list(everything)) == set(everything) - set(expected_keys)


async def test_order_created_finds_the_customer_of_an_uncached_order_through_the_lookup(
    store, layout, everything
):
    await fill(store, everything)
    asked: list[list[str]] = []

    async def customer_ids_of_orders(order_ids):
        asked.append(list(order_ids))
        return {"SO-NEW": "C-2"}

    invalidator = Invalidator(
        store, prefix=layout.prefix, customer_ids_of_orders=customer_ids_of_orders
    )
    result = await invalidator.invalidate("crm", "order.created", ["SO-NEW", "SO-1"])

    assert asked == [["SO-NEW"]]  # SO-1's customer was read from the cache
    assert result.unresolved == []
    lists = {
        key(layout, "crm", "orders_of_customer", f"{c}|{s}")
        for c in ("C-1", "C-2")
        for s in STATUS_FILTERS
    }
    assert await live_keys(store, list(everything)) == set(everything) - lists - {
        key(layout, "crm", "order", "SO-1")
    }


async def test_an_order_whose_customer_is_unknown_is_dropped_and_reported(store, layout):
    negative_key = key(layout, "crm", "order", "SO-NEW")
    await store.set_many([(negative_key, encode_entry(negative_entry(1.0)), 60_000)])

    result = await Invalidator(store, prefix=layout.prefix).invalidate(
        "crm", "order.created", ["SO-NEW"]
    )

    assert result.dropped == [negative_key]  # its cached "not found" must go
    assert result.unresolved == [negative_key]
    assert await store.get_many([negative_key]) == [None]


@pytest.mark.parametrize(
    ("system", "event", "keys", "entity"),
    [
        ("crm", "order.updated", ["SO-1"], "order_page"),
        ("crm", "order.created", ["SO-1"], "order_page"),
        ("erp", "product.updated", ["P-1001"], "product_catalog"),
    ],
)
async def test_lists_that_hold_a_record_under_no_key_of_its_own_are_dropped_whole(
    store, layout, everything, system, event, keys, entity
):
    # Which feed page holds an order, or will once it is created, is not known by key;
    # the catalogue is one entry holding every product.
    lists: dict[str, object] = {
        key(layout, system, entity, "200|*|2026-01-01T00:00:00+00:00||"): [],
        key(layout, system, entity, "all"): [],
    }
    await fill(store, {**everything, **lists})

    await Invalidator(store, prefix=layout.prefix).invalidate(system, event, keys)

    assert await live_keys(store, list(lists)) == set()
    assert key(layout, "crm", "order", "SO-2") in await live_keys(store, list(everything))


async def test_the_gateways_own_order_writes_drop_every_page_of_the_order_feed(store, layout):
    page = key(layout, "crm", "order_page", "200|*||")
    await fill(store, {page: None})

    await Invalidator(store, prefix=layout.prefix).drop_orders({"SO-1": "C-1"})

    assert await live_keys(store, [page]) == set()


async def test_an_unknown_event_drops_nothing_and_says_so(store, layout, everything, caplog):
    await fill(store, everything)

    result = await Invalidator(store, prefix=layout.prefix).invalidate(
        "crm", "customer.deleted", ["C-1"]
    )

    assert not result.known_event
    assert result.dropped == []
    assert await live_keys(store, list(everything)) == set(everything)
    assert "customer.deleted" in caplog.text


async def test_dropping_a_system_drops_its_entries_only(store, layout, everything):
    await fill(store, everything)

    dropped = await Invalidator(store, prefix=layout.prefix).drop_system("scm")

    scm_keys = {k for k in everything if ":scm:" in k}
    assert dropped == len(scm_keys)
    assert await live_keys(store, list(everything)) == set(everything) - scm_keys


async def test_an_event_id_reads_as_seen_only_once_marked_and_only_for_its_system(store, prefix):
    assert await was_seen(store, prefix, "crm", "3f0c") is False
    assert await mark_seen(store, prefix, "crm", "3f0c") is True
    assert await was_seen(store, prefix, "crm", "3f0c") is True
    assert await mark_seen(store, prefix, "crm", "3f0c") is False  # a racing delivery
    assert await was_seen(store, prefix, "erp", "3f0c") is False


async def test_an_event_id_is_forgotten_after_its_ttl(store, prefix):
    assert await mark_seen(store, prefix, "crm", "e1", ttl_s=0.03) is True
    await asyncio.sleep(0.08)
    assert await was_seen(store, prefix, "crm", "e1") is False


@pytest.mark.parametrize(
    ("system", "event", "keys", "gone"),
    [
        ("crm", "order.created", ["SO-9"], {"open_orders_of_product"}),
        ("crm", "order.updated", ["SO-9"], {"open_orders_of_product"}),
        ("erp", "production.updated", [], {"open_plans_of_product"}),
        ("erp", "product.updated", ["P-1001"], {"product_catalog", "product_of_sku"}),
        ("scm", "stock.changed", ["SKU-1"], set()),
    ],
)
async def test_events_that_do_not_name_products_drop_every_products_demand_plans_or_catalogue(
    store, layout, system, event, keys, gone
):
    product_entries: dict[str, object] = {
        key(layout, "crm", "open_orders_of_product", "P-1001"): [samples.order("SO-1", "C-1")],
        key(layout, "crm", "open_orders_of_product", "P-1002"): [],
        key(layout, "erp", "open_plans_of_product", "P-1001"): [samples.production("SO-1")],
        key(layout, "erp", "product_catalog", "all"): [samples.product()],
        key(layout, "erp", "product_of_sku", "SKU-1"): samples.product(),
    }
    await fill(store, product_entries)

    result = await Invalidator(store, prefix=layout.prefix).invalidate(system, event, keys)

    assert result.applied
    left = await live_keys(store, list(product_entries))
    assert {cache_key.split(":")[-2] for cache_key in set(product_entries) - left} == gone
