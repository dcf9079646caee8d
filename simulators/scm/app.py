"""The SCM as an ASGI app: ``POST /graphql`` with a bearer token, and ``/_sim/``."""

from __future__ import annotations

import functools
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, build_schema, execute_sync, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.faults import Fault, FaultSettings
from simulators.http_helpers import bearer_token, garbage_response, json_body, json_response
from simulators.knobs import SystemKnobs, gated, sim_routes
from simulators.scm.mutations import MUTATION_RESOLVERS
from simulators.scm.resolvers import ScmContext, attach_resolvers
from simulators.scm.schema import SCM_SDL
from simulators.world import SimWorld


def _errors(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def render_fault(fault: Fault, settings: FaultSettings) -> Response:
    if fault is Fault.DOWN:
        return json_response(_errors("the SCM is down for maintenance", "UNAVAILABLE"), 503)
    if fault is Fault.RATE_LIMITED:
        return json_response(
            _errors("too many requests, slow down", "RATE_LIMITED"),
            429,
            headers={"Retry-After": settings.retry_after_header},
        )
    if fault is Fault.SERVER_ERROR:
        return json_response(_errors("internal server error", "INTERNAL"), 500)
    return garbage_response()


def create_scm_app(world: SimWorld, knobs: SystemKnobs, token: str) -> Starlette:
    schema = attach_resolvers(build_schema(SCM_SDL), MUTATION_RESOLVERS)

    @functools.lru_cache(maxsize=256)
    def checked_document(query: str) -> DocumentNode | list[GraphQLError]:
        """Parsed and validated once per distinct query: a gateway repeats its queries."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return [error]
        return validate(schema, document) or document

    async def graphql_endpoint(request: Request) -> Response:
        if bearer_token(request) != token:
            return json_response(_errors("missing or wrong bearer token", "UNAUTHENTICATED"), 401)
        try:
            payload = await json_body(request)
        except orjson.JSONDecodeError:
            return json_response(_errors("the body is not JSON", "BAD_REQUEST"), 400)
        query = payload.get("query") if isinstance(payload, dict) else None
        variables = payload.get("variables") if isinstance(payload, dict) else None
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            return json_response(
                _errors("expected {query, variables?, operationName?}", "BAD_REQUEST"), 400
            )
        operation_name = payload.get("operationName")
        checked = checked_document(query)
        if isinstance(checked, list):
            # Errors before execution: no "data" key at all, as the spec says.
            return json_response({"errors": [error.formatted for error in checked]})
        result = execute_sync(
            schema,
            checked,
            context_value=ScmContext(world.dataset, knobs.stats, world.webhooks, world.clock.now()),
            variable_values=variables,
            operation_name=operation_name if isinstance(operation_name, str) else None,
        )
        return json_response(result.formatted)

    async def set_stock(request: Request) -> Response:
        """``/_sim/stock`` {sku, warehouse, onHand}: a stock count in the warehouse (what
        goods leaving outside any order look like); sends ``stock.changed``."""
        try:
            payload = await json_body(request)
        except orjson.JSONDecodeError:
            return json_response(_errors("the body is not JSON", "BAD_REQUEST"), 400)
        sku = payload.get("sku") if isinstance(payload, dict) else None
        warehouse = payload.get("warehouse") if isinstance(payload, dict) else None
        on_hand = payload.get("onHand") if isinstance(payload, dict) else None
        level = next(
            (
                held
                for held in world.dataset.stock_by_sku.get(str(sku), [])
                if held.warehouse == warehouse
            ),
            None,
        )
        if level is None or not isinstance(on_hand, int) or on_hand < 0:
            return json_response(
                _errors("expected {sku, warehouse, onHand} of a held level", "INVALID"), 400
            )
        level.on_hand = on_hand
        level.reserved = min(level.reserved, on_hand)
        level.updated_at = world.clock.now()
        world.webhooks.emit("scm", "stock.changed", [level.sku])
        return json_response({"sku": level.sku, "warehouse": level.warehouse, "onHand": on_hand})

    routes = [
        Route("/graphql", gated(knobs, render_fault, graphql_endpoint), methods=["POST"]),
        Route("/_sim/stock", set_stock, methods=["POST"]),
        *sim_routes(knobs, world),
    ]
    return Starlette(routes=routes)
