"""The upstream systems the gateway joins, by the short names used everywhere.

Metric labels, cache namespaces, webhook paths, breakers and error extensions all spell
a system with one of these names.
"""

from __future__ import annotations

from typing import Final

SYSTEMS: Final = ("crm", "erp", "scm")
