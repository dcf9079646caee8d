"""Reading Odoo-style records, whose quirks are part of the ERP contract.

An empty value is ``false`` whatever the field's type, times are ``"YYYY-MM-DD HH:MM:SS"``
in UTC without an offset, and numbers (money included) are JSON floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from resolvers._decode import ContractViolation, JsonObject


class OdooRecord:
    """One ERP record: ``false`` reads as absent except where a boolean is asked for."""

    __slots__ = ("_fields", "_raw")

    def __init__(self, value: object, model: str) -> None:
        if not isinstance(value, dict):
            raise ContractViolation(f"{model}: expected an object")
        self._raw = JsonObject(value, model)
        self._fields = JsonObject(
            {name: (None if field is False else field) for name, field in value.items()},
            model,
        )

    def id(self) -> int:
        return self._fields.integer("id")

    def text(self, name: str) -> str:
        return self._fields.text(name)

    def label(self, name: str) -> str:
        """A display name; Odoo allows it to be empty, which reads as ``""``."""
        return self._fields.text(name) if self._fields.has(name) else ""

    def optional_text(self, name: str) -> str | None:
        return self._fields.optional_text(name)

    def boolean(self, name: str) -> bool:
        return self._raw.boolean(name)

    def optional_decimal(self, name: str) -> Decimal | None:
        return self._fields.decimal_number(name) if self._fields.has(name) else None

    def amount(self, name: str) -> Decimal:
        """A quantity or total that cannot be absent: Odoo's empty number is zero."""
        return self._fields.decimal_number(name) if self._fields.has(name) else Decimal(0)

    def optional_timestamp(self, name: str) -> datetime | None:
        # The same ISO reader takes Odoo's space-separated, offset-less UTC times.
        return self._fields.optional_timestamp(name)

    def optional_date(self, name: str) -> date | None:
        return self._fields.optional_date(name)
