"""Injected trouble: latency, errors, rate limiting, outages and garbage answers.

Each system has its own ``FaultInjector`` with its own seeded RNG, so a run with the same
settings and the same sequence of requests fails the same requests.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

RATE_FIELDS = ("error_rate", "rate_limit_rate", "garbage_rate")
NON_NEGATIVE_FIELDS = ("latency_ms", "jitter_ms", "retry_after_s")


class FaultSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after_s: float = 1.0
    down: bool = False
    garbage_rate: float = 0.0

    def merged(self, update: Mapping[str, Any]) -> FaultSettings:
        """These settings with the given keys replaced; unknown keys or bad values raise."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(update) - known)
        if unknown:
            raise FaultSettingsError(f"unknown fault settings: {', '.join(unknown)}")
        for name, value in update.items():
            if name == "down":
                if not isinstance(value, bool):
                    raise FaultSettingsError("down must be true or false")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FaultSettingsError(f"{name} must be a number")
            if value < 0 or (name in RATE_FIELDS and value > 1):
                bounds = "between 0 and 1" if name in RATE_FIELDS else "at least 0"
                raise FaultSettingsError(f"{name} must be {bounds}")
        return replace(self, **update)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def retry_after_header(self) -> str:
        """Retry-After carries whole seconds."""
        return str(math.ceil(self.retry_after_s))


class Fault(enum.Enum):
    DOWN = "down"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    GARBAGE = "garbage"


class FaultInjector:
    def __init__(self, defaults: FaultSettings, seed: int, system: str) -> None:
        self._defaults = defaults
        self._seed = f"{seed}:faults:{system}"
        self.settings = defaults
        self._rng = random.Random(self._seed)

    def update(self, changes: Mapping[str, Any]) -> FaultSettings:
        self.settings = self.settings.merged(changes)
        return self.settings

    def reset(self) -> None:
        """Back to the configured defaults, with the RNG rewound."""
        self.settings = self._defaults
        self._rng = random.Random(self._seed)

    def delay_seconds(self) -> float:
        settings = self.settings
        if settings.latency_ms <= 0 and settings.jitter_ms <= 0:
            return 0.0
        jitter = self._rng.uniform(-settings.jitter_ms, settings.jitter_ms)
        return max(0.0, settings.latency_ms + jitter) / 1000.0

    def draw(self) -> Fault | None:
        """The fault this request suffers, if any; checked in order of severity."""
        settings = self.settings
        if settings.down:
            return Fault.DOWN
        for rate, fault in (
            (settings.rate_limit_rate, Fault.RATE_LIMITED),
            (settings.error_rate, Fault.SERVER_ERROR),
            (settings.garbage_rate, Fault.GARBAGE),
        ):
            if rate > 0 and self._rng.random() < rate:
                return fault
        return None
