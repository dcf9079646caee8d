"""The flows of one gateway process: loaded at start-up, one worker task per flow.

Started by the app's lifespan when Redis is configured (the log lives there) and
``GATEWAY_FLOWS_ENABLED`` is not 0; stopped before the runtime closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import strawberry

from core.errors import NotFoundError
from gateway.flows.consumer import ConsumerConfig, FlowWorker, consumer_name
from gateway.flows.definitions import Flow, load_flows
from gateway.flows.engine import FlowEngine, FlowFailed
from gateway.flows.events import BadEvent, DomainEvent, text_of
from gateway.runtime import Runtime
from schema.flow_runs import FlowRunRecord
from schema.strawberry_internals import graphql_schema

logger = logging.getLogger("supplygraph.flows")


class FlowService:
    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        settings = runtime.settings
        assert runtime.flow_redis is not None and runtime.event_log is not None
        assert runtime.flow_runs is not None
        self._runtime = runtime
        self.redis = runtime.flow_redis
        self.names = runtime.event_log.names
        self.runs = runtime.flow_runs
        self.flows: dict[str, Flow] = {
            flow.name: flow for flow in load_flows(graphql_schema(schema), settings.flows)
        }
        self.engine = FlowEngine(schema, runtime)
        config = ConsumerConfig(
            consumer=consumer_name(),
            poll_ms=settings.flows_poll_ms,
            claim_idle_ms=settings.flows_claim_idle_ms,
            max_attempts=settings.flows_max_attempts,
            backoff_base_s=settings.flows_backoff_base_s,
            backoff_max_s=settings.flows_backoff_max_s,
        )
        self.workers = [
            FlowWorker(self.redis, self.names, flow, self.engine, self.runs, config)
            for flow in self.flows.values()
        ]
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # Each worker creates its group itself, as soon as Redis answers: the gateway
        # serves reads without Redis, so it starts without it too.
        self._tasks = [
            asyncio.create_task(worker.run_forever(), name=f"flow:{worker.flow.name}")
            for worker in self.workers
        ]
        logger.info("flows running: %s", ", ".join(self.flows))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def dead_letters(self, count: int = 100) -> list[dict[str, Any]]:
        entries: Any = await self.redis.xrevrange(self.names.dead_letters, count=count)
        return [
            {"id": text_of(entry_id), **{text_of(k): text_of(v) for k, v in fields.items()}}
            for entry_id, fields in entries
        ]

    async def replay(self, letter_id: str) -> FlowRunRecord:
        """Runs a dead letter's flow again now; on success the letter is removed.

        Raises NotFoundError for an unknown letter or flow, FlowFailed when it fails again
        (the letter stays).
        """
        entries: Any = await self.redis.xrange(self.names.dead_letters, letter_id, letter_id)
        if not entries:
            raise NotFoundError(f"no dead letter {letter_id}")
        fields = entries[0][1]
        flow_name = text_of(fields.get(b"flow", b""))
        flow = self.flows.get(flow_name)
        if flow is None:
            raise NotFoundError(f"dead letter {letter_id} names no known flow ({flow_name!r})")
        try:
            event = DomainEvent.from_fields(fields)
        except BadEvent as error:
            raise NotFoundError(f"dead letter {letter_id} holds no event: {error}") from error
        attempts = int(text_of(fields.get(b"attempts", b"0")) or 0)
        try:
            run = await self.engine.run(flow, event, attempts + 1)
        except FlowFailed as failure:
            await self.runs.add(failure.run)
            raise
        run_id = await self.runs.add(run)
        await self.redis.xdel(self.names.dead_letters, letter_id)
        logger.info("flow %s: dead letter %s replayed", flow.name, letter_id)
        return _with_id(run, run_id)


def _with_id(run: FlowRunRecord, run_id: str) -> FlowRunRecord:
    from dataclasses import replace

    return replace(run, id=run_id)
