"""A tally of upstream calls per (system, operation), for tests and later for metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping


class UpstreamCallLog:
    """Counts every HTTP request a client sends, whether it succeeds or not."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, system: str, operation: str) -> None:
        self._counts[(system, operation)] += 1

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
