"""The few settings the schema's resolvers read, given to them in the request context.

The gateway builds one from its ``Settings`` (``Settings.schema_config()``); the schema
never sees the rest (URLs, credentials, cache and server knobs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SchemaConfig:
    # The ERP's company currency: its products and accounts carry no currency field.
    erp_currency: str
    # Each subscription update's re-read has the deadline of one request.
    request_deadline_s: float
