"""DateTime and Date as the contract spells them: RFC 3339 in UTC with a ``Z``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition


def format_datetime(value: datetime) -> str:
    """Serialise an aware datetime as RFC 3339 UTC, e.g. ``2026-11-25T10:00:00Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDateTime: ScalarDefinition = dataclasses.replace(
    DateTimeDefinition,
    description="RFC 3339 date and time in UTC",
    serialize=format_datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: UtcDateTime}

__all__ = ["SCALAR_OVERRIDES", "date", "datetime", "format_datetime"]
