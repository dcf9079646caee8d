"""How far an order has come, judged from all three systems at once.

Pure functions over upstream records, so the rules can be read and tested without a
server. Each system is asked what stage it shows; the order is at the furthest of them
(a shipment picked up means the goods left, whatever the CRM status says yet). A CRM
cancellation overrides everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import Enum

from core.records import InvoiceRecord, OrderRecord, ProductionRecord, ShipmentRecord


class Stage(Enum):
    ORDERED = 0
    IN_PRODUCTION = 1
    READY_TO_SHIP = 2
    IN_TRANSIT = 3
    DELIVERED = 4
    CANCELLED = -1


STAGE_OF_CRM_STATUS = {
    "confirmed": Stage.ORDERED,
    "in_production": Stage.IN_PRODUCTION,
    "ready": Stage.READY_TO_SHIP,
    "shipped": Stage.IN_TRANSIT,
    "delivered": Stage.DELIVERED,
    "cancelled": Stage.CANCELLED,
}

MOVING_SHIPMENT_STATUSES = {"PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "EXCEPTION"}


def stage_of_plans(plans: Sequence[ProductionRecord]) -> Stage:
    live = [plan for plan in plans if plan.state != "cancel"]
    if not live:
        return Stage.ORDERED
    if all(plan.state == "done" for plan in live):
        return Stage.READY_TO_SHIP
    if any(plan.state in ("progress", "to_close", "done") for plan in live):
        return Stage.IN_PRODUCTION
    return Stage.ORDERED


def stage_of_shipments(shipments: Sequence[ShipmentRecord]) -> Stage:
    if not shipments:
        return Stage.ORDERED
    if all(shipment.status == "DELIVERED" for shipment in shipments):
        return Stage.DELIVERED
    if any(shipment.status in MOVING_SHIPMENT_STATUSES | {"DELIVERED"} for shipment in shipments):
        return Stage.IN_TRANSIT
    return Stage.READY_TO_SHIP


def fulfillment_stage(
    order: OrderRecord,
    plans: Sequence[ProductionRecord],
    shipments: Sequence[ShipmentRecord],
) -> Stage:
    crm_stage = STAGE_OF_CRM_STATUS.get(order.status, Stage.ORDERED)
    if crm_stage is Stage.CANCELLED:
        return Stage.CANCELLED
    return max(
        (crm_stage, stage_of_plans(plans), stage_of_shipments(shipments)),
        key=lambda stage: stage.value,
    )


def fulfillment_progress(
    stage: Stage, plans: Sequence[ProductionRecord], shipments: Sequence[ShipmentRecord]
) -> float:
    """0 to 1: fixed steps per stage, finer inside production and on the last mile."""
    if stage is Stage.CANCELLED:
        return 0.0
    if stage is Stage.ORDERED:
        return 0.1
    if stage is Stage.IN_PRODUCTION:
        live = [plan for plan in plans if plan.state != "cancel"]
        done = sum(1 for plan in live if plan.state == "done")
        return round(0.25 + 0.25 * (done / len(live) if live else 0.0), 4)
    if stage is Stage.READY_TO_SHIP:
        return 0.6
    if stage is Stage.IN_TRANSIT:
        last_mile = any(s.status in ("OUT_FOR_DELIVERY", "DELIVERED") for s in shipments)
        return 0.9 if last_mile else 0.75
    return 1.0


def estimated_delivery(
    plans: Sequence[ProductionRecord], shipments: Sequence[ShipmentRecord]
) -> datetime | None:
    """Latest shipment eta; before anything ships, the latest planned production finish."""
    etas = [s.eta or s.delivered_at for s in shipments]
    known_etas = [eta for eta in etas if eta is not None]
    if known_etas:
        return max(known_etas)
    finishes = [
        plan.date_planned_finished
        for plan in plans
        if plan.state != "cancel" and plan.date_planned_finished is not None
    ]
    return max(finishes) if finishes else None


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    system: str  # "CRM" | "ERP" | "SCM"
    label: str


CRM_STATUS_LABELS = {
    "in_production": "Order in production",
    "ready": "Order ready to ship",
    "shipped": "Order shipped",
    "delivered": "Order delivered",
    "cancelled": "Order cancelled",
}


def timeline(
    order: OrderRecord,
    plans: Sequence[ProductionRecord],
    shipments: Sequence[ShipmentRecord],
    invoices: Sequence[InvoiceRecord],
) -> list[Step]:
    """Every dated step the three systems know of, oldest first."""
    steps = [Step(order.created_at, "CRM", f"Order {order.id} placed")]
    status_label = CRM_STATUS_LABELS.get(order.status)
    if status_label and order.updated_at > order.created_at:
        steps.append(Step(order.updated_at, "CRM", status_label))
    for plan in plans:
        if plan.state == "cancel":
            # A cancelled plan's dates will never happen: they are not steps of this order.
            continue
        if plan.date_planned_start is not None:
            steps.append(Step(plan.date_planned_start, "ERP", f"Production {plan.name} starts"))
        if plan.date_planned_finished is not None:
            steps.append(
                Step(plan.date_planned_finished, "ERP", f"Production {plan.name} finishes")
            )
    for invoice in invoices:
        if invoice.invoice_date is not None:
            at = datetime.combine(invoice.invoice_date, time.min, tzinfo=UTC)
            steps.append(Step(at, "ERP", f"Invoice {invoice.name} issued"))
    for shipment in shipments:
        for event in shipment.events:
            where = f" ({event.location})" if event.location else ""
            label = f"{shipment.carrier} {shipment.tracking_number}: {event.description}{where}"
            steps.append(Step(event.at, "SCM", label))
    order_of_system = {"CRM": 0, "ERP": 1, "SCM": 2}
    return sorted(steps, key=lambda step: (step.at, order_of_system[step.system]))
