"""The record of flow runs, for ``flowRuns``: one capped Redis Stream, newest read first.

Each run is one entry (``flow``, ``status``, ``run`` as JSON) of ``{prefix}:flows:runs``,
capped near ``flows_runs_kept`` entries. Its stream id is the run's id and cursor.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from gateway.flows.events import FlowRedis, text_of
from schema.flow_runs import FlowRunPage, FlowRunRecord, FlowStepRecord

# Entries looked at per round trip while filtering by flow or status.
_SCAN = 200


def _run_of(entry_id: str, raw: dict[Any, Any]) -> FlowRunRecord:
    body = orjson.loads(raw[b"run"] if b"run" in raw else raw["run"])
    body["steps"] = tuple(FlowStepRecord(**step) for step in body["steps"])
    body["id"] = entry_id
    return FlowRunRecord(**body)


class FlowRunLog:
    def __init__(self, redis: FlowRedis, stream: str, kept: int) -> None:
        self._redis = redis
        self._stream = stream
        self._kept = kept

    async def add(self, run: FlowRunRecord) -> str:
        body = dataclasses.asdict(run)
        entry_id = await self._redis.xadd(
            self._stream,
            {"flow": run.flow, "status": run.status, "run": orjson.dumps(body, default=str)},
            maxlen=self._kept,
            approximate=True,
        )
        return text_of(entry_id)

    async def page(
        self, flow: str | None, status: str | None, first: int, after: str | None
    ) -> FlowRunPage:
        found: list[FlowRunRecord] = []
        upper = f"({after}" if after else "+"
        while len(found) < first + 1:
            entries: Any = await self._redis.xrevrange(
                self._stream, max=upper, min="-", count=_SCAN
            )
            if not entries:
                break
            for raw_id, raw in entries:
                entry_id = text_of(raw_id)
                if flow is not None and text_of(raw.get(b"flow", b"")) != flow:
                    continue
                if status is not None and text_of(raw.get(b"status", b"")) != status:
                    continue
                found.append(_run_of(entry_id, raw))
            upper = f"({text_of(entries[-1][0])}"
            if len(entries) < _SCAN:
                break
        runs = tuple(found[:first])
        return FlowRunPage(runs=runs, next_cursor=runs[-1].id if len(found) > first else None)
