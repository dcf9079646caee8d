"""CRM records as the contract's JSON (crm.openapi.yaml)."""

from __future__ import annotations

from typing import Any

from simulators.clock import rfc3339
from simulators.data.records import Customer, Order


def customer_json(customer: Customer) -> dict[str, Any]:
    address = customer.shipping_address
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "segment": customer.segment,
        "tier": customer.tier,
        "erp_account": customer.erp_account,
        "shipping_address": None
        if address is None
        else {
            "street": address.street,
            "city": address.city,
            "postal_code": address.postal_code,
            "country": address.country,
        },
        "created_at": rfc3339(customer.created_at),
        "updated_at": rfc3339(customer.updated_at),
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "status": order.status,
        "currency": order.currency,
        "lines": [
            {
                "line_no": line.line_no,
                "product_code": line.product_code,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in order.lines
        ],
        "total": str(order.total),
        "requested_date": None
        if order.requested_date is None
        else order.requested_date.isoformat(),
        "created_at": rfc3339(order.created_at),
        "updated_at": rfc3339(order.updated_at),
    }


def error_json(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}
