"""CRM JSON (customers, orders) read into records; see ``crm.openapi.yaml``."""

from __future__ import annotations

from core.records import (
    Address,
    CustomerRecord,
    OrderLineRecord,
    OrderRecord,
)
from resolvers._decode import JsonObject


def read_customer(customer: JsonObject) -> CustomerRecord:
    address = customer.optional_object("shipping_address")
    return CustomerRecord(
        id=customer.text("id"),
        name=customer.text("name"),
        email=customer.optional_text("email"),
        phone=customer.optional_text("phone"),
        segment=customer.text("segment"),
        tier=customer.optional_text("tier"),
        erp_account=customer.optional_text("erp_account"),
        shipping_address=read_address(address) if address is not None else None,
        created_at=customer.timestamp("created_at"),
        updated_at=customer.timestamp("updated_at"),
    )


def read_address(address: JsonObject) -> Address:
    return Address(
        street=address.optional_text("street"),
        city=address.optional_text("city"),
        postal_code=address.optional_text("postal_code"),
        country=address.optional_text("country"),
    )


def read_order(order: JsonObject) -> OrderRecord:
    return OrderRecord(
        id=order.text("id"),
        customer_id=order.text("customer_id"),
        status=order.text("status"),
        currency=order.text("currency"),
        lines=tuple(read_order_line(line) for line in order.objects("lines")),
        total=order.decimal_text("total"),
        requested_date=order.optional_date("requested_date"),
        created_at=order.timestamp("created_at"),
        updated_at=order.timestamp("updated_at"),
    )


def read_order_line(line: JsonObject) -> OrderLineRecord:
    return OrderLineRecord(
        line_no=line.integer("line_no"),
        product_code=line.text("product_code"),
        quantity=line.integer("quantity"),
        unit_price=line.decimal_text("unit_price"),
    )
