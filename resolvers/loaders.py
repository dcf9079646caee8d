"""The DataLoaders of one request, each built from a ``Fetcher`` by one helper.

Loaders hold a per-request cache of futures, so a fresh ``Loaders`` is created for every
request and never shared between requests or users. They must be created inside the
running event loop that will use them (aiodataloader binds to it at construction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue

from resolvers.clients import UpstreamClients
from resolvers.fetchers import (
    CustomerOrdersKey,
    CustomerPageKey,
    Fetcher,
    Fetchers,
    FetcherWrapper,
    OrderPageKey,
    build_fetchers,
)
from resolvers.records import (
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

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")
BuiltT = TypeVar("BuiltT")

Ready: TypeAlias = BuiltT | Awaitable[BuiltT]
"""A resolver's answer: the value when its data is at hand, else an awaitable of it."""


class RequestLoader(DataLoader[KeyT, ValueT], Generic[KeyT, ValueT]):
    """A DataLoader that can also answer at once for keys it has already settled.

    Resolvers ask ``build_now``: when a key was loaded earlier in the request (by a
    prefetch, see ``schema/prefetch.py``), they get the built value itself and
    graphql-core completes the field synchronously, without a coroutine, a future and
    a task switch per field. A key still in flight or never asked for gives an
    awaitable that loads it, exactly as ``load`` would.
    """

    def __init__(self, fetcher: Fetcher[KeyT, ValueT], *, naive: bool) -> None:
        # The error of a failed batch per key, so reading the key again in this request
        # gives the same error instead of a second upstream call per field.
        self.failures: dict[KeyT, Exception] = {}

        async def load_batch(keys: list[KeyT]) -> list[ValueT]:
            try:
                found = await fetcher.fetch(keys)
            except Exception as error:
                self.failures.update(dict.fromkeys(keys, error))
                raise
            return [found[key] if key in found else fetcher.default_factory() for key in keys]

        # Passing the running loop explicitly: aiodataloader would otherwise call the
        # deprecated get_event_loop(), and outside a loop this fails loudly instead.
        super().__init__(
            load_batch, batch=not naive, cache=not naive, loop=asyncio.get_running_loop()
        )

    def peek(self, key: KeyT) -> tuple[bool, ValueT | None]:
        """``(True, value)`` once ``key`` is settled, else ``(False, None)``; failures raise."""
        failure = self.failures.get(key)
        if failure is not None:
            raise failure
        future = self._cache.get(key)
        if future is not None and future.done() and not future.cancelled():
            return True, future.result()
        return False, None

    def do_resolve_reject(self, key: KeyT, future: asyncio.Future[ValueT]) -> None:
        # aiodataloader schedules a task that schedules a task that runs the batch:
        # three trips through the loop's ready queue, each behind whatever else is ready
        # (answers of other calls, cache writes). One trip collects this tick's keys.
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            if self.batch:
                self.loop.call_soon(dispatch_queue, self)
            else:
                dispatch_queue(self)

    def asked(self, key: KeyT) -> bool:
        """True once ``key`` has been loaded in this request, settled or still in flight."""
        return key in self._cache or key in self.failures

    def build_now(self, key: KeyT, build: Callable[[ValueT], BuiltT]) -> Ready[BuiltT]:
        """``build(value)`` if ``key`` is settled, else an awaitable of it."""
        settled, value = self.peek(key)
        if settled:
            return build(value)  # type: ignore[arg-type]
        return _build_later(self.load(key), build)

    def build_many_now(
        self, keys: list[KeyT], build: Callable[[list[ValueT]], BuiltT]
    ) -> Ready[BuiltT]:
        """``build(values)`` if every key is settled, else an awaitable of it."""
        values: list[ValueT] = []
        for key in keys:
            settled, value = self.peek(key)
            if not settled:
                return _build_later(self.load_many(keys), build)
            values.append(value)  # type: ignore[arg-type]
        return build(values)

    def clear(self, key: KeyT) -> RequestLoader[KeyT, ValueT]:
        self.failures.pop(key, None)
        super().clear(key)
        return self


async def _build_later(value: Awaitable[ValueT], build: Callable[[ValueT], BuiltT]) -> BuiltT:
    return build(await value)


@dataclass
class Loaders:
    customer: RequestLoader[str, CustomerRecord | None]
    customer_page: RequestLoader[CustomerPageKey, CustomerPage | None]
    order: RequestLoader[str, OrderRecord | None]
    orders_of_customer: RequestLoader[CustomerOrdersKey, list[OrderRecord]]
    order_page: RequestLoader[OrderPageKey, OrderPage | None]
    product: RequestLoader[str, ProductRecord | None]  # by default_code
    product_catalog: RequestLoader[str, list[ProductRecord]]  # one key: CATALOG_KEY
    account: RequestLoader[str, PartnerRecord | None]  # by res.partner ref
    plans_of_order: RequestLoader[str, list[ProductionRecord]]  # by sale_ref
    invoices_of_order: RequestLoader[str, list[InvoiceRecord]]  # by sale_ref
    stock_of_sku: RequestLoader[str, list[StockLevelRecord]]
    open_purchase_orders_of_sku: RequestLoader[str, list[PurchaseOrderRecord]]
    purchase_orders_of_sku: RequestLoader[str, list[PurchaseOrderRecord]]  # every status
    shipments_of_order: RequestLoader[str, list[ShipmentRecord]]  # by order ref
    shipment_by_tracking_number: RequestLoader[str, ShipmentRecord | None]
    supplier: RequestLoader[str, SupplierRecord | None]
    # Benchmarks only: no batching and no memo, so prefetching would only add calls.
    naive: bool = field(default=False, kw_only=True)


def create_loaders(
    clients: UpstreamClients, *, wrap: FetcherWrapper | None = None, naive: bool = False
) -> Loaders:
    """Fresh loaders over ``clients``, with every fetcher passed through ``wrap`` if given.

    A process that wraps fetchers (a cache) can also build ``Fetchers`` once and call
    ``loaders_from`` per request. ``naive`` exists for benchmarks only (see ``loader_for``).
    """
    fetchers = build_fetchers(clients)
    return loaders_from(fetchers.wrapped(wrap) if wrap is not None else fetchers, naive=naive)


def loaders_from(fetchers: Fetchers, *, naive: bool = False) -> Loaders:
    return Loaders(
        customer=loader_for(fetchers.customer, naive=naive),
        customer_page=loader_for(fetchers.customer_page, naive=naive),
        order=loader_for(fetchers.order, naive=naive),
        orders_of_customer=loader_for(fetchers.orders_of_customer, naive=naive),
        order_page=loader_for(fetchers.order_page, naive=naive),
        product=loader_for(fetchers.product, naive=naive),
        product_catalog=loader_for(fetchers.product_catalog, naive=naive),
        account=loader_for(fetchers.account, naive=naive),
        plans_of_order=loader_for(fetchers.plans_of_order, naive=naive),
        invoices_of_order=loader_for(fetchers.invoices_of_order, naive=naive),
        stock_of_sku=loader_for(fetchers.stock_of_sku, naive=naive),
        open_purchase_orders_of_sku=loader_for(fetchers.open_purchase_orders_of_sku, naive=naive),
        purchase_orders_of_sku=loader_for(fetchers.purchase_orders_of_sku, naive=naive),
        shipments_of_order=loader_for(fetchers.shipments_of_order, naive=naive),
        shipment_by_tracking_number=loader_for(fetchers.shipment_by_tracking_number, naive=naive),
        supplier=loader_for(fetchers.supplier, naive=naive),
        naive=naive,
    )


def loader_for(
    fetcher: Fetcher[KeyT, ValueT], *, naive: bool = False
) -> RequestLoader[KeyT, ValueT]:
    """A loader that sends every key of one tick to ``fetcher.fetch`` at once.

    If the fetch raises, aiodataloader rejects every key of the batch with that error
    and forgets them, so a later ``load`` in the same request tries again (``build_now``
    gives the recorded error instead).

    ``naive`` turns batching and the per-request memo off: one upstream call per parent
    object, as a resolver without dataloaders would make. The benchmark compares with it.
    """
    return RequestLoader(fetcher, naive=naive)
