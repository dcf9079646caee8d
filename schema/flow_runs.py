"""``flowRuns``: what the cross-system flows did, step by step (staff only).

The records are kept by the flow engine (``gateway.flows.runs``) in Redis; the schema
reads them through ``FlowRunSource`` so that it never learns where they live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

import strawberry
from strawberry.scalars import JSON

from core.errors import InputValidationError
from core.records import PurchaseOrderRecord
from schema.context import Info
from schema.customers import PageInfo
from schema.products import PurchaseOrder

MAX_RUNS_PAGE = 100


@dataclass(frozen=True, slots=True)
class FlowStepRecord:
    step: str  # read | condition | mutation
    outcome: str  # ok | skipped | failed
    detail: dict[str, object]


@dataclass(frozen=True, slots=True)
class FlowRunRecord:
    id: str
    flow: str
    status: str  # succeeded | skipped | failed | dead
    event: dict[str, object]
    attempt: int
    started_at: str
    duration_ms: float
    steps: tuple[FlowStepRecord, ...]
    error: str | None
    # From the event's append to the log until the run ended (0 when unknown).
    lag_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class FlowRunPage:
    runs: tuple[FlowRunRecord, ...]
    next_cursor: str | None


class FlowRunSource(Protocol):
    async def page(
        self, flow: str | None, status: str | None, first: int, after: str | None
    ) -> FlowRunPage: ...


@strawberry.type
class FlowRunStep:
    record: strawberry.Private[FlowStepRecord]

    @strawberry.field(description="read, condition or mutation")
    def step(self) -> str:
        return self.record.step

    @strawberry.field(description="ok, skipped or failed")
    def outcome(self) -> str:
        return self.record.outcome

    @strawberry.field(description="the GraphQL call made (operation, variables) and its answer")
    def detail(self) -> JSON:
        return cast(JSON, self.record.detail)


@strawberry.type
class FlowRun:
    record: strawberry.Private[FlowRunRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field
    def flow(self) -> str:
        return self.record.flow

    @strawberry.field(description="succeeded, skipped, failed (to be retried) or dead")
    def status(self) -> str:
        return self.record.status

    @strawberry.field(description="the domain event of the log that started it")
    def event(self) -> JSON:
        return cast(JSON, self.record.event)

    @strawberry.field
    def attempt(self) -> int:
        return self.record.attempt

    @strawberry.field
    def started_at(self) -> str:
        return self.record.started_at

    @strawberry.field
    def duration_ms(self) -> float:
        return self.record.duration_ms

    @strawberry.field(description="from the event's append to the log until the run ended")
    def lag_ms(self) -> float:
        return self.record.lag_ms

    @strawberry.field
    def steps(self) -> list[FlowRunStep]:
        return [FlowRunStep(record=step) for step in self.record.steps]

    @strawberry.field
    def error(self) -> str | None:
        return self.record.error


@strawberry.type
class FlowRunEdge:
    cursor: str
    node: FlowRun


@strawberry.type
class FlowRunConnection:
    edges: list[FlowRunEdge]
    page_info: PageInfo


@strawberry.type
class FlowQueries:
    @strawberry.field(description="Runs of the cross-system flows, newest first (staff only)")
    async def flow_runs(
        self,
        info: Info,
        flow: str | None = None,
        status: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> FlowRunConnection:
        if not 0 < first <= MAX_RUNS_PAGE:
            raise InputValidationError(
                f"`first` must be between 1 and {MAX_RUNS_PAGE}", {"first": "out of range"}
            )
        live = info.context.live
        source = live.flow_runs if live is not None else None
        if source is None:
            return FlowRunConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        page = await source.page(flow, status, first, after)
        edges = [FlowRunEdge(cursor=run.id, node=FlowRun(record=run)) for run in page.runs]
        return FlowRunConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor
            ),
        )

    @strawberry.field(
        description="SCM purchaseOrders of these skus, open ones unless openOnly is false"
    )
    async def purchase_orders(
        self, info: Info, skus: list[str], open_only: bool = True
    ) -> list[PurchaseOrder]:
        if len(skus) > 100:
            raise InputValidationError("at most 100 skus", {"skus": "too many"})
        found = await info.context.clients.scm.purchase_orders(skus, open_only=open_only)
        currency = info.context.config.erp_currency
        records: list[PurchaseOrderRecord] = [order for sku in skus for order in found.get(sku, [])]
        return [PurchaseOrder(record=record, currency=currency) for record in records]
