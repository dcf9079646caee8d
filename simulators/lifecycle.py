"""How an order moves on, across the three systems at once.

Each step changes the CRM order and what the ERP and SCM hold about it, keeping them as
consistent as the generated data: plans in progress while in production, done once
ready; a shipment, a posted invoice and less stock once shipped. The caller (the CRM on
cancel, live activity on every tick) decides which orders move and sends the webhooks.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulators.data.catalog import CARRIER_HUBS, CARRIER_WEIGHTS, CARRIERS, WORKCENTERS
from simulators.data.dataset import Dataset
from simulators.data.generate_fulfilment import (
    EVENT_DESCRIPTIONS,
    origin_warehouse,
    tracking_number,
)
from simulators.data.randomness import weighted
from simulators.data.records import (
    Invoice,
    Order,
    OrderStatus,
    ProductionPlan,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from simulators.webhooks import WebhookSender

NEXT_SHIPMENT_STATUS: dict[ShipmentStatus, ShipmentStatus] = {
    "LABEL_CREATED": "PICKED_UP",
    "PICKED_UP": "IN_TRANSIT",
    "IN_TRANSIT": "OUT_FOR_DELIVERY",
    "OUT_FOR_DELIVERY": "DELIVERED",
    "EXCEPTION": "IN_TRANSIT",  # resolved, back on its way
}


@dataclass
class Changes:
    """Keys touched by one or more steps, by the webhook event that announces them."""

    orders: dict[str, OrderStatus] = field(default_factory=dict)
    productions: set[str] = field(default_factory=set)  # sale_refs
    invoices: set[str] = field(default_factory=set)  # sale_refs
    shipments: dict[str, ShipmentStatus] = field(default_factory=dict)  # order ref -> status
    skus: set[str] = field(default_factory=set)


def _set_status(order: Order, status: OrderStatus, now: datetime, changes: Changes) -> None:
    order.status = status
    order.updated_at = now
    changes.orders[order.id] = status


def cancel(dataset: Dataset, order: Order, now: datetime, changes: Changes) -> None:
    """Cancel an order that has not shipped; its unfinished plans are cancelled too."""
    _set_status(order, "cancelled", now, changes)
    for plan in dataset.productions_by_sale_ref.get(order.id, []):
        if plan.state not in ("done", "cancel"):
            plan.state = "cancel"
            changes.productions.add(order.id)


def start_production(
    dataset: Dataset, order: Order, now: datetime, rng: random.Random, changes: Changes
) -> None:
    plans = [p for p in dataset.productions_by_sale_ref.get(order.id, []) if p.state != "cancel"]
    if not plans:
        next_id = dataset.next_production_id()
        for offset, line in enumerate(order.lines):
            plan_id = next_id + offset
            dataset.add_production(
                ProductionPlan(
                    id=plan_id,
                    name=f"MO/{plan_id:05d}",
                    sale_ref=order.id,
                    product_code=line.product_code,
                    product_qty=float(line.quantity),
                    state="progress",
                    date_planned_start=now,
                    date_planned_finished=now + timedelta(days=rng.randint(2, 8)),
                    workcenter=rng.choice(WORKCENTERS),
                    unit_cost=dataset.products[line.product_code].standard_cost,
                )
            )
    for plan in plans:
        plan.state = "progress"
    changes.productions.add(order.id)
    _set_status(order, "in_production", now, changes)


def finish_production(dataset: Dataset, order: Order, now: datetime, changes: Changes) -> None:
    for plan in dataset.productions_by_sale_ref.get(order.id, []):
        if plan.state != "cancel":
            plan.state = "done"
            changes.productions.add(order.id)
    _set_status(order, "ready", now, changes)


def _post_invoice(dataset: Dataset, order: Order, now: datetime, changes: Changes) -> None:
    invoices = dataset.invoices_by_sale_ref.get(order.id, [])
    if any(invoice.state == "posted" for invoice in invoices):
        return
    year = now.year
    prefix = f"INV/{year}/"
    taken = (
        int(i.name.removeprefix(prefix)) for i in dataset.invoices if i.name.startswith(prefix)
    )
    name = f"{prefix}{max(taken, default=0) + 1:05d}"
    draft = next((invoice for invoice in invoices if invoice.state == "draft"), None)
    if draft is not None:
        draft.name, draft.state, draft.invoice_date = name, "posted", now.date()
    else:
        customer = dataset.customers[order.customer_id]
        amount = float(order.total)
        dataset.add_invoice(
            Invoice(
                id=dataset.next_invoice_id(),
                name=name,
                sale_ref=order.id,
                partner_ref=customer.erp_account,
                amount_total=amount,
                amount_residual=amount,
                currency=order.currency,
                state="posted",
                payment_state="not_paid",
                invoice_date=now.date(),
            )
        )
    changes.invoices.add(order.id)


def _take_stock(dataset: Dataset, order: Order, now: datetime, changes: Changes) -> None:
    for line in order.lines:
        sku = dataset.products[line.product_code].scm_sku
        levels = dataset.stock_by_sku.get(sku or "", [])
        if not levels:
            continue
        level = max(levels, key=lambda candidate: candidate.on_hand)
        taken = min(line.quantity, level.on_hand)
        level.on_hand -= taken
        level.reserved = max(0, min(level.reserved - taken, level.on_hand))
        level.updated_at = now
        changes.skus.add(level.sku)


def ship(
    dataset: Dataset, order: Order, now: datetime, rng: random.Random, changes: Changes
) -> Shipment:
    number = dataset.next_shipment_number()
    carrier = weighted(rng, CARRIERS, CARRIER_WEIGHTS)
    warehouse = origin_warehouse(rng, order, dataset.products, dataset.stock_by_sku)
    address = dataset.customers[order.customer_id].shipping_address
    shipment = Shipment(
        id=f"SHP-{number:06d}",
        tracking_number=tracking_number(rng, carrier, number),
        order_ref=order.id,
        carrier=carrier,
        status="LABEL_CREATED",
        shipped_at=None,
        eta=now + timedelta(days=rng.randint(1, 5)),
        delivered_at=None,
        destination_city=None if address is None else address.city,
        destination_country=None if address is None else address.country,
        origin_warehouse=warehouse,
        events=[
            TrackingEvent(
                at=now,
                status="LABEL_CREATED",
                location=f"{warehouse} warehouse",
                description=EVENT_DESCRIPTIONS["LABEL_CREATED"],
            )
        ],
    )
    dataset.add_shipment(shipment)
    changes.shipments[order.id] = shipment.status
    _post_invoice(dataset, order, now, changes)
    _take_stock(dataset, order, now, changes)
    _set_status(order, "shipped", now, changes)
    return shipment


def advance_shipment(
    dataset: Dataset, shipment: Shipment, now: datetime, rng: random.Random, changes: Changes
) -> None:
    """One more tracking event; the order is delivered once all its parcels are."""
    status = NEXT_SHIPMENT_STATUS[shipment.status]
    location = {
        "PICKED_UP": shipment.origin_warehouse,
        "IN_TRANSIT": rng.choice(CARRIER_HUBS[shipment.carrier]),
    }.get(status, shipment.destination_city)
    shipment.events.append(
        TrackingEvent(
            at=now, status=status, location=location, description=EVENT_DESCRIPTIONS[status]
        )
    )
    shipment.status = status
    if status == "PICKED_UP":
        shipment.shipped_at = now
    if status == "DELIVERED":
        shipment.delivered_at = now
    changes.shipments[shipment.order_ref] = status
    order = dataset.orders.get(shipment.order_ref)
    parcels = dataset.shipments_by_order.get(shipment.order_ref, [])
    if (
        order is not None
        and order.status == "shipped"
        and all(parcel.status == "DELIVERED" for parcel in parcels)
    ):
        _set_status(order, "delivered", now, changes)


def announce(webhooks: WebhookSender, changes: Changes) -> None:
    """One webhook per system and event, keys grouped by the status they moved to."""
    for status, order_ids in _group(changes.orders).items():
        webhooks.emit("crm", "order.updated", order_ids, {"status": status})
    if changes.productions:
        webhooks.emit("erp", "production.updated", sorted(changes.productions))
    if changes.invoices:
        webhooks.emit("erp", "invoice.updated", sorted(changes.invoices))
    for status, order_refs in _group(changes.shipments).items():
        webhooks.emit("scm", "shipment.updated", order_refs, {"status": status})
    if changes.skus:
        webhooks.emit("scm", "stock.changed", sorted(changes.skus))


def _group(statuses: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, status in sorted(statuses.items()):
        groups.setdefault(status, []).append(key)
    return groups
