"""Typed records the upstream clients return, whatever protocol they came over.

Money is ``Decimal``, times are timezone-aware ``datetime`` in UTC, dates are ``date``,
and an ERP ``false`` has become ``None``. Enum-like values keep the upstream spelling
(``"in_production"``, ``"progress"``, ``"IN_TRANSIT"``); the schema layer maps them.
Records are frozen: one record may be shared by many resolvers of one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


# --- CRM -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Address:
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    name: str
    email: str | None
    phone: str | None
    segment: str  # enterprise | smb | consumer
    tier: str | None  # gold | silver | bronze | None
    erp_account: str | None  # ERP res.partner ref
    shipping_address: Address | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerPage:
    records: tuple[CustomerRecord, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    line_no: int
    product_code: str  # ERP product.product default_code
    quantity: int
    unit_price: Decimal


# Orders whose goods are still owed to the customer: the demand a product must cover.
# Shipped and delivered orders have taken their stock already; cancelled ones never will.
OPEN_ORDER_STATUSES: tuple[str, ...] = ("confirmed", "in_production", "ready")


@dataclass(frozen=True, slots=True)
class OrderRecord:
    id: str
    customer_id: str
    status: str  # confirmed | in_production | ready | shipped | delivered | cancelled
    currency: str
    lines: tuple[OrderLineRecord, ...]
    total: Decimal
    requested_date: date | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of the CRM's order feed (orders by ``created_at`` then ``id``)."""

    records: tuple[OrderRecord, ...]
    next_cursor: str | None


# --- ERP -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProductRecord:
    id: int
    default_code: str
    name: str
    list_price: Decimal | None
    standard_cost: Decimal | None
    uom: str | None
    scm_sku: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    id: int
    ref: str
    name: str
    credit_limit: Decimal | None
    balance_due: Decimal | None
    payment_terms: str | None


@dataclass(frozen=True, slots=True)
class ProductionRecord:
    id: int
    name: str  # "MO/00042"
    sale_ref: str | None
    product_code: str | None
    product_qty: Decimal
    state: str  # draft | confirmed | progress | to_close | done | cancel
    date_planned_start: datetime | None
    date_planned_finished: datetime | None
    workcenter: str | None
    unit_cost: Decimal | None


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    id: int
    name: str  # "INV/2026/00017"
    sale_ref: str | None
    partner_ref: str | None
    amount_total: Decimal
    amount_residual: Decimal
    currency: str
    state: str  # draft | posted | cancel
    payment_state: str  # not_paid | partial | paid
    invoice_date: date | None


# --- SCM -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StockLevelRecord:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    in_transit: int
    reorder_point: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TrackingEventRecord:
    at: datetime
    status: str  # LABEL_CREATED | PICKED_UP | IN_TRANSIT | OUT_FOR_DELIVERY | DELIVERED | EXCEPTION
    location: str | None
    description: str


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    id: str
    tracking_number: str
    order_ref: str  # CRM order id
    carrier: str
    status: str
    shipped_at: datetime | None
    eta: datetime | None
    delivered_at: datetime | None
    destination_city: str | None
    destination_country: str | None
    events: tuple[TrackingEventRecord, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    id: str
    name: str
    country: str | None
    on_time_rate: float | None
    lead_time_days: int | None


@dataclass(frozen=True, slots=True)
class PurchaseOrderRecord:
    id: str
    supplier_id: str
    sku: str
    quantity: int
    unit_cost: Decimal
    expected_at: datetime
    status: str  # open | received | cancelled
    # The caller's idempotency key (contract v2), e.g. the ERP production order.
    reference: str | None = None
