"""How long each kind of upstream record may be served from the cache.

TTLs follow how fast each thing changes upstream: master data (customers, products,
suppliers) for minutes, orders and plans for half a minute, stock and shipments for
seconds. Webhooks shorten all of them in practice; the TTL bounds staleness when a
webhook is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

# A negative entry ("the upstream does not know this key") lives at most this long:
# a record created upstream a moment ago must show up soon even without a webhook.
MAX_NEGATIVE_TTL_S = 10.0
# How long an entry is kept past its freshness, to be served if the upstream fails.
DEFAULT_GRACE_S = 300.0


@dataclass(frozen=True, slots=True)
class EntityKind:
    system: str  # crm | erp | scm
    entity: str  # the loader's name, e.g. "orders_of_customer"
    ttl_s: float  # fresh this long after the fetch
    negative_ttl_s: float  # a "not found" is fresh this long
    grace_s: float  # kept this long past freshness for stale-if-error

    @property
    def name(self) -> str:
        """``crm.order``: the same spelling as the fetchers' names."""
        return f"{self.system}.{self.entity}"

    def fresh_for_s(self, present: bool) -> float:
        return self.ttl_s if present else self.negative_ttl_s

    def stored_for_ms(self, present: bool) -> int:
        """The Redis TTL of an entry: freshness plus grace, at least one millisecond."""
        return max(1, round((self.fresh_for_s(present) + self.grace_s) * 1000))


def entity_kind(
    system: str, entity: str, ttl_s: float, *, grace_s: float = DEFAULT_GRACE_S
) -> EntityKind:
    return EntityKind(system, entity, ttl_s, min(ttl_s, MAX_NEGATIVE_TTL_S), grace_s)


DEFAULT_KINDS: Mapping[str, EntityKind] = {
    kind.entity: kind
    for kind in (
        entity_kind("crm", "customer", 300),
        # A page shifts when any customer is added; a customer.updated drops them all.
        entity_kind("crm", "customer_page", 60),
        entity_kind("crm", "order", 30),
        entity_kind("crm", "orders_of_customer", 30),
        entity_kind("erp", "product", 300),
        entity_kind("erp", "account", 120),
        entity_kind("erp", "plans_of_order", 30),
        entity_kind("erp", "invoices_of_order", 60),
        entity_kind("scm", "stock_of_sku", 5),
        entity_kind("scm", "open_purchase_orders_of_sku", 30),
        entity_kind("scm", "shipments_of_order", 10),
        entity_kind("scm", "shipment_by_tracking_number", 10),
        entity_kind("scm", "supplier", 600),
        # Product demand: an order event drops every product's list (see invalidation).
        entity_kind("crm", "open_orders_of_product", 30),
        entity_kind("erp", "open_plans_of_product", 30),
        # The catalogue of skus lowStock enumerates; a product.updated drops it.
        entity_kind("erp", "products_with_sku", 300),
        entity_kind("erp", "product_of_sku", 300),
    )
}


def kinds_with_ttls(
    ttl_overrides_s: Mapping[str, float],
    kinds: Mapping[str, EntityKind] = DEFAULT_KINDS,
) -> dict[str, EntityKind]:
    """``kinds`` with the TTLs of ``ttl_overrides_s`` (entity name -> seconds).

    The negative TTL follows the new TTL; an unknown entity name is a ``ValueError``
    so that a typo in settings does not pass silently.
    """
    unknown = sorted(set(ttl_overrides_s) - set(kinds))
    if unknown:
        raise ValueError(f"no cached entity is named {', '.join(unknown)}")
    result = dict(kinds)
    for entity, ttl_s in ttl_overrides_s.items():
        if ttl_s < 0:
            raise ValueError(f"the TTL of {entity} must not be negative, got {ttl_s}")
        result[entity] = replace(
            kinds[entity], ttl_s=ttl_s, negative_ttl_s=min(ttl_s, MAX_NEGATIVE_TTL_S)
        )
    return result


@dataclass(frozen=True, slots=True)
class RequestCachePolicy:
    """What one request may do with the cache.

    A client's ``Cache-Control: no-cache`` turns reads off: everything is fetched
    upstream, and the fresh answers are still written for the next request.
    """

    read: bool = True
    write: bool = True


DEFAULT_POLICY = RequestCachePolicy()
NO_CACHE_POLICY = RequestCachePolicy(read=False)
