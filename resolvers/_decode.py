"""Reading untrusted JSON into typed values, field by field.

An upstream answer is checked as it is read: a missing required field or a value of the
wrong type raises ``ContractViolation``, which the HTTP layer turns into
``UpstreamBadResponse`` for the right system. Messages name the field, never its value,
so upstream data does not end up in error messages.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class ContractViolation(Exception):
    """An upstream answer does not have the shape its contract promises."""


def parse_timestamp(text: str, where: str) -> datetime:
    """An ISO 8601 / RFC 3339 time as an aware UTC datetime.

    A time without an offset is read as UTC, since every contract here speaks UTC;
    rejecting it would turn a harmless formatting difference into an outage.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ContractViolation(f"{where}: expected a time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ContractViolation(f"{where}: time out of range") from None


def parse_date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ContractViolation(f"{where}: expected a date") from None


def decimal_from_number(value: object, where: str) -> Decimal:
    """A JSON number as Decimal, through ``str`` so 0.1 stays 0.1 and not its binary float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractViolation(f"{where}: expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ContractViolation(f"{where}: expected a finite number")
    return Decimal(str(value))


def decimal_from_text(value: object, where: str) -> Decimal:
    if not isinstance(value, str):
        raise ContractViolation(f"{where}: expected a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ContractViolation(f"{where}: expected a decimal string") from None
    if not amount.is_finite():
        raise ContractViolation(f"{where}: expected a finite decimal")
    return amount


class JsonObject:
    """One JSON object of an answer, read with the type each field must have.

    ``where`` names the object in messages (``"customer"``, ``"response"``).
    Optional fields may be absent or null; required ones may be neither.
    """

    __slots__ = ("_fields", "where")

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise ContractViolation(f"{where}: expected an object")
        self._fields: dict[str, Any] = value
        self.where = where

    def _at(self, name: str) -> str:
        return f"{self.where}.{name}"

    def has(self, name: str) -> bool:
        return self._fields.get(name) is not None

    def raw(self, name: str) -> object:
        return self._fields.get(name)

    def required(self, name: str) -> object:
        value = self._fields.get(name)
        if value is None:
            raise ContractViolation(f"{self._at(name)}: required but missing")
        return value

    def text(self, name: str) -> str:
        value = self.required(name)
        if not isinstance(value, str):
            raise ContractViolation(f"{self._at(name)}: expected a string")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.has(name) else None

    def integer(self, name: str) -> int:
        value = self.required(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContractViolation(f"{self._at(name)}: expected an integer")
        return value

    def optional_integer(self, name: str) -> int | None:
        return self.integer(name) if self.has(name) else None

    def number(self, name: str) -> float:
        value = self.required(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ContractViolation(f"{self._at(name)}: expected a number")
        try:
            number = float(value)
        except OverflowError:
            raise ContractViolation(f"{self._at(name)}: number out of range") from None
        if not math.isfinite(number):
            raise ContractViolation(f"{self._at(name)}: expected a finite number")
        return number

    def optional_number(self, name: str) -> float | None:
        return self.number(name) if self.has(name) else None

    def boolean(self, name: str) -> bool:
        value = self.required(name)
        if not isinstance(value, bool):
            raise ContractViolation(f"{self._at(name)}: expected a boolean")
        return value

    def decimal_text(self, name: str) -> Decimal:
        return decimal_from_text(self.required(name), self._at(name))

    def decimal_number(self, name: str) -> Decimal:
        return decimal_from_number(self.required(name), self._at(name))

    def timestamp(self, name: str) -> datetime:
        return parse_timestamp(self.text(name), self._at(name))

    def optional_timestamp(self, name: str) -> datetime | None:
        return self.timestamp(name) if self.has(name) else None

    def optional_date(self, name: str) -> date | None:
        return parse_date(self.text(name), self._at(name)) if self.has(name) else None

    def array(self, name: str) -> list[object]:
        value = self.required(name)
        if not isinstance(value, list):
            raise ContractViolation(f"{self._at(name)}: expected a list")
        return value

    def optional_array(self, name: str) -> list[object]:
        return self.array(name) if self.has(name) else []

    def objects(self, name: str) -> list[JsonObject]:
        return [
            JsonObject(item, f"{self._at(name)}[{index}]")
            for index, item in enumerate(self.array(name))
        ]

    def optional_object(self, name: str) -> JsonObject | None:
        return JsonObject(self._fields[name], self._at(name)) if self.has(name) else None

    def object(self, name: str) -> JsonObject:
        return JsonObject(self.required(name), self._at(name))
