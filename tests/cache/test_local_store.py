from __future__ import annotations

import asyncio

import pytest

from cache.local_store import LocalStore, glob_regex


async def test_the_least_recently_used_entry_is_evicted_first():
    store = LocalStore(max_entries=3)
    await store.set_many([("a", b"1", 10_000), ("b", b"2", 10_000), ("c", b"3", 10_000)])
    await store.get("a")  # a is now the most recently used

    await store.set("d", b"4", 10_000)

    assert await store.get_many(["a", "b", "c", "d"]) == [b"1", None, b"3", b"4"]
    assert len(store) == 3


async def test_entries_expire_after_their_ttl():
    store = LocalStore()
    await store.set_many([("short", b"1", 30), ("long", b"2", 10_000)])

    await asyncio.sleep(0.06)

    assert await store.get_many(["short", "long"]) == [None, b"2"]


async def test_set_if_absent_sets_once_until_the_entry_expires():
    store = LocalStore()

    assert await store.set_if_absent("lock", b"1", 30) is True
    assert await store.set_if_absent("lock", b"2", 30) is False
    await asyncio.sleep(0.06)
    assert await store.set_if_absent("lock", b"3", 30) is True


async def test_deletes_count_only_live_entries():
    store = LocalStore()
    await store.set_many(
        [
            ("sg:v1:crm:order:1", b"", 10_000),
            ("sg:v1:crm:order:2", b"", 10_000),
            ("sg:v1:erp:product:1", b"", 10_000),
            ("gone", b"", 1),
        ]
    )
    await asyncio.sleep(0.01)

    assert await store.delete(["gone", "sg:v1:crm:order:1", "never"]) == 1
    assert await store.delete_matching("sg:v1:crm:*") == 1
    assert await store.get_many(["sg:v1:erp:product:1"]) == [b""]


async def test_store_counts_round_trips_hits_and_misses():
    store = LocalStore()
    await store.set_many([("a", b"1", 1000)])
    await store.get_many(["a", "b"])
    await store.get_many([])

    assert store.stats.commands == {"PIPELINE": 1, "MGET": 1}
    assert (store.stats.round_trips, store.stats.hits, store.stats.misses) == (2, 1, 1)


def test_redis_glob_patterns_translate_with_escapes():
    assert glob_regex("sg:v1:*").fullmatch("sg:v1:crm:order:1")
    assert glob_regex("a\\*b?").fullmatch("a*bc")
    assert not glob_regex("a\\*b").fullmatch("axb")
    with pytest.raises(ValueError):
        glob_regex("[ab]")
