"""Small helpers over ``random.Random`` the generators share."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")


def sub_rng(seed: int, topic: str) -> random.Random:
    """An independent stream per topic, so changing one generator leaves the others alone.

    String seeds are hashed with SHA-512 by ``random``, hence stable across processes.
    """
    return random.Random(f"{seed}:{topic}")


def moment_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second moment in [start, end]."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def weighted(rng: random.Random, options: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(options, weights=weights, k=1)[0]
