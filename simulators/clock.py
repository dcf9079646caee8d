"""Simulated time: a fixed reference "now" so that every run sees the same data.

The dataset is generated relative to ``REFERENCE_NOW``. While the simulators run, the
clock moves on with real elapsed time, so orders created later are newer than the seeded
ones and "newest first" keeps meaning something.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

REFERENCE_NOW = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with second precision, e.g. ``2026-11-25T08:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(raw: str) -> datetime:
    """An RFC 3339 time that names its zone (``…Z`` or ``…+01:00``); ValueError otherwise."""
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError(f"{raw!r} names no time zone")
    return moment


def odoo_datetime(moment: datetime) -> str:
    """Odoo's wire format for datetimes: ``YYYY-MM-DD HH:MM:SS`` in UTC, no zone marker."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_date(day: date) -> str:
    return day.isoformat()


class SimClock:
    """``REFERENCE_NOW`` plus the real time elapsed since the clock (re)started."""

    def __init__(
        self,
        start: datetime = REFERENCE_NOW,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self._monotonic = monotonic
        self._started_at = monotonic()

    def now(self) -> datetime:
        elapsed = self._monotonic() - self._started_at
        # Whole seconds: every wire format here has second precision, and a value that
        # round-trips through a string should compare equal to the original.
        return self._start + timedelta(seconds=int(elapsed))

    def restart(self) -> None:
        self._started_at = self._monotonic()
