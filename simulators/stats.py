"""Per-system call counters, so tests can see how a gateway batches its upstream calls.

``GET /_sim/stats`` answers ``snapshot()``:
``{"system": "crm", "requests": 12, "operations": {"customers.by_ids": {"calls": 3,
"batch_sizes": [100, 100, 7], "max_batch": 100}}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class OperationStats:
    calls: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def max_batch(self) -> int:
        return max(self.batch_sizes, default=0)


class SystemStats:
    def __init__(self, system: str) -> None:
        self.system = system
        self.requests = 0
        self.operations: dict[str, OperationStats] = {}

    def count_request(self) -> None:
        """Every HTTP request to the contract API, whatever its outcome."""
        self.requests += 1

    def record(self, operation: str, batch_size: int) -> None:
        """One call of an operation; rejected ones too, so max_batch shows limit breaches."""
        stats = self.operations.setdefault(operation, OperationStats())
        stats.calls += 1
        stats.batch_sizes.append(batch_size)

    def reset(self) -> None:
        self.requests = 0
        self.operations = {}

    def snapshot(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "requests": self.requests,
            "operations": {
                name: {
                    "calls": stats.calls,
                    "batch_sizes": list(stats.batch_sizes),
                    "max_batch": stats.max_batch,
                }
                for name, stats in self.operations.items()
            },
        }
