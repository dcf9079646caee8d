"""The ERP models, their fields, and the Odoo wire form of a value.

Odoo quirks kept on purpose: an empty value is ``false`` (also for strings, numbers and
dates), datetimes are ``YYYY-MM-DD HH:MM:SS`` in UTC, dates ``YYYY-MM-DD``. Numbers are
already floats in the records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from simulators.clock import odoo_datetime
from simulators.data.dataset import Dataset

OdooValue = str | int | float | bool


@dataclass(frozen=True)
class ErpModel:
    name: str
    fields: tuple[str, ...]  # besides "id", which every record has
    records: Callable[[Dataset], Sequence[Any]]
    boolean_fields: frozenset[str] = frozenset()
    # A field the dataset indexes, and how to look a value up: lets the usual
    # "sale_ref in [...]" skip a scan of every record.
    key_field: str | None = None
    lookup: Callable[[Dataset, str], Sequence[Any]] | None = None

    @property
    def all_fields(self) -> tuple[str, ...]:
        return ("id", *self.fields)


def _one(record: Any) -> list[Any]:
    return [] if record is None else [record]


MODELS: dict[str, ErpModel] = {
    model.name: model
    for model in (
        ErpModel(
            "product.product",
            (
                "default_code",
                "name",
                "list_price",
                "standard_cost",
                "uom",
                "scm_sku",
                "active",
                "qty_available",
            ),
            lambda dataset: list(dataset.products.values()),
            boolean_fields=frozenset({"active"}),
            key_field="default_code",
            lookup=lambda dataset, code: _one(dataset.products.get(code)),
        ),
        ErpModel(
            "res.partner",
            ("ref", "name", "credit_limit", "balance_due", "payment_terms"),
            lambda dataset: list(dataset.partners.values()),
            key_field="ref",
            lookup=lambda dataset, ref: _one(dataset.partners.get(ref)),
        ),
        ErpModel(
            "mrp.production",
            (
                "name",
                "sale_ref",
                "product_code",
                "product_qty",
                "state",
                "date_planned_start",
                "date_planned_finished",
                "workcenter",
                "unit_cost",
                "origin",
            ),
            lambda dataset: dataset.productions,
            key_field="sale_ref",
            lookup=lambda dataset, ref: dataset.productions_by_sale_ref.get(ref, []),
        ),
        ErpModel(
            "account.move",
            (
                "name",
                "sale_ref",
                "partner_ref",
                "amount_total",
                "amount_residual",
                "currency",
                "state",
                "payment_state",
                "invoice_date",
            ),
            lambda dataset: dataset.invoices,
            key_field="sale_ref",
            lookup=lambda dataset, ref: dataset.invoices_by_sale_ref.get(ref, []),
        ),
        ErpModel(
            "stock.move",
            ("product_code", "quantity", "origin", "date", "reference"),
            lambda dataset: dataset.stock_moves,
            key_field="origin",
            lookup=lambda dataset, origin: _one(dataset.stock_moves_by_origin.get(origin)),
        ),
    )
}


def odoo_value(record: Any, field_name: str) -> OdooValue:
    value = getattr(record, field_name)
    if value is None:
        return False
    if isinstance(value, datetime):
        return odoo_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    assert isinstance(value, str | int | float | bool)
    return value
