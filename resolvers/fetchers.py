"""What each DataLoader fetches in bulk, as plain values a cache layer can wrap.

A ``Fetcher`` is the whole definition of a loader: a stable ``name``, a ``fetch`` that
takes a batch of keys and returns what it found, the value an absent key stands for,
and how a key is spelled as text. ``Fetchers`` holds one per loader and is built from
the clients once; loaders are built from it per request (``resolvers.loaders``).

A cache layer wraps fetchers, not loaders, and does so in one place (a sketch)::

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

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, Protocol, TypeAlias, TypeVar

from core.records import (
    OPEN_ORDER_STATUSES,
    CustomerPage,
    CustomerRecord,
    InvoiceRecord,
    OrderPage,
    OrderRecord,
    PartnerRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
)
from resolvers._batching import gather_or_cancel
from resolvers.clients import UpstreamClients
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

    ``name`` is stable (``"crm.customer"``) and fit for a cache namespace or a metric
    label; ``key_text`` spells a key as text for the same uses.
    """

    name: str
    fetch: Fetch[KeyT, ValueT]
    default_factory: Callable[[], ValueT]
    key_text: Callable[[KeyT], str] = str

    def with_fetch(self, fetch: Fetch[KeyT, ValueT]) -> Fetcher[KeyT, ValueT]:
        """The same fetcher with another ``fetch``, such as a caching one around it."""
        return replace(self, fetch=fetch)


class FetcherWrapper(Protocol):
    """Turns a fetcher into one of the same kind: a cache, a metrics counter, a trace."""

    def __call__(self, fetcher: Fetcher[KeyT, ValueT], /) -> Fetcher[KeyT, ValueT]: ...


@dataclass(frozen=True, slots=True)
class Fetchers:
    """One fetcher per loader, under the same names as the fields of ``Loaders``."""

    customer: Fetcher[str, CustomerRecord | None]
    customer_page: Fetcher[CustomerPageKey, CustomerPage | None]
    order: Fetcher[str, OrderRecord | None]
    orders_of_customer: Fetcher[CustomerOrdersKey, list[OrderRecord]]
    order_page: Fetcher[OrderPageKey, OrderPage | None]
    product: Fetcher[str, ProductRecord | None]
    product_catalog: Fetcher[str, list[ProductRecord]]
    account: Fetcher[str, PartnerRecord | None]
    plans_of_order: Fetcher[str, list[ProductionRecord]]
    invoices_of_order: Fetcher[str, list[InvoiceRecord]]
    stock_of_sku: Fetcher[str, list[StockLevelRecord]]
    open_purchase_orders_of_sku: Fetcher[str, list[PurchaseOrderRecord]]
    purchase_orders_of_sku: Fetcher[str, list[PurchaseOrderRecord]]
    shipments_of_order: Fetcher[str, list[ShipmentRecord]]
    shipment_by_tracking_number: Fetcher[str, ShipmentRecord | None]
    supplier: Fetcher[str, SupplierRecord | None]
    open_orders_of_product: Fetcher[str, list[OrderRecord]]  # by product code
    open_plans_of_product: Fetcher[str, list[ProductionRecord]]  # by product code
    product_of_sku: Fetcher[str, ProductRecord | None]  # by scm_sku

    def wrapped(self, wrap: FetcherWrapper) -> Fetchers:
        """Every fetcher passed through ``wrap``; the loaders built from them follow."""
        return Fetchers(
            customer=wrap(self.customer),
            customer_page=wrap(self.customer_page),
            order=wrap(self.order),
            orders_of_customer=wrap(self.orders_of_customer),
            order_page=wrap(self.order_page),
            product=wrap(self.product),
            product_catalog=wrap(self.product_catalog),
            account=wrap(self.account),
            plans_of_order=wrap(self.plans_of_order),
            invoices_of_order=wrap(self.invoices_of_order),
            stock_of_sku=wrap(self.stock_of_sku),
            open_purchase_orders_of_sku=wrap(self.open_purchase_orders_of_sku),
            purchase_orders_of_sku=wrap(self.purchase_orders_of_sku),
            shipments_of_order=wrap(self.shipments_of_order),
            shipment_by_tracking_number=wrap(self.shipment_by_tracking_number),
            supplier=wrap(self.supplier),
            open_orders_of_product=wrap(self.open_orders_of_product),
            open_plans_of_product=wrap(self.open_plans_of_product),
            product_of_sku=wrap(self.product_of_sku),
        )


def build_fetchers(clients: UpstreamClients) -> Fetchers:
    crm, erp, scm = clients.crm, clients.erp, clients.scm
    return Fetchers(
        customer=Fetcher("crm.customer", crm.customers_by_ids, _none),
        customer_page=Fetcher(
            "crm.customer_page", _customer_pages(crm), _none, key_text=_customer_page_key_text
        ),
        order=Fetcher("crm.order", crm.orders_by_ids, _none),
        orders_of_customer=Fetcher(
            "crm.orders_of_customer",
            _orders_of_customers(crm),
            list,
            key_text=_customer_orders_key_text,
        ),
        order_page=Fetcher(
            "crm.order_page", _order_pages(crm), _none, key_text=_order_page_key_text
        ),
        product=Fetcher("erp.product", erp.products_by_codes, _none),
        product_catalog=Fetcher("erp.product_catalog", _catalog(erp), list),
        account=Fetcher("erp.account", erp.partners_by_refs, _none),
        plans_of_order=Fetcher("erp.plans_of_order", erp.productions_by_sale_refs, list),
        invoices_of_order=Fetcher("erp.invoices_of_order", erp.invoices_by_sale_refs, list),
        stock_of_sku=Fetcher("scm.stock_of_sku", scm.stock_levels, list),
        open_purchase_orders_of_sku=Fetcher(
            "scm.open_purchase_orders_of_sku", _open_purchase_orders(scm), list
        ),
        purchase_orders_of_sku=Fetcher(
            "scm.purchase_orders_of_sku", _every_purchase_order(scm), list
        ),
        shipments_of_order=Fetcher("scm.shipments_of_order", scm.shipments_by_order_refs, list),
        shipment_by_tracking_number=Fetcher(
            "scm.shipment_by_tracking_number", scm.shipments_by_tracking_numbers, _none
        ),
        supplier=Fetcher("scm.supplier", scm.suppliers_by_ids, _none),
        open_orders_of_product=Fetcher(
            "crm.open_orders_of_product", _open_orders_of_products(crm), list
        ),
        open_plans_of_product=Fetcher(
            "erp.open_plans_of_product", erp.open_productions_by_product_codes, list
        ),
        product_of_sku=Fetcher("erp.product_of_sku", erp.products_by_skus, _none),
    )


def _none() -> None:
    return None


def _customer_orders_key_text(key: CustomerOrdersKey) -> str:
    customer_id, status = key
    return f"{customer_id}|{status or '*'}"


def _customer_page_key_text(key: CustomerPageKey) -> str:
    limit, cursor, segment = key
    return f"{limit}|{segment or '*'}|{cursor or ''}"


def _order_page_key_text(key: OrderPageKey) -> str:
    limit, cursor, status, created_from, created_to = key
    window = "|".join(
        "" if moment is None else moment.isoformat() for moment in (created_from, created_to)
    )
    return f"{limit}|{status or '*'}|{window}|{cursor or ''}"


def _order_pages(crm: CrmClient) -> Fetch[OrderPageKey, OrderPage | None]:
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


def _catalog(erp: ErpClient) -> Fetch[str, list[ProductRecord]]:
    async def fetch(keys: list[str]) -> dict[str, list[ProductRecord]]:
        # The ERP cannot search by text (only =, != and in): the catalogue is read whole
        # (300 products: one call) and searched in the gateway.
        if CATALOG_KEY not in keys:
            return {}
        products = await erp.all_products()
        return {CATALOG_KEY: sorted(products, key=lambda product: product.default_code)}

    return fetch


def _customer_pages(crm: CrmClient) -> Fetch[CustomerPageKey, CustomerPage | None]:
    async def fetch(keys: list[CustomerPageKey]) -> dict[CustomerPageKey, CustomerPage | None]:
        # Pages are read one call each (the CRM has no batch of pages), side by side.
        pages = await gather_or_cancel(
            [crm.customers_page(limit, cursor, segment) for limit, cursor, segment in keys]
        )
        return dict(zip(keys, pages, strict=True))

    return fetch


def _orders_of_customers(
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


def _open_purchase_orders(scm: ScmClient) -> Fetch[str, list[PurchaseOrderRecord]]:
    async def fetch(skus: list[str]) -> dict[str, list[PurchaseOrderRecord]]:
        return await scm.purchase_orders(skus, open_only=True)

    return fetch


def _open_orders_of_products(crm: CrmClient) -> Fetch[str, list[OrderRecord]]:
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


def _every_purchase_order(scm: ScmClient) -> Fetch[str, list[PurchaseOrderRecord]]:
    async def fetch(skus: list[str]) -> dict[str, list[PurchaseOrderRecord]]:
        return await scm.purchase_orders(skus, open_only=False)

    return fetch
