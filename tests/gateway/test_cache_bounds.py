"""What any token can make the gateway write to Redis is checked and bounded.

Persisted queries are stored only when they would run, when short enough and within a
write budget, for an hour; kept answers are keyed by the variables the operation
declares, never by others, and written within a budget too. Each test runs a gateway of
its own over a new key prefix and counts what the real Redis holds under it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from gateway.app import create_app
from gateway.runtime import SCHEMA_VERSION
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.gateway_fixtures import REDIS_URL, gateway_settings

PRODUCT = "query Product($code: ID!) { product(code: $code) { code name } }"


def too_deep() -> str:
    """Fourteen levels (the limit is twelve), and far past the cost limit too."""
    inner = "id"
    for _ in range(6):
        inner = f"customer {{ orders {{ {inner} }} }}"
    return f'{{ order(id: "SO-100001") {{ {inner} }} }}'


class Gateway:
    def __init__(self, settings: Settings, url: str) -> None:
        self.url = url
        self.prefix = settings.cache_prefix
        self.redis = redis.Redis.from_url(REDIS_URL)

    def post(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.url}/graphql", json=body, timeout=30.0)

    def keys(self, pattern: str) -> list[bytes]:
        return list(self.redis.scan_iter(f"{self.prefix}:{pattern}", count=1000))

    def persisted(self) -> list[bytes]:
        return self.keys("apq:*")

    def kept_answers(self) -> list[bytes]:
        return self.keys(f"v{SCHEMA_VERSION}:answer:*")


@pytest.fixture
def start(simulators: Any) -> Iterator[Any]:
    servers: list[ThreadedServer] = []

    def started(**overrides: Any) -> Gateway:
        settings = gateway_settings(simulators, **overrides)
        server = ThreadedServer(create_app(settings)).start()
        servers.append(server)
        return Gateway(settings, server.url)

    yield started
    for server in servers:
        server.stop()


def apq(query: str) -> dict[str, Any]:
    sha = hashlib.sha256(query.encode()).hexdigest()
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}


def register(gateway: Gateway, query: str, variables: dict[str, Any] | None = None) -> None:
    gateway.post({"query": query, "variables": variables or {}, **apq(query)})


def known_by_hash(gateway: Gateway, query: str) -> bool:
    body = gateway.post(apq(query)).json()
    return not any(
        error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        for error in body.get("errors", ())
    )


@pytest.mark.parametrize(
    ("why", "query"),
    [
        ("does not parse", "{ product(code: "),
        ("names no such field", '{ product(code: "P-1002") { code secretMargin } }'),
        ("breaks the query limits", too_deep()),
        ("is longer than the APQ limit", '{ product(code: "P-1002") { code } }' + " " * 40_000),
    ],
)
def test_a_document_that_would_not_be_stored_on_its_merits_is_not_persisted(start, why, query):
    gateway = start()
    response = gateway.post({"query": query, **apq(query)})
    assert response.status_code in (200, 400), response.text
    assert gateway.persisted() == []
    assert not known_by_hash(gateway, query)


def test_a_valid_document_is_persisted_for_an_hour_at_most(start):
    gateway = start()
    register(gateway, PRODUCT, {"code": "P-1002"})
    [key] = gateway.persisted()
    assert 0 < gateway.redis.pttl(key) <= 3_600_000
    assert known_by_hash(gateway, PRODUCT)


def test_persisted_queries_stop_being_stored_past_the_write_budget(start):
    # Each text is ~60 bytes, charged with 128 bytes of overhead: room for about five.
    gateway = start(apq_bytes_per_minute=1000)
    queries = [f'{{ product(code: "P-{1001 + n}") {{ code }} }}' for n in range(20)]
    for query in queries:
        register(gateway, query)
    stored = len(gateway.persisted())
    assert 1 <= stored <= 6
    # Those not stored still ran, and are simply unknown by hash.
    assert sum(known_by_hash(gateway, query) for query in queries) == stored


def test_undeclared_variables_do_not_make_new_kept_answers(start):
    gateway = start()
    answers = [
        gateway.post({"query": PRODUCT, "variables": {"code": "P-1002", "junk": n}})
        for n in range(5)
    ]
    assert [answer.headers.get("x-cache") for answer in answers] == [None] + ["hit"] * 4
    assert len({answer.content for answer in answers}) == 1
    assert answers[0].json()["data"]["product"]["code"] == "P-1002"
    assert len(gateway.kept_answers()) == 1


def test_declared_variables_still_tell_answers_apart(start):
    gateway = start()
    first = gateway.post({"query": PRODUCT, "variables": {"code": "P-1002"}})
    other = gateway.post({"query": PRODUCT, "variables": {"code": "P-1003"}})
    assert first.json()["data"]["product"]["code"] == "P-1002"
    assert other.json()["data"]["product"]["code"] == "P-1003"
    assert other.headers.get("x-cache") is None
    assert len(gateway.kept_answers()) == 2


def test_kept_answers_stop_being_written_past_the_write_budget(start):
    gateway = start()
    sample = gateway.post({"query": PRODUCT, "variables": {"code": "P-1001"}})
    [key] = gateway.kept_answers()
    entry_bytes = len(key) + len(gateway.redis.get(key) or b"")
    assert entry_bytes > len(sample.content)

    bounded = start(response_cache_bytes_per_minute=entry_bytes * 3)
    codes = [f"P-{1001 + n}" for n in range(10)]
    for code in codes:
        answer = bounded.post({"query": PRODUCT, "variables": {"code": code}})
        assert answer.json()["data"]["product"]["code"] == code
    # Entries differ by a few bytes (their codes and names): three, give or take one.
    assert 2 <= len(bounded.kept_answers()) <= 4
