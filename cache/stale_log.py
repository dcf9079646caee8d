"""A request's record of how fresh the records it served were.

When an upstream fails and the cache answers with an older copy, the answer is still
useful but the client should know: the gateway reads this log to say so (a response
extension or a ``Warning`` header). It also notes which systems the fresh records came
from and how long the least fresh of them stays so: how long the whole answer may be
kept (``cache.response_cache``). One ``StaleLog`` per request, never shared.
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
    # The systems fresh records came from, and the shortest time one of them stays fresh.
    systems: set[str] = field(default_factory=set)
    fresh_for_s: float | None = None

    def record(self, system: str, entity: str, key: str, age_s: float) -> None:
        self.entries.append(StaleRead(system, entity, key, age_s))

    def served_fresh(self, system: str, fresh_for_s: float) -> None:
        self.systems.add(system)
        if self.fresh_for_s is None or fresh_for_s < self.fresh_for_s:
            self.fresh_for_s = fresh_for_s

    @property
    def max_age_s(self) -> float | None:
        return max((entry.age_s for entry in self.entries), default=None)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
