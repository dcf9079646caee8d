"""Kept answers over the real Redis and the in-process store alike."""

from __future__ import annotations

import pytest

from cache.generations import SystemGenerations
from cache.keys import KeyLayout
from cache.response_cache import ResponseCache, View
from cache.store import CacheStore

ETAG = '"e-1"'
STAFF = View(customer_id=None, scopes=frozenset({"crm:read", "erp:read"}))


@pytest.fixture
def answers(store: CacheStore, prefix: str) -> ResponseCache:
    return ResponseCache(store, KeyLayout(prefix), max_body_bytes=1000)


@pytest.fixture
def generations(store: CacheStore, prefix: str) -> SystemGenerations:
    return SystemGenerations(store, KeyLayout(prefix))


def test_every_part_of_the_request_and_the_view_makes_another_key(answers: ResponseCache):
    base = answers.key_for("{ a }", None, {"id": 1}, STAFF)

    others = {
        answers.key_for("{ b }", None, {"id": 1}, STAFF),
        answers.key_for("{ a }", "Named", {"id": 1}, STAFF),
        answers.key_for("{ a }", None, {"id": 2}, STAFF),
        answers.key_for("{ a }", None, {"id": 1}, View("C-1", STAFF.scopes)),
        answers.key_for("{ a }", None, {"id": 1}, View("C-2", STAFF.scopes)),
        answers.key_for("{ a }", None, {"id": 1}, View(None, frozenset({"crm:read"}))),
    }

    assert base not in others and len(others) == 6
    # Key order of the variables does not matter.
    assert answers.key_for("{ a }", None, {"x": 1, "y": 2}, STAFF) == answers.key_for(
        "{ a }", None, {"y": 2, "x": 1}, STAFF
    )


async def test_a_kept_answer_comes_back_until_a_system_it_read_changes(
    answers: ResponseCache, generations: SystemGenerations
):
    key = answers.key_for("{ a }", None, None, STAFF)
    start = await answers.lookup(key)
    assert start.answer is None

    kept = await answers.keep(
        key,
        b'{"data":1}',
        etag=ETAG,
        fresh_for_s=30,
        systems=["crm", "scm"],
        generations=start.generations,
    )
    assert kept
    found = await answers.lookup(key)
    assert found.answer is not None and found.answer.body == b'{"data":1}'

    await generations.bump("erp")  # not read by this answer
    assert (await answers.lookup(key)).answer is not None

    await generations.bump("scm")
    assert (await answers.lookup(key)).answer is None


async def test_an_answer_built_while_its_system_changed_is_never_served(
    answers: ResponseCache, generations: SystemGenerations
):
    key = answers.key_for("{ a }", None, None, STAFF)
    start = await answers.lookup(key)
    await generations.bump("crm")  # lands while the answer is being built

    await answers.keep(
        key, b"{}", etag=ETAG, fresh_for_s=30, systems=["crm"], generations=start.generations
    )

    assert (await answers.lookup(key)).answer is None


async def test_answers_too_large_or_without_freshness_are_not_kept(answers: ResponseCache):
    key = answers.key_for("{ a }", None, None, STAFF)
    generations = (await answers.lookup(key)).generations

    assert not await answers.keep(
        key, b"x" * 1001, etag=ETAG, fresh_for_s=30, systems=["crm"], generations=generations
    )
    assert not await answers.keep(
        key, b"{}", etag=ETAG, fresh_for_s=0, systems=["crm"], generations=generations
    )
    assert not await answers.keep(
        key, b"{}", etag=ETAG, fresh_for_s=30, systems=[], generations=generations
    )
    assert (await answers.lookup(key)).answer is None


async def test_a_garbled_entry_reads_as_a_miss(answers: ResponseCache, store: CacheStore):
    key = answers.key_for("{ a }", None, None, STAFF)
    await store.set_many([(key, b"not an answer", 10_000)])

    assert (await answers.lookup(key)).answer is None
