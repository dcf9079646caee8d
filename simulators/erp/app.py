"""The ERP as an ASGI app: ``POST /jsonrpc`` with ``X-Api-Key``, and ``/_sim/``."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.erp import envelope
from simulators.erp.models import MODELS
from simulators.erp.query import InvalidQuery, largest_in_term, parse_search_read, run_search_read
from simulators.erp.writes import (
    InvalidWrite,
    MissingRecords,
    WriteOutcome,
    can_create,
    can_write,
    run_create,
    run_write,
)
from simulators.faults import Fault, FaultSettings
from simulators.http_helpers import garbage_response, json_response
from simulators.knobs import SystemKnobs, gated, sim_routes
from simulators.world import SimWorld


def batch_size(method: Any, params: dict[str, Any]) -> int:
    """What a call stands for: values created, ids written, else its largest ``in`` term."""
    if method == "create" and isinstance(params.get("values"), list):
        return len(params["values"])
    if method == "write" and isinstance(params.get("ids"), list):
        return len(params["ids"])
    return largest_in_term(params.get("domain"))


def render_fault(fault: Fault, settings: FaultSettings) -> Response:
    """Trouble in front of the ERP (proxy, load balancer) is plain HTTP, not JSON-RPC."""
    if fault is Fault.DOWN:
        return json_response(envelope.protocol_error(None, 503, "Service Unavailable"), 503)
    if fault is Fault.RATE_LIMITED:
        return json_response(
            envelope.protocol_error(None, 429, "Too Many Requests"),
            429,
            headers={"Retry-After": settings.retry_after_header},
        )
    if fault is Fault.SERVER_ERROR:
        return json_response(envelope.protocol_error(None, 500, "Internal Server Error"), 500)
    return garbage_response()


def create_erp_app(world: SimWorld, knobs: SystemKnobs, api_key: str) -> Starlette:
    def answer(request_id: Any, params: Any, key: str | None) -> dict[str, Any]:
        if key != api_key:
            return envelope.odoo_error(request_id, "AccessDenied", "Access Denied")
        if not isinstance(params, dict):
            return envelope.protocol_error(request_id, envelope.INVALID_PARAMS, "Invalid params")
        model_name, method = params.get("model"), params.get("method")
        model = MODELS.get(model_name) if isinstance(model_name, str) else None
        if model is None:
            return envelope.odoo_error(
                request_id, "MissingError", f"Model {model_name!r} does not exist."
            )
        knobs.stats.record(f"{model.name}.{method}", batch_size(method, params))
        if method == "search_read":
            try:
                query = parse_search_read(model, params)
            except InvalidQuery as error:
                return envelope.odoo_error(request_id, "ValidationError", str(error))
            return envelope.result(request_id, run_search_read(model, world.dataset, query))
        if (method == "create" and can_create(model.name)) or (
            method == "write" and can_write(model.name)
        ):
            try:
                if method == "create":
                    outcome = run_create(world.dataset, model.name, params, world.clock.now())
                else:
                    outcome = run_write(world.dataset, model.name, params)
            except InvalidWrite as error:
                return envelope.odoo_error(request_id, "ValidationError", str(error))
            except MissingRecords as error:
                return envelope.odoo_error(request_id, "MissingError", str(error))
            announce(outcome)
            return envelope.result(request_id, outcome.result)
        return envelope.odoo_error(
            request_id,
            "MissingError",
            f"Method {method!r} does not exist on model {model.name!r}.",
        )

    def announce(outcome: WriteOutcome) -> None:
        """Keys as the contract's webhook table says; data names the changed records."""
        if outcome.production_ids:
            world.webhooks.emit(
                "erp",
                "production.updated",
                sorted(outcome.sale_refs),
                {"ids": outcome.production_ids},
            )
        if outcome.move_ids:
            world.webhooks.emit(
                "erp", "product.updated", sorted(outcome.product_codes), {"ids": outcome.move_ids}
            )

    async def jsonrpc(request: Request) -> Response:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return json_response(envelope.protocol_error(None, envelope.PARSE_ERROR, "Parse error"))
        if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0":
            return json_response(
                envelope.protocol_error(None, envelope.INVALID_REQUEST, "Invalid Request")
            )
        request_id = payload.get("id")
        if payload.get("method") != "call":
            return json_response(
                envelope.protocol_error(request_id, envelope.METHOD_NOT_FOUND, "Method not found")
            )
        key = request.headers.get("x-api-key")
        return json_response(answer(request_id, payload.get("params"), key))

    routes = [
        Route("/jsonrpc", gated(knobs, render_fault, jsonrpc), methods=["POST"]),
        *sim_routes(knobs, world),
    ]
    return Starlette(routes=routes)
