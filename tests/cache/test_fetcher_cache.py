from __future__ import annotations

from cache.fetcher_cache import caching_wrapper
from cache.policy import NO_CACHE_POLICY
from cache.stale_log import StaleLog
from core.records import OrderRecord
from resolvers.fetchers import Fetcher
from resolvers.loaders import loader_for
from tests.cache import samples
from tests.cache.fakes import FakeFetch


def customer_orders_key_text(key: tuple[str, str | None]) -> str:
    return f"{key[0]}|{key[1] or '*'}"


def order_fetcher(fetch: FakeFetch[str, OrderRecord]) -> Fetcher[str, OrderRecord | None]:
    """A fetcher as resolvers.joins builds them: it brings its value type and TTL."""
    return Fetcher("crm.order", fetch, lambda: None, value_type=OrderRecord | None, ttl_s=30)


async def test_loaders_built_from_wrapped_fetchers_are_served_from_the_cache(entity_cache):
    fetch = FakeFetch({"SO-1": samples.order("SO-1")})
    fetcher = order_fetcher(fetch)

    for _ in range(2):  # two requests, each with its own loaders
        wrap = caching_wrapper(entity_cache, stale_log=StaleLog())
        loader = loader_for(wrap(fetcher))
        assert await loader.load_many(["SO-1", "SO-404"]) == [samples.order("SO-1"), None]

    assert fetch.calls == [["SO-1", "SO-404"]]
    assert entity_cache.counters("crm.order").hits == 2


async def test_list_fetchers_with_tuple_keys_use_the_fetchers_key_text(entity_cache):
    lists: dict[tuple[str, str | None], list[OrderRecord]] = {
        ("C-1", None): [samples.order("SO-1")]
    }
    fetch = FakeFetch(lists)
    fetcher = Fetcher(
        "crm.orders_of_customer",
        fetch,
        list,
        key_text=customer_orders_key_text,
        value_type=list[OrderRecord],
        ttl_s=30,
    )

    for _ in range(2):
        loader = loader_for(caching_wrapper(entity_cache)(fetcher))
        assert await loader.load_many([("C-1", None), ("C-9", "shipped")]) == [
            [samples.order("SO-1")],
            [],
        ]

    assert len(fetch.calls) == 1
    cached = entity_cache.layout.entity_key("crm", "orders_of_customer", "C-1|*")
    assert await entity_cache.store.get_many([cached]) != [None]


async def test_a_no_cache_request_goes_upstream(entity_cache):
    fetch = FakeFetch({"SO-1": samples.order("SO-1")})
    fetcher = order_fetcher(fetch)
    await loader_for(caching_wrapper(entity_cache)(fetcher)).load("SO-1")

    await loader_for(caching_wrapper(entity_cache, policy=NO_CACHE_POLICY)(fetcher)).load("SO-1")

    assert len(fetch.calls) == 2


def test_a_fetcher_without_a_ttl_is_left_as_it_is(entity_cache):
    uncached = FakeFetch[str, None]({})
    fetcher: Fetcher[str, None] = Fetcher("crm.weather_report", uncached, lambda: None)

    assert caching_wrapper(entity_cache)(fetcher) is fetcher
