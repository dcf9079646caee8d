"""Operator calls on the flows (``admin`` scope, like ``/admin/cache/…``):

GET  /admin/flows/dead-letters              the newest dead letters
POST /admin/flows/dead-letters/{id}/replay  run its flow again now; removed on success
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.errors import NotFoundError
from gateway.admin import admin_refusal
from gateway.flows.engine import FlowFailed
from gateway.flows.service import FlowService
from gateway.webhooks import problem


def _service(request: Request) -> FlowService | None:
    service = getattr(request.app.state, "flows", None)
    return service if isinstance(service, FlowService) else None


async def list_dead_letters(request: Request) -> JSONResponse:
    refusal = await admin_refusal(request, "reading the dead letters")
    if refusal is not None:
        return refusal
    service = _service(request)
    if service is None:
        return problem(404, "NOT_FOUND", "flows are not running (they need Redis)")
    return JSONResponse({"dead_letters": await service.dead_letters()})


async def replay_dead_letter(request: Request) -> JSONResponse:
    refusal = await admin_refusal(request, "replaying a dead letter")
    if refusal is not None:
        return refusal
    service = _service(request)
    if service is None:
        return problem(404, "NOT_FOUND", "flows are not running (they need Redis)")
    letter_id = request.path_params["letter_id"]
    try:
        run = await service.replay(letter_id)
    except NotFoundError as error:
        return problem(404, "NOT_FOUND", error.message)
    except FlowFailed as failure:
        return problem(502, "FLOW_FAILED", f"the flow failed again; the letter stays: {failure}")
    return JSONResponse({"status": "replayed", "run": dataclasses.asdict(run)})
