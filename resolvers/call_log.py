"""A tally of upstream calls per (system, operation), for tests and metrics.

Given an ``observer`` (``resolvers.observer.UpstreamObserver``), the log also hands it
every attempt as it happens: that is how the gateway's metrics, traces and slow-request
log see upstream calls without the clients taking one more argument.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext

from resolvers.observer import UpstreamCall, UpstreamObserver


class UpstreamCallLog:
    """Counts every HTTP request a client sends, whether it succeeds or not."""

    def __init__(self, observer: UpstreamObserver | None = None) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._observer = observer

    def record(self, system: str, operation: str) -> None:
        self._counts[(system, operation)] += 1

    def observe(self, call: UpstreamCall) -> AbstractContextManager[object]:
        """Counts ``call`` and runs it under the observer, if there is one."""
        self.record(call.system, call.operation)
        if self._observer is None:
            return nullcontext()
        return self._observer.observe(call)

    def count(self, system: str, operation: str | None = None) -> int:
        """Calls of one operation, or of every operation of ``system`` when none is named."""
        if operation is not None:
            return self._counts[(system, operation)]
        return sum(n for (sys_name, _), n in self._counts.items() if sys_name == system)

    @property
    def counts(self) -> Mapping[tuple[str, str], int]:
        return dict(self._counts)

    def reset(self) -> None:
        self._counts.clear()
