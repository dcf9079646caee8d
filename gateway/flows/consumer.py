"""One consumer group per flow, reading the event log; several replicas share the work.

For each entry (``XREADGROUP … >``) the worker runs its flow and acknowledges (``XACK``)
only once the run succeeded (or the event is not the flow's trigger). A failed run
stays pending: its attempts are counted in a Redis hash shared by the replicas, and it
is tried again after an exponential backoff (``XCLAIM`` to itself, which also proves it
still owns the entry). After ``flows_max_attempts`` failures, or at once for an entry
that is not a domain event at all, the event moves to the dead-letter stream and is
acknowledged. Entries pending longer than ``flows_claim_idle_ms`` at a consumer that
stopped (a replica killed mid-run) are taken over with ``XAUTOCLAIM``; running the flow
again is safe, as every flow mutation is idempotent by its business key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from gateway.flows import metrics
from gateway.flows.definitions import Flow
from gateway.flows.engine import FlowEngine, FlowFailed
from gateway.flows.events import BadEvent, DomainEvent, FlowRedis, StreamNames, text_of
from gateway.flows.runs import FlowRunLog
from schema.flow_runs import FlowRunRecord

logger = logging.getLogger("supplygraph.flows")


def consumer_name() -> str:
    """Unique per process and start: a restarted replica claims its old entries too."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    consumer: str
    poll_ms: int
    claim_idle_ms: int
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    # Entries read at once, and so run side by side, per flow and process.
    batch: int = 16

    def backoff_s(self, attempts: int) -> float:
        # Capped below the claim idle time: a retry waiting here must not look abandoned.
        cap = min(self.backoff_max_s, self.claim_idle_ms / 2000)
        return float(min(cap, self.backoff_base_s * 2 ** (attempts - 1)))


def group_of(flow: Flow) -> str:
    return f"flow:{flow.name}"


class FlowWorker:
    def __init__(
        self,
        redis: FlowRedis,
        names: StreamNames,
        flow: Flow,
        engine: FlowEngine,
        runs: FlowRunLog,
        config: ConsumerConfig,
    ) -> None:
        self._redis = redis
        self._names = names
        self.flow = flow
        self.group = group_of(flow)
        self._engine = engine
        self._runs = runs
        self._config = config
        # Entries of ours that failed, and when to try each again.
        self._due: dict[str, float] = {}
        self._next_claim = 0.0
        # A new group starts with what was appended since this process started: a new
        # flow does not act on old history, and Redis being down at start-up loses nothing.
        self._start_id = f"{int(time.time() * 1000)}-0"

    async def ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(
                self._names.events, self.group, id=self._start_id, mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def run_forever(self) -> None:
        while True:
            try:
                await self.ensure_group()
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning(
                    "flow %s cannot create its consumer group yet: %s", self.flow.name, error
                )
                await asyncio.sleep(self._config.backoff_max_s)
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except ResponseError as error:
                if "NOGROUP" not in str(error):
                    logger.exception("flow %s consumer failed; trying again", self.flow.name)
                else:
                    # The stream was deleted (by an operator, say): start afresh.
                    logger.warning("flow %s: consumer group gone; creating it", self.flow.name)
                await asyncio.sleep(self._config.backoff_base_s)
                with contextlib.suppress(ResponseError):
                    await self.ensure_group()
            except Exception:
                logger.exception("flow %s consumer failed; trying again", self.flow.name)
                await asyncio.sleep(self._config.backoff_base_s)

    async def step(self) -> int:
        """One round: due retries, abandoned entries, then new ones; how many it handled."""
        handled = await self._retry_due()
        now = time.monotonic()
        if now >= self._next_claim:
            self._next_claim = now + self._config.claim_idle_ms / 2000
            handled += await self._claim_abandoned()
        block = self._config.poll_ms
        if self._due:
            wait_ms = (min(self._due.values()) - time.monotonic()) * 1000
            block = max(1, min(block, int(wait_ms)))
        answer = await self._redis.xreadgroup(
            self.group,
            self._config.consumer,
            {self._names.events: ">"},
            count=self._config.batch,
            block=block,
        )
        entries = _entries(answer)
        # The entries of one read run side by side: each is a different event, and two
        # runs touching the same business key are harmless (idempotent writes).
        await asyncio.gather(*(self.handle(entry_id, fields) for entry_id, fields in entries))
        return handled + len(entries)

    async def _retry_due(self) -> int:
        now = time.monotonic()
        due = [entry_id for entry_id, at in self._due.items() if at <= now]
        if not due:
            return 0
        for entry_id in due:
            del self._due[entry_id]
        ids: list[Any] = list(due)
        claimed: Any = await self._redis.xclaim(
            self._names.events, self.group, self._config.consumer, 0, ids
        )
        await asyncio.gather(
            *(self.handle(text_of(entry_id), fields) for entry_id, fields in claimed if fields)
        )
        return len(claimed)

    async def _claim_abandoned(self) -> int:
        handled, start = 0, "0-0"
        while True:
            answer = await self._redis.xautoclaim(
                self._names.events,
                self.group,
                self._config.consumer,
                self._config.claim_idle_ms,
                start_id=start,
                count=self._config.batch,
            )
            start, entries = text_of(answer[0]), answer[1]
            deleted = answer[2] if len(answer) > 2 else []
            if deleted:
                # Trimmed from the log before anyone finished them: nothing left to run.
                await self._redis.xack(self._names.events, self.group, *deleted)
            for entry_id, fields in entries:
                if fields is None:
                    continue
                metrics.CLAIMED.labels(self.flow.name).inc()
                logger.warning(
                    "flow %s claimed %s from a consumer that stopped",
                    self.flow.name,
                    text_of(entry_id),
                )
                await self.handle(text_of(entry_id), fields)
                handled += 1
            if start == "0-0" or not entries:
                return handled

    async def handle(self, entry_id: str, fields: dict[Any, Any]) -> None:
        try:
            event = DomainEvent.from_fields(fields)
        except BadEvent as error:
            await self._dead_letter(entry_id, fields, str(error), attempts=1)
            return
        if not self.flow.triggered_by(event.system, event.event):
            await self._redis.xack(self._names.events, self.group, entry_id)
            metrics.EVENTS_HANDLED.labels(self.flow.name, "ignored").inc()
            return
        attempts_field = f"{self.group}:{entry_id}"
        attempt = int(await self._redis.hget(self._names.attempts, attempts_field) or 0) + 1
        try:
            run = await self._engine.run(self.flow, event, attempt)
        except FlowFailed as failure:
            await self._failed(entry_id, fields, failure.run, attempts_field, attempt)
            return
        except Exception as error:
            logger.exception("flow %s run of %s failed unexpectedly", self.flow.name, entry_id)
            run = FlowRunRecord(
                id="",
                flow=self.flow.name,
                status="failed",
                event=event.as_json(),
                attempt=attempt,
                started_at="",
                duration_ms=0.0,
                steps=(),
                error=f"{type(error).__name__}: {error}",
            )
            await self._failed(entry_id, fields, run, attempts_field, attempt)
            return
        await self._runs.add(run)
        await self._redis.xack(self._names.events, self.group, entry_id)
        await self._redis.hdel(self._names.attempts, attempts_field)
        metrics.EVENTS_HANDLED.labels(self.flow.name, run.status).inc()
        if event.received_at:
            metrics.LAG.labels(self.flow.name).observe(max(0.0, time.time() - event.received_at))

    async def _failed(
        self,
        entry_id: str,
        fields: dict[Any, Any],
        run: FlowRunRecord,
        attempts_field: str,
        attempt: int,
    ) -> None:
        await self._redis.hset(self._names.attempts, attempts_field, attempt)
        if attempt >= self._config.max_attempts:
            await self._runs.add(_with_status(run, "dead"))
            await self._dead_letter(entry_id, fields, run.error or "failed", attempt)
            await self._redis.hdel(self._names.attempts, attempts_field)
            return
        await self._runs.add(run)
        metrics.RETRIES.labels(self.flow.name).inc()
        wait = self._config.backoff_s(attempt)
        self._due[entry_id] = time.monotonic() + wait
        logger.warning(
            "flow %s run of %s failed (attempt %d of %d), again in %.2f s: %s",
            self.flow.name,
            entry_id,
            attempt,
            self._config.max_attempts,
            wait,
            run.error,
            extra={"flow": self.flow.name, "attempt": attempt, "event_entry": entry_id},
        )

    async def _dead_letter(
        self, entry_id: str, fields: dict[Any, Any], error: str, attempts: int
    ) -> None:
        letter: dict[Any, Any] = {text_of(name): text_of(value) for name, value in fields.items()}
        letter.update(
            {
                "flow": self.flow.name,
                "entry_id": entry_id,
                "error": error[:2000],
                "attempts": str(attempts),
                "failed_at": repr(time.time()),
            }
        )
        await self._redis.xadd(self._names.dead_letters, letter, maxlen=10_000, approximate=True)
        await self._redis.xack(self._names.events, self.group, entry_id)
        metrics.DEAD_LETTERS.labels(self.flow.name).inc()
        metrics.EVENTS_HANDLED.labels(self.flow.name, "dead").inc()
        logger.error(
            "flow %s gave up on %s after %d attempts; moved to the dead letters: %s",
            self.flow.name,
            entry_id,
            attempts,
            error,
            extra={"flow": self.flow.name, "event_entry": entry_id},
        )


def _with_status(run: FlowRunRecord, status: str) -> FlowRunRecord:
    from dataclasses import replace

    return replace(run, status=status)


def _entries(answer: Any) -> list[tuple[str, dict[Any, Any]]]:
    """XREADGROUP's entries, whether redis-py answered in RESP2 (list) or RESP3 (dict)."""
    if not answer:
        return []
    streams = answer.items() if isinstance(answer, dict) else answer
    found: list[tuple[str, dict[Any, Any]]] = []
    for _stream, entries in streams:
        for entry_id, fields in entries:
            if fields is not None:
                found.append((text_of(entry_id), fields))
    return found
