"""Running one flow for one event: reads and mutations over the one graph, in-process.

The engine executes the gateway's own schema with a service identity (``FLOW_SERVICE``:
the three read scopes and exactly the write scopes of the flows' mutations) and loaders
that read past the cache, so a flow decides on the systems' state now. Each step (read,
condition, mutation) is recorded in the run and logged as one structured line.

A run fails (``FlowFailed``) when any read or mutation answers with an error: the
consumer then retries the whole run later. That is safe because every mutation a flow
makes is idempotent by its business key, and a re-run re-reads the state first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry

from cache.policy import NO_CACHE_POLICY
from cache.stale_log import StaleLog
from gateway.flows.definitions import Flow
from gateway.flows.events import DomainEvent
from gateway.flows.expressions import evaluate, holds, lookup
from gateway.live_services import live_services_of
from gateway.runtime import Runtime
from resolvers.loaders import Loaders
from schema.context import GatewayContext
from schema.flow_runs import FlowRunRecord, FlowStepRecord
from schema.viewer import Viewer

logger = logging.getLogger("supplygraph.flows")

FLOW_SERVICE = Viewer(
    subject="supplygraph-flows",
    scopes=frozenset({"crm:read", "erp:read", "scm:read", "erp:write", "scm:write"}),
)


class FlowFailed(Exception):
    """A step of the run did not succeed; ``run`` holds what was done up to there."""

    def __init__(self, message: str, run: FlowRunRecord) -> None:
        super().__init__(message)
        self.run = run


@dataclass
class _Run:
    flow: Flow
    event: DomainEvent
    attempt: int
    started: float = field(default_factory=time.time)
    steps: list[FlowStepRecord] = field(default_factory=list)

    def step(self, step: str, outcome: str, **detail: object) -> None:
        self.steps.append(FlowStepRecord(step=step, outcome=outcome, detail=dict(detail)))
        logger.info(
            "flow %s step %s %s",
            self.flow.name,
            step,
            outcome,
            extra={
                "flow": self.flow.name,
                "flow_step": step,
                "outcome": outcome,
                "event_id": self.event.event_id,
                "attempt": self.attempt,
                **{f"step_{name}": value for name, value in detail.items() if name != "answer"},
            },
        )

    def record(self, status: str, error: str | None = None) -> FlowRunRecord:
        now = time.time()
        received = self.event.received_at
        return FlowRunRecord(
            id="",
            flow=self.flow.name,
            status=status,
            event=self.event.as_json(),
            attempt=self.attempt,
            started_at=datetime.fromtimestamp(self.started, UTC).isoformat(),
            duration_ms=round((now - self.started) * 1000, 1),
            steps=tuple(self.steps),
            error=error,
            lag_ms=round((now - received) * 1000, 1) if received else 0.0,
        )


class FlowEngine:
    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        self._schema = schema
        self._runtime = runtime
        self._live = live_services_of(runtime)

    def _context(self) -> GatewayContext:
        runtime = self._runtime

        def make_loaders() -> Loaders:
            return runtime.loaders_for(NO_CACHE_POLICY, StaleLog())

        return GatewayContext(
            config=runtime.settings.schema_config(),
            viewer=FLOW_SERVICE,
            clients=runtime.clients,
            loaders=make_loaders(),
            make_loaders=make_loaders,
            live=self._live,
        )

    async def _execute(
        self, run: _Run, step: str, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        result = await self._schema.execute(
            document, variable_values=variables, context_value=self._context()
        )
        if result.errors:
            codes = [(error.extensions or {}).get("code", "ERROR") for error in result.errors]
            message = "; ".join(
                f"{code}: {error.message}" for code, error in zip(codes, result.errors, strict=True)
            )
            run.step(step, "failed", variables=variables, error=message)
            raise FlowFailed(f"{step} failed: {message}", run.record("failed", message))
        data = dict(result.data or {})
        run.step(step, "ok", variables=variables, answer=data)
        return data

    async def run(self, flow: Flow, event: DomainEvent, attempt: int = 1) -> FlowRunRecord:
        """Runs ``flow`` for ``event``; raises ``FlowFailed`` when a step fails."""
        run = _Run(flow, event, attempt)
        event_scope: dict[str, Any] = {"event": event.as_json()}
        if flow.when_event is not None and not holds(flow.when_event, event_scope):
            run.step("condition", "skipped", on="event")
            return run.record("skipped")
        acted = 0
        for key in event.keys or ():
            scope: dict[str, Any] = {**event_scope, "key": key}
            variables = evaluate(flow.read_variables, scope)
            scope["data"] = await self._execute(run, "read", flow.read, variables)
            for item in self._items(flow, scope):
                acted += await self._act(run, {**scope, "item": item})
        return run.record("succeeded" if acted else "skipped")

    @staticmethod
    def _items(flow: Flow, scope: dict[str, Any]) -> list[Any]:
        if flow.items is None:
            return [scope["data"]]
        found = lookup(flow.items, scope)
        return found if isinstance(found, list) else []

    async def _act(self, run: _Run, scope: dict[str, Any]) -> int:
        for name, expression in run.flow.let.items():
            scope[name] = evaluate(expression, scope)
        acted = 0
        for action in run.flow.actions:
            if not holds(action.when, scope):
                continue
            run.step("condition", "ok", action=action.name)
            variables = evaluate(action.variables, scope)
            await self._execute(run, f"mutation {action.name}", action.mutation, variables)
            acted += 1
        return acted
