"""Every join the gateway makes, written once: one row each.

A row names the join, the system that answers it, how a batch of keys is fetched (built
from the clients), how a key is spelled as text (cache keys) and how long an answer stays
fresh in the cache. The join's key and value types are the typed field of the same name
on ``resolvers.loaders.Loaders``, which mypy checks the resolvers against; the value type
(the cache's codec) and the default for a key the system does not know (``None`` for
one record, ``[]`` for a list) are read from there.

Everything else is derived from these rows: the fetchers (``build_fetchers``), the
per-request loaders (``resolvers.loaders.loaders_from``), and the cache's kinds and value
types, which travel with each ``Fetcher`` to ``cache.fetcher_cache``. Adding a join is a
row here and a field on ``Loaders`` (plus the schema's row and field); importing this
module fails if the two disagree.

A join's cache namespace is ``system.name`` (``crm.order``): renaming a join or moving it
to another system orphans what running deployments hold in Redis.

TTLs follow how fast each thing changes upstream: master data (customers, products,
suppliers) for minutes, orders and plans for half a minute, stock and shipments for
seconds. Webhooks shorten all of them in practice; the TTL bounds staleness when a
webhook is lost. ``GATEWAY_CACHE_TTLS`` overrides them by join name
(``Fetchers.with_ttls``).
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Union, get_args, get_origin, get_type_hints

from core.systems import SYSTEMS
from resolvers.clients import UpstreamClients
from resolvers.fetchers import (
    Fetch,
    Fetcher,
    Fetchers,
    FetcherWrapper,
    catalog,
    customer_orders_key_text,
    customer_page_key_text,
    customer_pages,
    every_purchase_order,
    open_orders_of_products,
    open_purchase_orders,
    order_page_key_text,
    order_pages,
    orders_of_customers,
)
from resolvers.loaders import Loaders, RequestLoader, loaders_from


@dataclass(frozen=True, slots=True)
class Join:
    """One join: what the gateway asks which system for, and how long it may keep it."""

    name: str  # the loader's name: ``context.loaders.<name>``
    system: str  # the system that answers: one of core.systems.SYSTEMS
    fetch: Callable[[UpstreamClients], Fetch[Any, Any]]
    ttl_s: float | None  # fresh in the cache this long; None: never cached
    key_text: Callable[[Any], str] = str  # a key as text, one-to-one


JOINS: tuple[Join, ...] = (
    Join("customer", "crm", lambda up: up.crm.customers_by_ids, ttl_s=300),
    # A page shifts when any customer is added; a customer.updated drops them all.
    Join(
        "customer_page",
        "crm",
        lambda up: customer_pages(up.crm),
        ttl_s=60,
        key_text=customer_page_key_text,
    ),
    Join("order", "crm", lambda up: up.crm.orders_by_ids, ttl_s=30),
    Join(
        "orders_of_customer",
        "crm",
        lambda up: orders_of_customers(up.crm),
        ttl_s=30,
        key_text=customer_orders_key_text,
    ),
    # A page of the order feed: every order.created/updated drops them all.
    Join(
        "order_page", "crm", lambda up: order_pages(up.crm), ttl_s=30, key_text=order_page_key_text
    ),
    Join("product", "erp", lambda up: up.erp.products_by_codes, ttl_s=300),
    # The whole catalogue, searched by productList; a product.updated drops it.
    Join("product_catalog", "erp", lambda up: catalog(up.erp), ttl_s=300),
    Join("account", "erp", lambda up: up.erp.partners_by_refs, ttl_s=120),
    Join("plans_of_order", "erp", lambda up: up.erp.productions_by_sale_refs, ttl_s=30),
    Join("invoices_of_order", "erp", lambda up: up.erp.invoices_by_sale_refs, ttl_s=60),
    Join("stock_of_sku", "scm", lambda up: up.scm.stock_levels, ttl_s=5),
    Join("open_purchase_orders_of_sku", "scm", lambda up: open_purchase_orders(up.scm), ttl_s=30),
    # Every status: the purchase cost of bought lines (finance).
    Join("purchase_orders_of_sku", "scm", lambda up: every_purchase_order(up.scm), ttl_s=30),
    Join("shipments_of_order", "scm", lambda up: up.scm.shipments_by_order_refs, ttl_s=10),
    Join(
        "shipment_by_tracking_number",
        "scm",
        lambda up: up.scm.shipments_by_tracking_numbers,
        ttl_s=10,
    ),
    Join("supplier", "scm", lambda up: up.scm.suppliers_by_ids, ttl_s=600),
    # Product demand: an order event drops every product's list (see cache.invalidation).
    Join("open_orders_of_product", "crm", lambda up: open_orders_of_products(up.crm), ttl_s=30),
    Join(
        "open_plans_of_product",
        "erp",
        lambda up: up.erp.open_productions_by_product_codes,
        ttl_s=30,
    ),
    Join("product_of_sku", "erp", lambda up: up.erp.products_by_skus, ttl_s=300),
)


def problems_of(joins: Sequence[Join], loaders: type[Any]) -> list[str]:
    """What is wrong with a join table and the typed loaders beside it, in words."""
    names = [join.name for join in joins]
    fields_of_loaders = {f.name for f in fields(loaders)}
    problems = [f"two rows are named {name}" for name in sorted(_repeated(names))]
    problems += [
        f"{join.name}: the system {join.system!r} is not one of {', '.join(SYSTEMS)}"
        for join in joins
        if join.system not in SYSTEMS
    ]
    problems += [
        f"{join.name}: a TTL must not be negative, got {join.ttl_s}"
        for join in joins
        if join.ttl_s is not None and join.ttl_s < 0
    ]
    problems += [
        f"{name} has a row but no field on {loaders.__name__}"
        for name in names
        if name not in fields_of_loaders
    ]
    problems += [
        f"{loaders.__name__}.{name} has no row in the join table"
        for name in sorted(fields_of_loaders - set(names))
    ]
    hints = get_type_hints(loaders)
    for name in (name for name in names if name in fields_of_loaders):
        try:
            default_for(value_type_of(hints[name]))
        except TypeError as error:
            problems.append(f"{loaders.__name__}.{name}: {error}")
    return problems


def value_type_of(loader_hint: object) -> object:
    """``CustomerRecord | None`` of ``RequestLoader[str, CustomerRecord | None]``."""
    if get_origin(loader_hint) is not RequestLoader:
        raise TypeError(f"{loader_hint!r} is not a RequestLoader[key type, value type]")
    return get_args(loader_hint)[1]


def default_for(value_type: object) -> Callable[[], Any]:
    """What a key the system does not know gives: an empty list, or None."""
    if get_origin(value_type) is list:
        return list
    if get_origin(value_type) in (Union, types.UnionType) and type(None) in get_args(value_type):
        return _none
    raise TypeError(f"no default for {value_type!r}: a join gives a list or an optional value")


def build_fetchers(clients: UpstreamClients) -> Fetchers:
    """One fetcher per join, over ``clients``; built once per process."""
    return Fetchers({join.name: _fetcher(join, clients) for join in JOINS})


def create_loaders(clients: UpstreamClients, *, wrap: FetcherWrapper | None = None) -> Loaders:
    """Fresh loaders over ``clients``, with every fetcher passed through ``wrap`` if given.

    A process that wraps fetchers (a cache) builds ``Fetchers`` once instead and calls
    ``loaders_from`` per request.
    """
    fetchers = build_fetchers(clients)
    return loaders_from(fetchers.wrapped(wrap) if wrap is not None else fetchers)


def _fetcher(join: Join, clients: UpstreamClients) -> Fetcher[Any, Any]:
    value_type = _VALUE_TYPES[join.name]
    return Fetcher(
        f"{join.system}.{join.name}",
        join.fetch(clients),
        default_for(value_type),
        key_text=join.key_text,
        value_type=value_type,
        ttl_s=join.ttl_s,
    )


def _none() -> None:
    return None


def _repeated(names: Iterable[str]) -> set[str]:
    return {name for name, count in Counter(names).items() if count > 1}


_PROBLEMS = problems_of(JOINS, Loaders)
if _PROBLEMS:
    raise TypeError("the join table and Loaders disagree: " + "; ".join(_PROBLEMS))
_VALUE_TYPES: dict[str, object] = {
    name: value_type_of(hint) for name, hint in get_type_hints(Loaders).items()
}
