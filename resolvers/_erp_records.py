"""ERP models read into records, and the fields each record asks the ERP for.

Asking for exactly these fields keeps answers small; a record reads nothing else.
"""

from __future__ import annotations

from typing import Final

from core.records import InvoiceRecord, PartnerRecord, ProductionRecord, ProductRecord
from resolvers._odoo import OdooRecord

PRODUCT_MODEL: Final = "product.product"
PARTNER_MODEL: Final = "res.partner"
PRODUCTION_MODEL: Final = "mrp.production"
INVOICE_MODEL: Final = "account.move"

# Production orders whose output is still to come: not done and not cancelled.
OPEN_PRODUCTION_STATES: Final = ("draft", "confirmed", "progress", "to_close")

PRODUCT_FIELDS: Final = (
    "id",
    "default_code",
    "name",
    "list_price",
    "standard_cost",
    "uom",
    "scm_sku",
    "active",
)
PARTNER_FIELDS: Final = (
    "id",
    "ref",
    "name",
    "credit_limit",
    "balance_due",
    "payment_terms",
)
PRODUCTION_FIELDS: Final = (
    "id",
    "name",
    "sale_ref",
    "product_code",
    "product_qty",
    "state",
    "date_planned_start",
    "date_planned_finished",
    "workcenter",
    "unit_cost",
)
INVOICE_FIELDS: Final = (
    "id",
    "name",
    "sale_ref",
    "partner_ref",
    "amount_total",
    "amount_residual",
    "currency",
    "state",
    "payment_state",
    "invoice_date",
)


def read_product(raw: object) -> ProductRecord:
    product = OdooRecord(raw, PRODUCT_MODEL)
    return ProductRecord(
        id=product.id(),
        default_code=product.text("default_code"),
        name=product.label("name"),
        list_price=product.optional_decimal("list_price"),
        standard_cost=product.optional_decimal("standard_cost"),
        uom=product.optional_text("uom"),
        scm_sku=product.optional_text("scm_sku"),
        active=product.boolean("active"),
    )


def read_partner(raw: object) -> PartnerRecord:
    partner = OdooRecord(raw, PARTNER_MODEL)
    return PartnerRecord(
        id=partner.id(),
        ref=partner.text("ref"),
        name=partner.label("name"),
        credit_limit=partner.optional_decimal("credit_limit"),
        balance_due=partner.optional_decimal("balance_due"),
        payment_terms=partner.optional_text("payment_terms"),
    )


def read_production(raw: object) -> ProductionRecord:
    production = OdooRecord(raw, PRODUCTION_MODEL)
    return ProductionRecord(
        id=production.id(),
        name=production.label("name"),
        sale_ref=production.optional_text("sale_ref"),
        product_code=production.optional_text("product_code"),
        product_qty=production.amount("product_qty"),
        state=production.text("state"),
        date_planned_start=production.optional_timestamp("date_planned_start"),
        date_planned_finished=production.optional_timestamp("date_planned_finished"),
        workcenter=production.optional_text("workcenter"),
        unit_cost=production.optional_decimal("unit_cost"),
    )


def read_invoice(raw: object) -> InvoiceRecord:
    invoice = OdooRecord(raw, INVOICE_MODEL)
    return InvoiceRecord(
        id=invoice.id(),
        name=invoice.label("name"),
        sale_ref=invoice.optional_text("sale_ref"),
        partner_ref=invoice.optional_text("partner_ref"),
        amount_total=invoice.amount("amount_total"),
        amount_residual=invoice.amount("amount_residual"),
        currency=invoice.text("currency"),
        state=invoice.text("state"),
        payment_state=invoice.text("payment_state"),
        invoice_date=invoice.optional_date("invoice_date"),
    )
