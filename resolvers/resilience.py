"""How hard the gateway tries one upstream system before it gives up, per system.

Every upstream request goes through ``UpstreamEndpoint.request``, which applies one
``ResilienceConfig``:

* each attempt gets ``connect_timeout_s`` to connect and ``read_timeout_s`` per read,
  both cut down to what is left of ``deadline_s``, the budget of the whole logical call
  (every attempt, every backoff and every ``Retry-After`` wait together);
* reads are retried up to ``max_read_retries`` times on unavailability, timeouts and
  429s, after a full-jitter exponential backoff (or the upstream's ``Retry-After``);
  writes are never retried;
* a circuit breaker opens once at least ``breaker_minimum_calls`` logical calls ended in
  the last ``breaker_window_s`` seconds and ``breaker_failure_rate`` of them failed for
  availability, fails fast for ``breaker_cooldown_s``, then lets one probe through.

``clock``, ``sleep`` and ``random_seed`` exist so tests can run all of this on fake time
with reproducible jitter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

BreakerState = Literal["closed", "open", "half_open"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ResilienceConfig:
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 10.0
    deadline_s: float = 8.0
    max_read_retries: int = 2
    backoff_base_s: float = 0.1
    backoff_max_s: float = 2.0
    breaker_failure_rate: float = 0.5
    breaker_minimum_calls: int = 10
    breaker_window_s: float = 10.0
    breaker_cooldown_s: float = 5.0
    # Test seams. ``clock`` must be monotonic; ``sleep`` must wait on that same clock.
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    # None draws jitter from an unseeded RNG; each endpoint builds its own either way.
    random_seed: int | None = None

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout_s": self.connect_timeout_s,
            "read_timeout_s": self.read_timeout_s,
            "deadline_s": self.deadline_s,
            "breaker_cooldown_s": self.breaker_cooldown_s,
            "breaker_window_s": self.breaker_window_s,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if self.max_read_retries < 0:
            raise ValueError(f"max_read_retries must be >= 0, got {self.max_read_retries}")
        if self.backoff_base_s < 0 or self.backoff_max_s < self.backoff_base_s:
            raise ValueError(
                "backoff needs 0 <= backoff_base_s <= backoff_max_s, got "
                f"{self.backoff_base_s} and {self.backoff_max_s}"
            )
        if not 0 < self.breaker_failure_rate <= 1:
            raise ValueError(
                f"breaker_failure_rate must be in (0, 1], got {self.breaker_failure_rate}"
            )
        if self.breaker_minimum_calls < 1:
            raise ValueError(
                f"breaker_minimum_calls must be >= 1, got {self.breaker_minimum_calls}"
            )


# What a settings file may set per system; the test seams stay out of configuration.
TUNABLE_FIELDS = (
    "connect_timeout_s",
    "read_timeout_s",
    "deadline_s",
    "max_read_retries",
    "backoff_base_s",
    "backoff_max_s",
    "breaker_failure_rate",
    "breaker_minimum_calls",
    "breaker_window_s",
    "breaker_cooldown_s",
)
_COUNT_FIELDS = ("max_read_retries", "breaker_minimum_calls")


def per_system(
    shared: ResilienceConfig,
    overrides: Mapping[str, Mapping[str, float]],
    systems: Sequence[str],
) -> dict[str, ResilienceConfig]:
    """``shared`` for every system, with that system's ``overrides`` applied.

    ``overrides`` is what a settings field such as
    ``{"erp": {"deadline_s": 12, "max_read_retries": 1}}`` holds; an unknown system or
    field is an error rather than a setting silently ignored.
    """
    unknown_systems = sorted(set(overrides) - set(systems))
    if unknown_systems:
        raise ValueError(f"resilience overrides for unknown systems: {unknown_systems}")
    configs: dict[str, ResilienceConfig] = {}
    for system in systems:
        changes = dict(overrides.get(system, {}))
        unknown_fields = sorted(set(changes) - set(TUNABLE_FIELDS))
        if unknown_fields:
            raise ValueError(
                f"unknown resilience fields for {system}: {unknown_fields}; "
                f"known: {list(TUNABLE_FIELDS)}"
            )
        configs[system] = replace(shared, **_typed(system, changes))
    return configs


def _typed(system: str, changes: dict[str, float]) -> dict[str, Any]:
    """JSON gives ``2`` or ``2.0`` alike; counts must be whole numbers."""
    typed: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _COUNT_FIELDS:
            if float(value) != int(value):
                raise ValueError(f"{system}.{name} must be a whole number, got {value}")
            typed[name] = int(value)
        else:
            typed[name] = float(value)
    return typed
