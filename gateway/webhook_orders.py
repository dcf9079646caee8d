"""Which webhook events name orders, and so concern the subscriptions following them.

Per the contract's webhook table: the CRM's order events name order ids, the ERP's
production and invoice events name ``sale_ref``s and the SCM's shipment events name
order refs, all of which are CRM order ids. Other events (stock, products, partners,
customers, purchase orders) change nothing an ``OrderTracking`` shows of one order.
"""

from __future__ import annotations

from collections.abc import Sequence

ORDER_KEYED_EVENTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("crm", "order.created"),
        ("crm", "order.updated"),
        ("erp", "production.updated"),
        ("erp", "invoice.updated"),
        ("scm", "shipment.updated"),
    }
)


def orders_named_by(system: str, event: str, keys: Sequence[str]) -> list[str]:
    """The order ids whose tracking an event changes (none for other events)."""
    if (system, event) not in ORDER_KEYED_EVENTS:
        return []
    return list(dict.fromkeys(key for key in keys if key))
