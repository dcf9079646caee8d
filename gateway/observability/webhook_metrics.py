"""Counting webhooks by outcome, from the answer the handler gave.

``@counted_webhook`` on ``gateway.webhooks.receive_webhook`` adds one to
``supplygraph_webhooks_total{system, outcome}`` per webhook: ``accepted``, ``ignored``
and ``duplicate`` from a 202's ``status``; ``rejected`` for a bad signature (401),
``bad_event`` (400), ``unknown_system`` (404), ``not_applied`` (503, to be sent again),
else ``error``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.observability.metrics import webhook_handled

_BY_STATUS = {401: "rejected", 400: "bad_event", 404: "unknown_system", 503: "not_applied"}

Handler = Callable[[Request], Awaitable[JSONResponse]]


def counted_webhook(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def counted(request: Request) -> JSONResponse:
        try:
            response = await handler(request)
        except Exception:
            webhook_handled(request.path_params.get("system", ""), "error")
            raise
        webhook_handled(request.path_params.get("system", ""), outcome_of(response))
        return response

    return counted


def outcome_of(response: JSONResponse) -> str:
    if response.status_code == 202:
        try:
            status = orjson.loads(bytes(response.body)).get("status")
        except (orjson.JSONDecodeError, AttributeError):
            status = None
        return status if status in ("accepted", "ignored", "duplicate") else "accepted"
    return _BY_STATUS.get(response.status_code, "error")
