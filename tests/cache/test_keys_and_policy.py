from __future__ import annotations

from cache.keys import KeyLayout, apq_key, composite_key_text, event_key, glob_escape
from cache.policy import EntityKind, entity_kind


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


def test_a_kind_holds_a_not_found_at_most_ten_seconds_and_a_stale_copy_five_minutes():
    for ttl_s, negative_ttl_s in ((5, 5), (30, 10), (600, 10)):
        kind = entity_kind("crm", "order", ttl_s)
        assert (kind.ttl_s, kind.negative_ttl_s, kind.grace_s) == (ttl_s, negative_ttl_s, 300)


def test_redis_keeps_an_entry_for_its_freshness_plus_grace():
    kind = EntityKind("crm", "order", ttl_s=30, negative_ttl_s=10, grace_s=300)

    assert kind.name == "crm.order"
    assert kind.stored_for_ms(present=True) == 330_000
    assert kind.stored_for_ms(present=False) == 310_000
    assert EntityKind("x", "y", 0, 0, 0).stored_for_ms(present=True) == 1
