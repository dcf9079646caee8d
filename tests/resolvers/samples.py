"""Upstream answers as the contracts spell them, with overridable fields."""

from __future__ import annotations

from typing import Any


def crm_customer(customer_id: str = "C-000001", **overrides: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "id": customer_id,
        "name": "Acme Tools GmbH",
        "email": "buyer@acme.example",
        "phone": None,
        "segment": "enterprise",
        "tier": "gold",
        "erp_account": "K10123",
        "shipping_address": {
            "street": "Hauptstr. 1",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-11-25T10:00:00Z",
    }
    customer.update(overrides)
    return customer


def crm_order(
    order_id: str = "SO-100045", customer_id: str = "C-000001", **overrides: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": order_id,
        "customer_id": customer_id,
        "status": "confirmed",
        "currency": "EUR",
        "lines": [
            {"line_no": 1, "product_code": "P-1001", "quantity": 2, "unit_price": "129.00"},
        ],
        "total": "258.00",
        "requested_date": "2026-12-01",
        "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-20T08:00:00Z",
    }
    order.update(overrides)
    return order


def erp_product(default_code: str | bool = "P-1001", **overrides: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "id": 1,
        "default_code": default_code,
        "name": "Cordless Drill",
        "list_price": 129.0,
        "standard_cost": 71.35,
        "uom": "Unit",
        "scm_sku": "SKU-1001-A",
        "active": True,
    }
    product.update(overrides)
    return product


def erp_partner(ref: str = "K10123", **overrides: Any) -> dict[str, Any]:
    partner: dict[str, Any] = {
        "id": 7,
        "ref": ref,
        "name": "Acme Tools GmbH",
        "credit_limit": 50000.0,
        "balance_due": 1234.5,
        "payment_terms": "30 days",
    }
    partner.update(overrides)
    return partner


def erp_production(sale_ref: str = "SO-100045", **overrides: Any) -> dict[str, Any]:
    production: dict[str, Any] = {
        "id": 42,
        "name": "MO/00042",
        "sale_ref": sale_ref,
        "product_code": "P-1001",
        "product_qty": 2.0,
        "state": "progress",
        "date_planned_start": "2026-11-21 06:00:00",
        "date_planned_finished": False,
        "workcenter": "Assembly 1",
        "unit_cost": 70.1,
    }
    production.update(overrides)
    return production


def erp_invoice(sale_ref: str = "SO-100045", **overrides: Any) -> dict[str, Any]:
    invoice: dict[str, Any] = {
        "id": 17,
        "name": "INV/2026/00017",
        "sale_ref": sale_ref,
        "partner_ref": "K10123",
        "amount_total": 258.0,
        "amount_residual": 0.1,
        "currency": "EUR",
        "state": "posted",
        "payment_state": "partial",
        "invoice_date": "2026-11-22",
    }
    invoice.update(overrides)
    return invoice


def scm_stock_level(sku: str = "SKU-1001-A", **overrides: Any) -> dict[str, Any]:
    level: dict[str, Any] = {
        "sku": sku,
        "warehouse": "HAM",
        "onHand": 120,
        "reserved": 20,
        "inTransit": 5,
        "reorderPoint": 50,
        "updatedAt": "2026-11-25T10:00:00Z",
    }
    level.update(overrides)
    return level


def scm_shipment(
    order_ref: str = "SO-100045", tracking_number: str = "1Z999", **overrides: Any
) -> dict[str, Any]:
    shipment: dict[str, Any] = {
        "id": "SH-1",
        "trackingNumber": tracking_number,
        "orderRef": order_ref,
        "carrier": "DHL",
        "status": "IN_TRANSIT",
        "shippedAt": "2026-11-23T09:00:00Z",
        "eta": "2026-11-26T18:00:00+01:00",
        "deliveredAt": None,
        "destinationCity": "Berlin",
        "destinationCountry": "DE",
        "events": [
            {
                "at": "2026-11-23T09:00:00Z",
                "status": "PICKED_UP",
                "location": "Hamburg",
                "description": "Picked up",
            },
        ],
    }
    shipment.update(overrides)
    return shipment


def scm_supplier(supplier_id: str = "SUP-1", **overrides: Any) -> dict[str, Any]:
    supplier: dict[str, Any] = {
        "id": supplier_id,
        "name": "Bosch Parts",
        "country": "DE",
        "onTimeRate": 0.97,
        "leadTimeDays": 14,
    }
    supplier.update(overrides)
    return supplier


def scm_purchase_order(sku: str = "SKU-1001-A", **overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "PO-1",
        "supplierId": "SUP-1",
        "sku": sku,
        "quantity": 500,
        "unitCost": 61.2,
        "expectedAt": "2026-12-10T00:00:00Z",
        "status": "open",
    }
    order.update(overrides)
    return order
