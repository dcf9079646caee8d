"""One log line per failure, not per field, and a sample of them during an outage.

A failed batch fails every field that reads one of its keys: with the SCM down, a
50-customer dashboard has ~1,750 field errors sharing a handful of exceptions, and an
outage logged ~72,000 lines in 20 s. So a request's errors are grouped by the exception
behind them (one per batch) and logged once each, with the number of fields and the
first path. Expected failures (``SupplyGraphError``) are then sampled per kind (system
and code): at most one line per kind every ``interval_s``, the next line saying how many
were left out meanwhile. Bugs are always logged, with their stack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import GraphQLError

from core.errors import SupplyGraphError
from resolvers.resilience import Clock

logger = logging.getLogger("supplygraph.errors")

# One line per kind of expected failure per second is enough to see an outage start,
# go on and end, and bounded whatever the traffic.
SAMPLE_INTERVAL_S = 1.0


@dataclass
class _Kind:
    logged_at: float
    left_out: int = 0


@dataclass
class Sampler:
    """Lets a line of each kind through at most once per ``interval_s``."""

    interval_s: float = SAMPLE_INTERVAL_S
    clock: Clock = time.monotonic
    _kinds: dict[tuple[str, ...], _Kind] = field(default_factory=dict)
    # Workers of one process may share the schema (a thread per test server, too).
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, kind: tuple[str, ...]) -> int | None:
        """None to leave this line out, else how many of its kind were left out before it."""
        now = self.clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is None or now - seen.logged_at >= self.interval_s:
                left_out = 0 if seen is None else seen.left_out
                self._kinds[kind] = _Kind(logged_at=now)
                return left_out
            seen.left_out += 1
            return None


@dataclass
class _Group:
    first: GraphQLError
    fields: int = 0


def log_errors(errors: Iterable[GraphQLError], sampler: Sampler) -> None:
    """Log a request's errors: one line per distinct failure, expected ones sampled."""
    groups: dict[int, _Group] = {}
    for error in errors:
        original = error.original_error
        # Errors without an exception (validation, ...) are each their own group.
        key = id(original) if original is not None else id(error)
        group = groups.setdefault(key, _Group(first=error))
        group.fields += 1
    for group in groups.values():
        _log_group(group, sampler)


def _log_group(group: _Group, sampler: Sampler) -> None:
    error = group.first
    original = error.original_error
    where = ".".join(str(part) for part in error.path or []) or "document"
    if group.fields > 1:
        where = f"{where} and {group.fields - 1} more fields"
    if original is None or isinstance(original, GraphQLError):
        logger.debug("%s: %s", where, error.message)
        return
    if not isinstance(original, SupplyGraphError):
        logger.error("unexpected error at %s", where, exc_info=original)
        return
    kind = (type(original).__name__, str(getattr(original, "system", "")), original.code)
    left_out = sampler.admit(kind)
    if left_out is None:
        return
    suffix = f" [{left_out} more like it left out of the log]" if left_out else ""
    logger.warning("%s: %s (%s)%s", where, original.message, original.code, suffix)
