"""What the ERP and SCM hold about each order: production plans, invoices, shipments.

Everything is read off the order's timeline (see generate_orders), so states agree with
the CRM status: a delivered order has done plans, a posted invoice and a DELIVERED
shipment; a confirmed one at most has draft or confirmed plans.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from simulators.data.catalog import (
    CARRIER_HUBS,
    CARRIER_WEIGHTS,
    CARRIERS,
    EXCEPTION_REASONS,
    WAREHOUSES,
    WORKCENTERS,
)
from simulators.data.generate_orders import OrderTimeline
from simulators.data.randomness import chance, moment_between, weighted
from simulators.data.records import (
    Customer,
    Invoice,
    InvoiceState,
    Order,
    PaymentState,
    PlanState,
    Product,
    ProductionPlan,
    Shipment,
    ShipmentStatus,
    StockLevel,
    TrackingEvent,
)

EVENT_DESCRIPTIONS: dict[ShipmentStatus, str] = {
    "LABEL_CREATED": "Shipping label created",
    "PICKED_UP": "Picked up by carrier",
    "IN_TRANSIT": "Arrived at sort facility",
    "OUT_FOR_DELIVERY": "Out for delivery",
    "DELIVERED": "Delivered",
    "EXCEPTION": "Delivery exception",
}


# --- production plans (mrp.production) -------------------------------------------------
def _plan_state(
    rng: random.Random, order: Order, timeline: OrderTimeline, now: datetime
) -> PlanState | None:
    """The state of an order's plans, or None when the order has none."""
    status = order.status
    if status == "in_production":
        almost_done = timeline.ready_at - now < timedelta(days=1)
        return "to_close" if almost_done and chance(rng, 0.5) else "progress"
    if status in ("ready", "shipped", "delivered"):
        return "done"
    if status == "confirmed":
        return weighted(rng, ("draft", "confirmed"), (1, 1)) if chance(rng, 0.5) else None
    # cancelled: plans that had started are cancelled; some were planned before.
    assert timeline.cancelled_at is not None
    if timeline.cancelled_at >= timeline.production_start or chance(rng, 0.3):
        return "cancel"
    return None


def generate_productions(
    rng: random.Random,
    orders: list[Order],
    timelines: dict[str, OrderTimeline],
    products: dict[str, Product],
    now: datetime,
) -> list[ProductionPlan]:
    plans: list[ProductionPlan] = []
    for order in orders:
        timeline = timelines[order.id]
        state = _plan_state(rng, order, timeline, now)
        if state is None:
            continue
        for line in order.lines:
            plan_id = len(plans) + 1
            plans.append(
                ProductionPlan(
                    id=plan_id,
                    name=f"MO/{plan_id:05d}",
                    sale_ref=order.id,
                    product_code=line.product_code,
                    product_qty=float(line.quantity),
                    state=state,
                    date_planned_start=timeline.production_start,
                    date_planned_finished=timeline.ready_at,
                    workcenter=None if chance(rng, 0.08) else rng.choice(WORKCENTERS),
                    unit_cost=products[line.product_code].standard_cost,
                )
            )
    return plans


# --- invoices (account.move) --------------------------------------------------------------
def _payment(
    rng: random.Random, amount: float, invoiced_at: datetime, now: datetime
) -> tuple[PaymentState, float]:
    overdue = now - invoiced_at > timedelta(days=45)
    weights = (5, 5, 90) if overdue else (60, 15, 25)
    options: tuple[PaymentState, ...] = ("not_paid", "partial", "paid")
    state = weighted(rng, options, weights)
    residual = {"not_paid": amount, "paid": 0.0}.get(state)
    if residual is None:
        residual = round(amount * rng.uniform(0.2, 0.8), 2)
    return state, residual


def generate_invoices(
    rng: random.Random,
    orders: list[Order],
    timelines: dict[str, OrderTimeline],
    customers: dict[str, Customer],
    now: datetime,
) -> list[Invoice]:
    invoices: list[Invoice] = []

    def add(
        order: Order,
        residual: float,
        state: InvoiceState,
        payment_state: PaymentState,
        invoice_date: date | None,
    ) -> None:
        invoices.append(
            Invoice(
                id=len(invoices) + 1,
                name="/",  # numbered below, in date order, once all are known
                sale_ref=order.id,
                partner_ref=customers[order.customer_id].erp_account,
                amount_total=float(order.total),
                amount_residual=residual,
                currency="EUR",
                state=state,
                payment_state=payment_state,
                invoice_date=invoice_date,
            )
        )

    for order in orders:
        amount = float(order.total)
        shipped_on = timelines[order.id].shipped_at.date()
        if order.status == "ready" and chance(rng, 0.3):
            # Odoo drafts carry no number and no date yet.
            add(order, amount, "draft", "not_paid", None)
        elif order.status == "shipped":
            add(order, amount, "posted", "not_paid", shipped_on)
        elif order.status == "delivered":
            if chance(rng, 0.01):
                # A wrong invoice, cancelled and replaced by the next one.
                add(order, 0.0, "cancel", "not_paid", shipped_on)
            payment_state, residual = _payment(rng, amount, timelines[order.id].shipped_at, now)
            add(order, residual, "posted", payment_state, shipped_on)
    _number_invoices(invoices)
    return invoices


def _number_invoices(invoices: list[Invoice]) -> None:
    """INV/<year>/<sequence>, the sequence restarting each year, in invoice-date order."""
    sequence_by_year: dict[int, int] = {}
    dated = sorted(
        (i for i in invoices if i.invoice_date is not None), key=lambda i: (i.invoice_date, i.id)
    )
    for invoice in dated:
        assert invoice.invoice_date is not None
        year = invoice.invoice_date.year
        sequence_by_year[year] = sequence_by_year.get(year, 0) + 1
        invoice.name = f"INV/{year}/{sequence_by_year[year]:05d}"


# --- shipments ----------------------------------------------------------------------------
def tracking_number(rng: random.Random, carrier: str, sequence: int) -> str:
    check = rng.randint(10, 99)
    formats = {
        "DHL": f"JD014600{sequence:08d}{check}",
        "UPS": f"1Z8W4A{sequence:08d}{check}",
        "DB Schenker": f"SCH{sequence:09d}",
        "DPD": f"0150{sequence:08d}{check}",
        "GLS": f"GL{sequence:09d}",
        "Kuehne+Nagel": f"KN{sequence:08d}{check}",
    }
    return formats[carrier]


def plan_tracking(
    rng: random.Random,
    carrier: str,
    warehouse: str,
    destination_city: str | None,
    label_at: datetime,
    delivered_at: datetime,
) -> tuple[TrackingEvent, ...]:
    """Every event a shipment will see, planned up front; "now" decides how many happened."""
    span = delivered_at - label_at
    hubs = rng.sample(CARRIER_HUBS[carrier], 2)
    steps: list[tuple[float, ShipmentStatus, str | None]] = [
        (0.0, "LABEL_CREATED", f"{warehouse} warehouse"),
        (rng.uniform(0.05, 0.15), "PICKED_UP", warehouse),
        (rng.uniform(0.2, 0.45), "IN_TRANSIT", hubs[0]),
    ]
    if chance(rng, 0.5):
        steps.append((rng.uniform(0.5, 0.7), "IN_TRANSIT", hubs[1]))
    steps.append((rng.uniform(0.8, 0.92), "OUT_FOR_DELIVERY", destination_city))
    steps.append((1.0, "DELIVERED", destination_city))
    return tuple(
        TrackingEvent(
            at=(label_at + span * fraction).replace(microsecond=0),
            status=status,
            location=location,
            description=EVENT_DESCRIPTIONS[status],
        )
        for fraction, status, location in steps
    )


def shipment_from_plan(
    shipment_id: str,
    number: str,
    order_ref: str,
    carrier: str,
    warehouse: str,
    customer: Customer,
    plan: tuple[TrackingEvent, ...],
    now: datetime,
) -> Shipment:
    happened = [event for event in plan if event.at <= now] or [plan[0]]
    picked_up = next((e.at for e in happened if e.status == "PICKED_UP"), None)
    delivered = next((e.at for e in happened if e.status == "DELIVERED"), None)
    address = customer.shipping_address
    return Shipment(
        id=shipment_id,
        tracking_number=number,
        order_ref=order_ref,
        carrier=carrier,
        status=happened[-1].status,
        shipped_at=picked_up,
        eta=plan[-1].at,
        delivered_at=delivered,
        destination_city=None if address is None else address.city,
        destination_country=None if address is None else address.country,
        origin_warehouse=warehouse,
        events=happened,
    )


def add_exception(rng: random.Random, shipment: Shipment, now: datetime) -> None:
    last = shipment.events[-1].at
    shipment.events.append(
        TrackingEvent(
            at=moment_between(rng, last, now),
            status="EXCEPTION",
            location=shipment.events[-1].location,
            description=rng.choice(EXCEPTION_REASONS),
        )
    )
    shipment.status = "EXCEPTION"
    shipment.eta = None


def origin_warehouse(
    rng: random.Random,
    order: Order,
    products: dict[str, Product],
    stock_by_sku: dict[str, list[StockLevel]],
) -> str:
    for line in order.lines:
        sku = products[line.product_code].scm_sku
        if sku is not None and sku in stock_by_sku:
            return stock_by_sku[sku][0].warehouse
    return rng.choice(WAREHOUSES)


def generate_shipments(
    rng: random.Random,
    orders: list[Order],
    timelines: dict[str, OrderTimeline],
    customers: dict[str, Customer],
    products: dict[str, Product],
    stock_by_sku: dict[str, list[StockLevel]],
    now: datetime,
) -> list[Shipment]:
    shipments: list[Shipment] = []
    for order in orders:
        if order.status not in ("shipped", "delivered"):
            continue
        timeline = timelines[order.id]
        warehouse = origin_warehouse(rng, order, products, stock_by_sku)
        parcel_count = 2 if chance(rng, 0.05) else 1
        for _ in range(parcel_count):
            sequence = len(shipments) + 1
            carrier = weighted(rng, CARRIERS, CARRIER_WEIGHTS)
            destination = customers[order.customer_id].shipping_address
            plan = plan_tracking(
                rng,
                carrier,
                warehouse,
                None if destination is None else destination.city,
                timeline.shipped_at,
                timeline.delivered_at,
            )
            shipment = shipment_from_plan(
                f"SHP-{sequence:06d}",
                tracking_number(rng, carrier, sequence),
                order.id,
                carrier,
                warehouse,
                customers[order.customer_id],
                plan,
                now,
            )
            if order.status == "shipped" and chance(rng, 0.1):
                add_exception(rng, shipment, now)
            shipments.append(shipment)
    return shipments
