"""What each DataLoader fetches in bulk, as plain values a cache layer can wrap.

A ``Fetcher`` is the whole definition of a loader: a stable ``name``, a ``fetch`` that
takes a batch of keys and returns what it found, the value an absent key stands for,
how a key is spelled as text, and the facts a cache needs (the type of the values and
how long they stay fresh). Fetchers are built from the join table (``resolvers.joins``)
once per process; loaders are built from them per request (``resolvers.loaders``).

A cache layer wraps fetchers, not loaders, and does so in one place (``cache.fetcher_cache``
does this with Redis)::

    def cached(fetcher: Fetcher[K, V]) -> Fetcher[K, V]:
        async def fetch(keys: list[K]) -> Mapping[K, V]:
            texts = {key: fetcher.key_text(key) for key in keys}
            hits = await cache.get_many(fetcher.name, list(texts.values()))  # one MGET
            misses = [key for key in keys if texts[key] not in hits]
            found = await fetcher.fetch(misses) if misses else {}
            # Write back what was found and, as "known absent", what was not.
            await cache.set_many(fetcher.name, {texts[k]: found.get(k, ABSENT) for k in misses})
            cached = {k: hits[texts[k]] for k in keys if hits.get(texts[k], ABSENT) is not ABSENT}
            return {**cached, **found}
        return fetcher.with_fetch(fetch)

    fetchers = build_fetchers(clients).wrapped(cached)   # once per process
    loaders = loaders_from(fetchers)                     # per request

The wrapper sees every loader's keys, values and name without any loader knowing.
Keys the fetch leaves out of its answer get ``default_factory()`` in the loader.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

from core.records import (
    OPEN_ORDER_STATUSES,
    CustomerPage,
    OrderPage,
    OrderRecord,
    ProductRecord,
    PurchaseOrderRecord,
)
from resolvers._batching import gather_or_cancel
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.scm import ScmClient

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")

Fetch: TypeAlias = Callable[[list[KeyT]], Awaitable[Mapping[KeyT, ValueT]]]

# (customer id, order status or None for every status)
CustomerOrdersKey: TypeAlias = tuple[str, str | None]
# (page size, the CRM's cursor or None for the first page, segment or None for all)
CustomerPageKey: TypeAlias = tuple[int, str | None, str | None]
# (page size, the CRM's cursor or None, status or None, created from, created to)
OrderPageKey: TypeAlias = tuple[int, str | None, str | None, datetime | None, datetime | None]
# The whole product catalogue is one entry, under this key.
CATALOG_KEY = "all"


@dataclass(frozen=True, slots=True)
class Fetcher(Generic[KeyT, ValueT]):
    """One kind of thing, fetched in bulk by key.

    ``name`` is stable (``"crm.customer"``: the owning system, a dot, the join) and fit
    for a cache namespace or a metric label; ``key_text`` spells a key as text for the
    same uses. ``value_type`` is the type hint of the values (``OrderRecord | None``),
    which a cache reads entries back as; ``ttl_s`` is how long a value stays fresh in a
    cache, None for a fetcher no cache may hold.
    """

    name: str
    fetch: Fetch[KeyT, ValueT]
    default_factory: Callable[[], ValueT]
    key_text: Callable[[KeyT], str] = str
    value_type: object = None
    ttl_s: float | None = None

    @property
    def system(self) -> str:
        """The system that answers: ``crm`` of ``crm.customer``."""
        return self.name.partition(".")[0]

    @property
    def entity(self) -> str:
        """The join's own name: ``customer`` of ``crm.customer``."""
        return self.name.partition(".")[2]

    def with_fetch(self, fetch: Fetch[KeyT, ValueT]) -> Fetcher[KeyT, ValueT]:
        """The same fetcher with another ``fetch``, such as a caching one around it."""
        return replace(self, fetch=fetch)

    def with_ttl(self, ttl_s: float) -> Fetcher[KeyT, ValueT]:
        """The same fetcher, fresh in a cache for ``ttl_s`` (a setting's override)."""
        return replace(self, ttl_s=ttl_s)


class FetcherWrapper(Protocol):
    """Turns a fetcher into one of the same kind: a cache, a metrics counter, a trace."""

    def __call__(self, fetcher: Fetcher[KeyT, ValueT], /) -> Fetcher[KeyT, ValueT]: ...


class Fetchers(Mapping[str, Fetcher[Any, Any]]):
    """One fetcher per join, under the join's name (``customer``, ``orders_of_customer``),
    the same names as the fields of ``resolvers.loaders.Loaders``."""

    __slots__ = ("_by_name",)

    def __init__(self, by_name: Mapping[str, Fetcher[Any, Any]]) -> None:
        self._by_name = dict(by_name)

    def __getitem__(self, name: str) -> Fetcher[Any, Any]:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def wrapped(self, wrap: FetcherWrapper) -> Fetchers:
        """Every fetcher passed through ``wrap``; the loaders built from them follow."""
        return Fetchers({name: wrap(fetcher) for name, fetcher in self._by_name.items()})

    def with_ttls(self, ttls_s: Mapping[str, float]) -> Fetchers:
        """These fetchers with the cache TTLs of ``ttls_s`` (join name -> seconds), as a
        setting gives them. An unknown name or a negative TTL is a ``ValueError``, so that
        a typo in settings does not pass silently."""
        unknown = sorted(set(ttls_s) - set(self._by_name))
        if unknown:
            raise ValueError(f"no cached join is named {', '.join(unknown)}")
        by_name = dict(self._by_name)
        for name, ttl_s in ttls_s.items():
            if ttl_s < 0:
                raise ValueError(f"the TTL of {name} must not be negative, got {ttl_s}")
            by_name[name] = by_name[name].with_ttl(ttl_s)
        return Fetchers(by_name)


def customer_orders_key_text(key: CustomerOrdersKey) -> str:
    customer_id, status = key
    return f"{customer_id}|{status or '*'}"


def customer_page_key_text(key: CustomerPageKey) -> str:
    limit, cursor, segment = key
    return f"{limit}|{segment or '*'}|{cursor or ''}"


def order_page_key_text(key: OrderPageKey) -> str:
    limit, cursor, status, created_from, created_to = key
    window = "|".join(
        "" if moment is None else moment.isoformat() for moment in (created_from, created_to)
    )
    return f"{limit}|{status or '*'}|{window}|{cursor or ''}"


def order_pages(crm: CrmClient) -> Fetch[OrderPageKey, OrderPage | None]:
    async def fetch(keys: list[OrderPageKey]) -> dict[OrderPageKey, OrderPage | None]:
        # One call per page (a cursor is only known once the page before it came), side
        # by side when several windows are read at once.
        pages = await gather_or_cancel(
            [
                crm.orders_page(created_from, created_to, status, limit, cursor)
                for limit, cursor, status, created_from, created_to in keys
            ]
        )
        return dict(zip(keys, pages, strict=True))

    return fetch


def catalog(erp: ErpClient) -> Fetch[str, list[ProductRecord]]:
    async def fetch(keys: list[str]) -> dict[str, list[ProductRecord]]:
        # The ERP cannot search by text (only =, != and in): the catalogue is read whole
        # (300 products: one call) and searched in the gateway.
        if CATALOG_KEY not in keys:
            return {}
        products = await erp.all_products()
        return {CATALOG_KEY: sorted(products, key=lambda product: product.default_code)}

    return fetch


def customer_pages(crm: CrmClient) -> Fetch[CustomerPageKey, CustomerPage | None]:
    async def fetch(keys: list[CustomerPageKey]) -> dict[CustomerPageKey, CustomerPage | None]:
        # Pages are read one call each (the CRM has no batch of pages), side by side.
        pages = await gather_or_cancel(
            [crm.customers_page(limit, cursor, segment) for limit, cursor, segment in keys]
        )
        return dict(zip(keys, pages, strict=True))

    return fetch


def orders_of_customers(
    crm: CrmClient,
) -> Fetch[CustomerOrdersKey, list[OrderRecord]]:
    async def fetch(keys: list[CustomerOrdersKey]) -> dict[CustomerOrdersKey, list[OrderRecord]]:
        # The CRM filters by one status per call: one call per distinct status, side by side.
        customers_by_status: dict[str | None, list[str]] = {}
        for customer_id, status in keys:
            customers_by_status.setdefault(status, []).append(customer_id)
        statuses = list(customers_by_status)
        answers = await gather_or_cancel(
            [crm.orders_by_customer_ids(customers_by_status[status], status) for status in statuses]
        )
        return {
            (customer_id, status): orders
            for status, answer in zip(statuses, answers, strict=True)
            for customer_id, orders in answer.items()
        }

    return fetch


def open_purchase_orders(scm: ScmClient) -> Fetch[str, list[PurchaseOrderRecord]]:
    async def fetch(skus: list[str]) -> dict[str, list[PurchaseOrderRecord]]:
        return await scm.purchase_orders(skus, open_only=True)

    return fetch


def open_orders_of_products(crm: CrmClient) -> Fetch[str, list[OrderRecord]]:
    async def fetch(codes: list[str]) -> dict[str, list[OrderRecord]]:
        # The CRM filters by one status per call: one call per open status, side by side.
        answers = await gather_or_cancel(
            [crm.orders_by_product_codes(codes, status) for status in OPEN_ORDER_STATUSES]
        )
        merged: dict[str, list[OrderRecord]] = {code: [] for code in codes}
        for answer in answers:
            for code, orders in answer.items():
                merged.setdefault(code, []).extend(orders)
        for orders in merged.values():
            # Newest first, as the CRM lists each status.
            orders.sort(key=lambda order: (order.created_at, order.id), reverse=True)
        return merged

    return fetch


def every_purchase_order(scm: ScmClient) -> Fetch[str, list[PurchaseOrderRecord]]:
    async def fetch(skus: list[str]) -> dict[str, list[PurchaseOrderRecord]]:
        return await scm.purchase_orders(skus, open_only=False)

    return fetch
