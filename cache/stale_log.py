"""A request's record of the cache entries it served past their freshness.

When an upstream fails and the cache answers with an older copy, the answer is still
useful but the client should know: the gateway reads this log to say so (a response
extension or a ``Warning`` header). One ``StaleLog`` per request, never shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StaleRead:
    system: str
    entity: str
    key: str
    age_s: float


@dataclass(slots=True)
class StaleLog:
    entries: list[StaleRead] = field(default_factory=list)

    def record(self, system: str, entity: str, key: str, age_s: float) -> None:
        self.entries.append(StaleRead(system, entity, key, age_s))

    @property
    def max_age_s(self) -> float | None:
        return max((entry.age_s for entry in self.entries), default=None)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
