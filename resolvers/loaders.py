"""The DataLoaders of one request, each built from a ``Fetcher`` by one helper.

Loaders hold a per-request cache of futures, so a fresh ``Loaders`` is created for every
request and never shared between requests or users. They must be created inside the
running event loop that will use them (aiodataloader binds to it at construction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypeVar

from aiodataloader import DataLoader

from resolvers.clients import UpstreamClients
from resolvers.fetchers import (
    CustomerOrdersKey,
    CustomerPageKey,
    Fetcher,
    Fetchers,
    FetcherWrapper,
    build_fetchers,
)
from resolvers.records import (
    CustomerPage,
    CustomerRecord,
    InvoiceRecord,
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


@dataclass
class Loaders:
    customer: DataLoader[str, CustomerRecord | None]
    customer_page: DataLoader[CustomerPageKey, CustomerPage | None]
    order: DataLoader[str, OrderRecord | None]
    orders_of_customer: DataLoader[CustomerOrdersKey, list[OrderRecord]]
    product: DataLoader[str, ProductRecord | None]  # by default_code
    account: DataLoader[str, PartnerRecord | None]  # by res.partner ref
    plans_of_order: DataLoader[str, list[ProductionRecord]]  # by sale_ref
    invoices_of_order: DataLoader[str, list[InvoiceRecord]]  # by sale_ref
    stock_of_sku: DataLoader[str, list[StockLevelRecord]]
    open_purchase_orders_of_sku: DataLoader[str, list[PurchaseOrderRecord]]
    shipments_of_order: DataLoader[str, list[ShipmentRecord]]  # by order ref
    shipment_by_tracking_number: DataLoader[str, ShipmentRecord | None]
    supplier: DataLoader[str, SupplierRecord | None]


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
        product=loader_for(fetchers.product, naive=naive),
        account=loader_for(fetchers.account, naive=naive),
        plans_of_order=loader_for(fetchers.plans_of_order, naive=naive),
        invoices_of_order=loader_for(fetchers.invoices_of_order, naive=naive),
        stock_of_sku=loader_for(fetchers.stock_of_sku, naive=naive),
        open_purchase_orders_of_sku=loader_for(fetchers.open_purchase_orders_of_sku, naive=naive),
        shipments_of_order=loader_for(fetchers.shipments_of_order, naive=naive),
        shipment_by_tracking_number=loader_for(fetchers.shipment_by_tracking_number, naive=naive),
        supplier=loader_for(fetchers.supplier, naive=naive),
    )


def loader_for(fetcher: Fetcher[KeyT, ValueT], *, naive: bool = False) -> DataLoader[KeyT, ValueT]:
    """A DataLoader that sends every key of one tick to ``fetcher.fetch`` at once.

    If the fetch raises, aiodataloader rejects every key of the batch with that error
    and forgets them, so a later load in the same request tries again.

    ``naive`` turns batching and the per-request memo off: one upstream call per parent
    object, as a resolver without dataloaders would make. The benchmark compares with it.
    """

    async def load_batch(keys: list[KeyT]) -> list[ValueT]:
        found = await fetcher.fetch(keys)
        return [found[key] if key in found else fetcher.default_factory() for key in keys]

    # Passing the running loop explicitly: aiodataloader would otherwise call the
    # deprecated get_event_loop(), and outside a loop this fails loudly instead.
    return DataLoader(load_batch, batch=not naive, cache=not naive, loop=asyncio.get_running_loop())
