"""Hand-built records of every type, with the awkward values a codec must keep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from core.records import (
    Address,
    CustomerPage,
    CustomerRecord,
    InvoiceRecord,
    OrderLineRecord,
    OrderRecord,
    PartnerRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
    TrackingEventRecord,
)

T0 = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)


def customer(customer_id: str = "C-000001", *, address: bool = True) -> CustomerRecord:
    return CustomerRecord(
        id=customer_id,
        name="Müller Maschinenbau GmbH",
        email="einkauf@mueller.example",
        phone=None,
        segment="enterprise",
        tier="gold",
        erp_account="K10123",
        shipping_address=Address("Hauptstraße 1", "Stuttgart", "70173", "DE") if address else None,
        created_at=T0,
        updated_at=T0 + timedelta(days=3),
    )


def order(
    order_id: str = "SO-100045", customer_id: str = "C-000001", status: str = "confirmed"
) -> OrderRecord:
    return OrderRecord(
        id=order_id,
        customer_id=customer_id,
        status=status,
        currency="EUR",
        lines=(
            OrderLineRecord(1, "P-1001", 3, Decimal("199.90")),
            OrderLineRecord(2, "P-1002", 1, Decimal("0.10")),
        ),
        total=Decimal("599.80"),
        requested_date=date(2026, 12, 1),
        created_at=T0,
        updated_at=T0,
    )


def product(code: str = "P-1001") -> ProductRecord:
    return ProductRecord(
        id=17,
        default_code=code,
        name="Servo drive 400 W",
        list_price=Decimal("199.90"),
        standard_cost=Decimal("1.2E+2"),
        uom="Unit",
        scm_sku=None,
        active=True,
    )


def partner(ref: str = "K10123") -> PartnerRecord:
    return PartnerRecord(
        id=5,
        ref=ref,
        name="Müller Maschinenbau GmbH",
        credit_limit=Decimal("50000.00"),
        balance_due=None,
        payment_terms="30 days",
    )


def production(sale_ref: str = "SO-100045") -> ProductionRecord:
    return ProductionRecord(
        id=42,
        name="MO/00042",
        sale_ref=sale_ref,
        product_code="P-1001",
        product_qty=Decimal("3.0"),
        state="progress",
        date_planned_start=T0,
        date_planned_finished=None,
        workcenter="Assembly 2",
        unit_cost=Decimal("101.335"),
    )


def invoice(sale_ref: str = "SO-100045") -> InvoiceRecord:
    return InvoiceRecord(
        id=17,
        name="INV/2026/00017",
        sale_ref=sale_ref,
        partner_ref="K10123",
        amount_total=Decimal("599.80"),
        amount_residual=Decimal("0"),
        currency="EUR",
        state="posted",
        payment_state="paid",
        invoice_date=None,
    )


def stock_level(sku: str = "SKU-1001-A", warehouse: str = "STR-1") -> StockLevelRecord:
    return StockLevelRecord(
        sku=sku,
        warehouse=warehouse,
        on_hand=120,
        reserved=-3,
        in_transit=0,
        reorder_point=40,
        # Not UTC on purpose: the offset must survive.
        updated_at=datetime(2026, 11, 25, 11, 30, tzinfo=timezone(timedelta(hours=1))),
    )


def shipment(
    order_ref: str = "SO-100045", tracking_number: str = "1Z999AA10123456784"
) -> ShipmentRecord:
    return ShipmentRecord(
        id=f"SH-{tracking_number[-4:]}",
        tracking_number=tracking_number,
        order_ref=order_ref,
        carrier="UPS",
        status="IN_TRANSIT",
        shipped_at=T0,
        eta=T0 + timedelta(days=2),
        delivered_at=None,
        destination_city="Stuttgart",
        destination_country="DE",
        events=(
            TrackingEventRecord(T0, "PICKED_UP", "Köln", "Picked up"),
            TrackingEventRecord(T0 + timedelta(hours=5), "IN_TRANSIT", None, "On its way"),
        ),
    )


def supplier(supplier_id: str = "SUP-001") -> SupplierRecord:
    return SupplierRecord(
        id=supplier_id, name="Acme Bearings", country="IT", on_time_rate=0.1, lead_time_days=14
    )


def purchase_order(sku: str = "SKU-1001-A") -> PurchaseOrderRecord:
    return PurchaseOrderRecord(
        id="PO-7",
        supplier_id="SUP-001",
        sku=sku,
        quantity=500,
        unit_cost=Decimal("12.3400"),
        expected_at=T0,
        status="open",
    )


def customer_page() -> CustomerPage:
    return CustomerPage(records=(customer("C-1"), customer("C-2", address=False)), next_cursor=None)
