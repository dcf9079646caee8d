from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cache.entity_cache import EntityCache
from cache.fetcher_cache import caching_wrapper
from cache.local_store import LocalStore
from core.records import CustomerRecord, OrderRecord
from resolvers.clients import UpstreamAccess, build_clients
from resolvers.fetchers import Fetcher, Fetchers
from resolvers.joins import JOINS, Join, build_fetchers, problems_of
from resolvers.loaders import Loaders, RequestLoader, loaders_from
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fakes import BASE_URL, FakeUpstream

# Each join's system and TTL (how fast it changes upstream). The cache namespace is
# "system.name": it is in the Redis of running deployments, so it must not move.
SYSTEM_AND_TTL = {
    "customer": ("crm", 300),
    "customer_page": ("crm", 60),
    "order": ("crm", 30),
    "orders_of_customer": ("crm", 30),
    "order_page": ("crm", 30),
    "product": ("erp", 300),
    "product_catalog": ("erp", 300),
    "account": ("erp", 120),
    "plans_of_order": ("erp", 30),
    "invoices_of_order": ("erp", 60),
    "stock_of_sku": ("scm", 5),
    "open_purchase_orders_of_sku": ("scm", 30),
    "purchase_orders_of_sku": ("scm", 30),
    "shipments_of_order": ("scm", 10),
    "shipment_by_tracking_number": ("scm", 10),
    "supplier": ("scm", 600),
    "open_orders_of_product": ("crm", 30),
    "open_plans_of_product": ("erp", 30),
    "product_of_sku": ("erp", 300),
}
# A key of each join whose keys are not plain strings.
TUPLE_KEYS: Mapping[str, object] = {
    "customer_page": (20, None, None),
    "orders_of_customer": ("C-1", None),
    "order_page": (20, None, None, None, None),
}


def nothing_known(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no upstream call expected, got {request.url}")


@pytest.fixture
def fetchers(http_over) -> Fetchers:
    access = UpstreamAccess(BASE_URL, "secret", ResilienceConfig())
    http = http_over(FakeUpstream(nothing_known))
    return build_fetchers(build_clients(http, crm=access, erp=access, scm=access))


def test_every_join_has_its_system_and_the_ttl_of_how_fast_it_changes(fetchers):
    assert {join.name: (join.system, join.ttl_s) for join in JOINS} == SYSTEM_AND_TTL
    assert {name: fetcher.name for name, fetcher in fetchers.items()} == {
        name: f"{system}.{name}" for name, (system, _) in SYSTEM_AND_TTL.items()
    }


def test_the_join_table_and_the_typed_loaders_agree():
    assert problems_of(JOINS, Loaders) == []


def test_a_join_table_that_disagrees_with_its_loaders_is_told_what_is_missing():
    @dataclass
    class TwoLoaders:
        customer: RequestLoader[str, CustomerRecord | None]
        order_count: RequestLoader[str, int]
        forgotten: RequestLoader[str, list[OrderRecord]]

    def fetch(up: Any) -> Any:
        return up.crm.customers_by_ids

    rows = [
        Join("customer", "crm", fetch, ttl_s=300),
        Join("customer", "crm", fetch, ttl_s=300),
        Join("order_count", "crm", fetch, ttl_s=30),
        Join("no_field", "wms", fetch, ttl_s=-1),
    ]

    assert problems_of(rows, TwoLoaders) == [
        "two rows are named customer",
        "no_field: the system 'wms' is not one of crm, erp, scm",
        "no_field: a TTL must not be negative, got -1",
        "no_field has a row but no field on TwoLoaders",
        "TwoLoaders.forgotten has no row in the join table",
        "TwoLoaders.order_count: no default for <class 'int'>: "
        "a join gives a list or an optional value",
    ]


def test_each_fetcher_carries_the_value_type_and_default_of_its_loaders_field(fetchers):
    orders, customer = fetchers["orders_of_customer"], fetchers["customer"]

    assert orders.value_type == list[OrderRecord]
    assert orders.default_factory() == []
    assert orders.default_factory() is not orders.default_factory()
    assert customer.value_type == CustomerRecord | None
    assert customer.default_factory() is None


def test_ttls_can_be_overridden_by_join_name(fetchers):
    overridden = fetchers.with_ttls({"stock_of_sku": 1.5, "customer": 60})

    assert overridden["stock_of_sku"].ttl_s == 1.5
    assert overridden["customer"].ttl_s == 60
    assert overridden["order"] == fetchers["order"]
    assert fetchers["stock_of_sku"].ttl_s == 5


def test_an_override_of_an_unknown_join_or_a_negative_ttl_is_refused(fetchers):
    with pytest.raises(ValueError, match="stock_of_skus"):
        fetchers.with_ttls({"stock_of_skus": 1})
    with pytest.raises(ValueError, match="order"):
        fetchers.with_ttls({"order": -1})


async def test_every_join_is_cached_under_its_namespace_and_answered_from_there(fetchers):
    cache = EntityCache(LocalStore(), prefix="joins")
    fetched: list[str] = []

    def in_memory(fetcher: Fetcher[Any, Any]) -> Fetcher[Any, Any]:
        async def fetch_nothing(keys: list[Any]) -> dict[Any, Any]:
            fetched.append(fetcher.name)  # nothing known: each key is a negative entry
            return {}

        return fetcher.with_fetch(fetch_nothing)

    upstream = fetchers.wrapped(in_memory)
    for _ in range(2):  # two requests, each with its own loaders
        loaders = loaders_from(upstream.wrapped(caching_wrapper(cache)))
        for join in JOINS:
            await loaders.by_name(join.name).load(TUPLE_KEYS.get(join.name, "K-1"))

    assert sorted(fetched) == sorted(fetcher.name for fetcher in fetchers.values())
    for join in JOINS:
        key_text = fetchers[join.name].key_text(TUPLE_KEYS.get(join.name, "K-1"))
        stored = cache.layout.entity_key(join.system, join.name, key_text)
        assert await cache.store.get_many([stored]) != [None], join.name


async def test_a_loader_is_found_by_its_joins_name(fetchers):
    loaders = loaders_from(fetchers)

    assert loaders.by_name("orders_of_customer") is loaders.orders_of_customer
    with pytest.raises(KeyError, match="orders_of_customers"):
        loaders.by_name("orders_of_customers")
