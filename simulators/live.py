"""Live activity: every tick a few orders move one step along, as on a working day.

Confirmed orders go into production, produced ones become ready, ready ones ship,
parcels advance and get delivered. Each tick announces what changed by webhook. The
stages run from the end of the pipeline backwards so an order moves one step per tick.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from simulators import lifecycle
from simulators.clock import SimClock
from simulators.data.dataset import Dataset
from simulators.webhooks import WebhookSender

logger = logging.getLogger(__name__)

T = TypeVar("T")
MOVES_PER_STAGE = 2


@dataclass
class TickReport:
    orders: dict[str, str] = field(default_factory=dict)  # order id -> new status
    shipments: dict[str, str] = field(default_factory=dict)  # order ref -> shipment status
    skus: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"orders": self.orders, "shipments": self.shipments, "skus": self.skus}


class LiveActivity:
    def __init__(
        self,
        dataset: Dataset,
        clock: SimClock,
        webhooks: WebhookSender,
        seed: int,
        moves_per_stage: int = MOVES_PER_STAGE,
    ) -> None:
        self._dataset = dataset
        self._clock = clock
        self._webhooks = webhooks
        self._seed = seed
        self._moves = moves_per_stage
        self._rng = random.Random(f"{seed}:live")

    def reset(self) -> None:
        self._rng = random.Random(f"{self._seed}:live")

    def _pick(self, candidates: Sequence[T], key: Callable[[T], str]) -> list[T]:
        ordered = sorted(candidates, key=key)
        return self._rng.sample(ordered, min(self._moves, len(ordered)))

    def tick(self) -> TickReport:
        """Move a few orders one step and announce it. Runs on the simulators' loop."""
        dataset, now, rng = self._dataset, self._clock.now(), self._rng
        changes = lifecycle.Changes()
        orders = list(dataset.orders.values())

        def with_status(status: str) -> list[Any]:
            return [order for order in orders if order.status == status]

        parcels = [s for s in dataset.shipments if s.status in lifecycle.NEXT_SHIPMENT_STATUS]
        for shipment in self._pick(parcels, key=lambda s: s.id):
            lifecycle.advance_shipment(dataset, shipment, now, rng, changes)
        for order in self._pick(with_status("ready"), key=lambda o: o.id):
            lifecycle.ship(dataset, order, now, rng, changes)
        for order in self._pick(with_status("in_production"), key=lambda o: o.id):
            lifecycle.finish_production(dataset, order, now, changes)
        for order in self._pick(with_status("confirmed"), key=lambda o: o.id):
            lifecycle.start_production(dataset, order, now, rng, changes)
        lifecycle.announce(self._webhooks, changes)
        return TickReport(
            orders=dict(changes.orders),
            shipments=dict(changes.shipments),
            skus=sorted(changes.skus),
        )

    async def run(self, interval_s: float) -> None:
        """Tick every interval until cancelled; a failing tick is logged, not fatal."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.tick()
            except Exception:
                logger.exception("live activity tick failed")
