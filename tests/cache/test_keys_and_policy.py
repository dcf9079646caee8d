from __future__ import annotations

import pytest

from cache.keys import KeyLayout, apq_key, composite_key_text, event_key, glob_escape
from cache.policy import DEFAULT_KINDS, EntityKind, kinds_with_ttls

ENTITIES = {
    "customer": ("crm", 300),
    "customer_page": ("crm", 60),
    "order": ("crm", 30),
    "orders_of_customer": ("crm", 30),
    "product": ("erp", 300),
    "account": ("erp", 120),
    "plans_of_order": ("erp", 30),
    "invoices_of_order": ("erp", 60),
    "stock_of_sku": ("scm", 5),
    "open_purchase_orders_of_sku": ("scm", 30),
    "shipments_of_order": ("scm", 10),
    "shipment_by_tracking_number": ("scm", 10),
    "supplier": ("scm", 600),
    "open_orders_of_product": ("crm", 30),
    "open_plans_of_product": ("erp", 30),
    "products_with_sku": ("erp", 300),
    "product_of_sku": ("erp", 300),
}


def test_record_keys_follow_prefix_version_system_entity_key():
    layout = KeyLayout("sg", 1)

    assert layout.entity_key("crm", "order", "SO-100045") == "sg:v1:crm:order:SO-100045"
    assert layout.entity_keys("erp", "product", ["P-1", "P-2"]) == [
        "sg:v1:erp:product:P-1",
        "sg:v1:erp:product:P-2",
    ]


def test_tuple_keys_spell_none_as_a_wildcard():
    layout = KeyLayout("sg", 1)

    assert (
        layout.entity_key("crm", "orders_of_customer", composite_key_text(("C-000001", None)))
        == "sg:v1:crm:orders_of_customer:C-000001|*"
    )
    assert composite_key_text(("C-000001", "confirmed")) == "C-000001|confirmed"


def test_patterns_cover_one_entity_or_one_system_and_escape_glob_characters():
    assert KeyLayout("sg", 2).entity_pattern("scm") == "sg:v2:scm:*"
    assert KeyLayout("sg", 2).entity_pattern("scm", "supplier") == "sg:v2:scm:supplier:*"
    assert KeyLayout("a*b", 1).entity_pattern("crm") == "a\\*b:v1:crm:*"
    assert glob_escape("x?[y]\\") == "x\\?\\[y\\]\\\\"


def test_events_and_persisted_queries_are_not_versioned():
    assert event_key("sg", "crm", "3f0c") == "sg:event:crm:3f0c"
    assert apq_key("sg", "ab" * 32) == "sg:apq:" + "ab" * 32
    assert KeyLayout("sg", 7).event_key("crm", "e") == "sg:event:crm:e"


def test_every_entity_has_a_kind_with_the_ttl_of_how_fast_it_changes():
    assert {entity: (kind.system, kind.ttl_s) for entity, kind in DEFAULT_KINDS.items()} == ENTITIES
    for kind in DEFAULT_KINDS.values():
        assert kind.negative_ttl_s == min(kind.ttl_s, 10)
        assert kind.grace_s == 300


def test_redis_keeps_an_entry_for_its_freshness_plus_grace():
    kind = EntityKind("crm", "order", ttl_s=30, negative_ttl_s=10, grace_s=300)

    assert kind.name == "crm.order"
    assert kind.stored_for_ms(present=True) == 330_000
    assert kind.stored_for_ms(present=False) == 310_000
    assert EntityKind("x", "y", 0, 0, 0).stored_for_ms(present=True) == 1


def test_ttls_can_be_overridden_by_entity_name():
    kinds = kinds_with_ttls({"stock_of_sku": 1.5, "customer": 60})

    assert kinds["stock_of_sku"].ttl_s == 1.5
    assert kinds["stock_of_sku"].negative_ttl_s == 1.5
    assert kinds["customer"].negative_ttl_s == 10
    assert kinds["order"] == DEFAULT_KINDS["order"]


def test_an_override_of_an_unknown_entity_is_refused():
    with pytest.raises(ValueError, match="stock_of_skus"):
        kinds_with_ttls({"stock_of_skus": 1})
    with pytest.raises(ValueError):
        kinds_with_ttls({"order": -1})
