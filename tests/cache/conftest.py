from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from cache.entity_cache import EntityCache
from cache.local_store import LocalStore
from cache.redis_store import RedisStore
from cache.store import CacheStore
from tests.cache.private_redis import PrivateRedis

SHARED_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test alone: tests share db 15 with whoever else runs."""
    return f"sgtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_store(prefix: str) -> AsyncIterator[RedisStore]:
    # A generous timeout here: these tests are about behaviour, not about a busy machine.
    store = RedisStore.from_url(SHARED_REDIS_URL, socket_timeout_s=2.0, connect_timeout_s=2.0)
    yield store
    await store.delete_matching(f"{prefix}:*")
    await store.close()


@pytest.fixture(params=["redis", "local"])
def store(request: pytest.FixtureRequest) -> CacheStore:
    """Each test of the cache's behaviour runs on both stores."""
    if request.param == "local":
        return LocalStore()
    redis_store: CacheStore = request.getfixturevalue("redis_store")
    return redis_store


@pytest.fixture
def entity_cache(store: CacheStore, prefix: str) -> EntityCache:
    return EntityCache(store, prefix=prefix)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.kill()
