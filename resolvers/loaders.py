"""The DataLoaders of one request, each built from a ``Fetcher`` of ``resolvers.joins``.

Loaders hold a per-request cache of futures, so a fresh ``Loaders`` is created for every
request and never shared between requests or users. They must be created inside the
running event loop that will use them (aiodataloader binds to it at construction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeAlias, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue_batch

from core.records import (
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
from resolvers.fetchers import CustomerOrdersKey, CustomerPageKey, Fetcher, OrderPageKey

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

    The memo of futures is a dict of ours, handed to aiodataloader as its public
    ``cache_map``, so reading it needs nothing private. The queue of keys waiting for
    their batch is ours too (see ``do_resolve_reject``); what we still lean on of
    aiodataloader's inside is pinned in pyproject.toml and checked by
    tests/test_pinned_internals.py.
    """

    def __init__(self, fetcher: Fetcher[KeyT, ValueT]) -> None:
        # The system that answers this loader (``"crm"`` of ``"crm.customer"``), for the
        # errors of keys still unanswered when the request's deadline passes.
        self.system = fetcher.system
        self.fetcher_name = fetcher.name
        self._futures: dict[KeyT, asyncio.Future[ValueT]] = {}
        self._waiting: list[Loader] = []
        self._batches: set[asyncio.Future[None]] = set()

        async def load_batch(keys: list[KeyT]) -> list[ValueT | Exception]:
            try:
                found = await fetcher.fetch(keys)
            except Exception as error:
                # Each key gets the error as its value, not a failed batch: aiodataloader
                # forgets the keys of a failed batch, so the next field reading one would
                # send the batch again (a slow system then costs the request twice). As
                # values, the failed futures stay in the memo for the rest of the request.
                self._observe_failures(keys)
                return [error] * len(keys)
            return [found[key] if key in found else fetcher.default_factory() for key in keys]

        # Passing the running loop explicitly: aiodataloader would otherwise call the
        # deprecated get_event_loop(), and outside a loop this fails loudly instead.
        super().__init__(
            load_batch,  # type: ignore[arg-type]
            cache_map=self._futures,
            loop=asyncio.get_running_loop(),
        )

    def _observe_failures(self, keys: list[KeyT]) -> None:
        """A failed key nobody reads (its parent field failed too) is not a lost error:
        the fields that read it report it, so asyncio need not warn at collection."""
        for key in keys:
            future = self._futures.get(key)
            if future is not None and not future.done():
                future.add_done_callback(_observe)

    def expire(self, make_error: Callable[[RequestLoader[KeyT, ValueT]], Exception]) -> int:
        """Fail every key still unanswered with ``make_error(self)``; returns how many.

        Called when the request's deadline has passed: the fields waiting on these keys
        resolve to null with that error and the answer goes out. A batch still in flight
        finds its futures settled and changes nothing.
        """
        expired = 0
        for future in self._futures.values():
            if not future.done():
                future.set_exception(make_error(self))
                future.add_done_callback(_observe)
                expired += 1
        return expired

    def peek(self, key: KeyT) -> tuple[bool, ValueT | None]:
        """``(True, value)`` once ``key`` is settled, else ``(False, None)``; failures raise."""
        future = self._futures.get(key)
        if future is not None and future.done() and not future.cancelled():
            return True, future.result()
        return False, None

    def do_resolve_reject(self, key: KeyT, future: asyncio.Future[ValueT]) -> None:
        # aiodataloader schedules a task that schedules a task that runs the batch:
        # three trips through the loop's ready queue, each behind whatever else is ready
        # (answers of other calls, cache writes). One trip collects this tick's keys.
        self._waiting.append(Loader(key=key, future=future))
        if len(self._waiting) == 1:
            self.loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        batch, self._waiting = self._waiting, []
        # The loop holds tasks weakly: a batch in flight is held here until it ends.
        task = asyncio.ensure_future(dispatch_queue_batch(self, batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    def asked(self, key: KeyT) -> bool:
        """True once ``key`` has been loaded in this request, settled or still in flight."""
        return key in self._futures

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


def _observe(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _build_later(value: Awaitable[ValueT], build: Callable[[ValueT], BuiltT]) -> BuiltT:
    return build(await value)


@dataclass
class Loaders:
    """The loaders of one request, one per row of ``resolvers.joins.JOINS`` and under
    the same names. Each field's type gives its join's key and value types: the value
    type (and so the cache's codec and the default for an absent key) is read from here.
    """

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
    open_orders_of_product: RequestLoader[str, list[OrderRecord]]  # by product code
    open_plans_of_product: RequestLoader[str, list[ProductionRecord]]  # by product code
    product_of_sku: RequestLoader[str, ProductRecord | None]  # by scm_sku

    def by_name(self, name: str) -> RequestLoader[Any, Any]:
        """The loader of the join called ``name`` (``"orders_of_customer"``)."""
        if name not in _LOADER_NAMES:
            raise KeyError(f"no join is named {name!r}")
        loader: RequestLoader[Any, Any] = getattr(self, name)
        return loader

    def expire_pending(self, make_error: Callable[[RequestLoader[Any, Any]], Exception]) -> int:
        """Fail every key of every loader still unanswered (``RequestLoader.expire``)."""
        return sum(self.by_name(name).expire(make_error) for name in _LOADER_NAMES)


_LOADER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Loaders))


def loaders_from(fetchers: Mapping[str, Fetcher[Any, Any]]) -> Loaders:
    """Fresh loaders, one per fetcher, under the fetchers' names (``resolvers.joins``)."""
    return Loaders(**{name: RequestLoader(fetcher) for name, fetcher in fetchers.items()})


def loader_for(fetcher: Fetcher[KeyT, ValueT]) -> RequestLoader[KeyT, ValueT]:
    """A loader that sends every key of one tick to ``fetcher.fetch`` at once.

    If the fetch raises, every key of the batch gets that error and keeps it for the
    rest of the request: a later ``load`` or ``build_now`` of the key gives the same
    error without a second upstream call (``clear(key)`` forgets it, as after a write).
    """
    return RequestLoader(fetcher)
