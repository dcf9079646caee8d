"""The simulated systems' own records, one dataclass per upstream entity.

Attribute names follow the owning system's wire names in snake_case (the ERP ones are
exactly the Odoo field names), so each app's serializer stays a thin mapping. Records
are mutable: the CRM creates and cancels orders and live activity moves them along.
Money in the CRM is ``Decimal``; the ERP keeps floats, as Odoo does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Segment = Literal["enterprise", "smb", "consumer"]
Tier = Literal["gold", "silver", "bronze"]
OrderStatus = Literal["confirmed", "in_production", "ready", "shipped", "delivered", "cancelled"]
PlanState = Literal["draft", "confirmed", "progress", "to_close", "done", "cancel"]
InvoiceState = Literal["draft", "posted", "cancel"]
PaymentState = Literal["not_paid", "partial", "paid"]
ShipmentStatus = Literal[
    "LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED", "EXCEPTION"
]
PurchaseOrderStatus = Literal["open", "received", "cancelled"]

ORDER_STATUSES: tuple[OrderStatus, ...] = (
    "confirmed",
    "in_production",
    "ready",
    "shipped",
    "delivered",
    "cancelled",
)
SEGMENTS: tuple[Segment, ...] = ("enterprise", "smb", "consumer")
SHIPMENT_STATUSES: tuple[ShipmentStatus, ...] = (
    "LABEL_CREATED",
    "PICKED_UP",
    "IN_TRANSIT",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
    "EXCEPTION",
)


# --- CRM -------------------------------------------------------------------------------
@dataclass(slots=True)
class Address:
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@dataclass(slots=True)
class Customer:
    id: str
    name: str
    email: str | None
    phone: str | None
    segment: Segment
    tier: Tier | None
    erp_account: str | None
    shipping_address: Address | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class OrderLine:
    line_no: int
    product_code: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class Order:
    id: str
    customer_id: str
    status: OrderStatus
    currency: str
    lines: list[OrderLine]
    requested_date: date | None
    created_at: datetime
    updated_at: datetime

    @property
    def total(self) -> Decimal:
        return sum(
            (line.unit_price * line.quantity for line in self.lines), Decimal("0.00")
        ).quantize(Decimal("0.01"))


# --- ERP -------------------------------------------------------------------------------
@dataclass(slots=True)
class Product:
    id: int
    default_code: str
    name: str
    list_price: float
    standard_cost: float | None
    uom: str
    scm_sku: str | None
    active: bool
    # Sum of the product's stock moves, kept by Dataset as moves are added.
    qty_available: float = 0.0


@dataclass(slots=True)
class Partner:
    id: int
    ref: str
    name: str
    credit_limit: float | None
    balance_due: float
    payment_terms: str | None


@dataclass(slots=True)
class ProductionPlan:
    id: int
    name: str
    sale_ref: str | None  # None: made for stock, not for a sales order
    product_code: str
    product_qty: float
    state: PlanState
    date_planned_start: datetime
    date_planned_finished: datetime
    workcenter: str | None
    unit_cost: float | None
    origin: str | None = None  # the creator's idempotency key (version 2 ``create``)


@dataclass(slots=True)
class Invoice:
    id: int
    name: str
    sale_ref: str
    partner_ref: str | None
    amount_total: float
    amount_residual: float
    currency: str
    state: InvoiceState
    payment_state: PaymentState
    invoice_date: date | None


@dataclass(slots=True)
class StockMove:
    """One line of the ERP's stock book: goods in (positive) or out (negative)."""

    id: int
    product_code: str
    quantity: float
    origin: str | None  # idempotency key, e.g. the SCM purchase order id
    date: datetime
    reference: str | None


# --- SCM -------------------------------------------------------------------------------
@dataclass(slots=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    in_transit: int
    reorder_point: int
    updated_at: datetime


@dataclass(slots=True)
class TrackingEvent:
    at: datetime
    status: ShipmentStatus
    location: str | None
    description: str


@dataclass(slots=True)
class Shipment:
    id: str
    tracking_number: str
    order_ref: str
    carrier: str
    status: ShipmentStatus
    shipped_at: datetime | None
    eta: datetime | None
    delivered_at: datetime | None
    destination_city: str | None
    destination_country: str | None
    origin_warehouse: str
    events: list[TrackingEvent] = field(default_factory=list)


@dataclass(slots=True)
class Supplier:
    id: str
    name: str
    country: str
    on_time_rate: float
    lead_time_days: int


@dataclass(slots=True)
class PurchaseOrder:
    id: str
    supplier_id: str
    sku: str
    quantity: int
    unit_cost: float
    expected_at: datetime
    status: PurchaseOrderStatus
    reference: str | None = None  # the creator's idempotency key (version 2 mutation)
