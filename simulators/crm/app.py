"""The CRM as an ASGI app: ``/crm/v1/customers``, ``/crm/v1/orders``, cancel, ``/_sim/``."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators import lifecycle
from simulators.crm.order_feeds import (
    BadTime,
    OrderWindow,
    decode_window_cursor,
    orders_in_window,
    orders_with_products,
    parse_time,
)
from simulators.crm.orders import (
    OrderConflict,
    OrderNotFound,
    OrderValidationError,
    cancel_order,
    create_order,
    validate_new_order,
)
from simulators.crm.queries import (
    BadCursor,
    by_ids,
    customer_page,
    decode_cursor,
    orders_of_customers,
    split_ids,
)
from simulators.crm.serialize import customer_json, error_json, order_json
from simulators.data.records import ORDER_STATUSES, SEGMENTS
from simulators.faults import Fault, FaultSettings
from simulators.http_helpers import bearer_token, garbage_response, json_body, json_response
from simulators.knobs import SystemKnobs, gated, sim_routes
from simulators.world import SimWorld

MAX_IDS = 100
MAX_CUSTOMER_IDS = 50
MAX_PRODUCT_CODES = 50
WINDOW_PARAMS = ("created_from", "created_to")
MAX_PAGE = 200
DEFAULT_PAGE = 50


def _error(status_code: int, code: str, message: str, **extra: str) -> Response:
    return json_response(error_json(code, message), status_code, headers=extra or None)


def render_fault(fault: Fault, settings: FaultSettings) -> Response:
    if fault is Fault.DOWN:
        return _error(503, "UNAVAILABLE", "the CRM is down for maintenance")
    if fault is Fault.RATE_LIMITED:
        return _error(
            429,
            "RATE_LIMITED",
            "too many requests, slow down",
            **{"Retry-After": settings.retry_after_header},
        )
    if fault is Fault.SERVER_ERROR:
        return _error(500, "INTERNAL", "internal server error")
    return garbage_response()


def create_crm_app(world: SimWorld, knobs: SystemKnobs, token: str) -> Starlette:
    def unauthorized(request: Request) -> Response | None:
        if bearer_token(request) == token:
            return None
        return _error(401, "UNAUTHORIZED", "missing or wrong bearer token")

    async def list_customers(request: Request) -> Response:
        if (denied := unauthorized(request)) is not None:
            return denied
        params = request.query_params
        if "ids" in params:
            ids = split_ids(params["ids"])
            knobs.stats.record("customers.by_ids", len(ids))
            if len(ids) > MAX_IDS:
                return _error(400, "TOO_MANY_IDS", f"at most {MAX_IDS} ids, got {len(ids)}")
            found, missing = by_ids(world.dataset.customers, ids)
            return json_response({"records": [customer_json(c) for c in found], "missing": missing})
        raw_limit = params.get("limit", str(DEFAULT_PAGE))
        limit = int(raw_limit) if raw_limit.isdigit() else -1
        knobs.stats.record("customers.page", max(limit, 0))
        if not 1 <= limit <= MAX_PAGE:
            return _error(400, "BAD_REQUEST", f"limit must be an integer from 1 to {MAX_PAGE}")
        segment = params.get("segment")
        if segment is not None and segment not in SEGMENTS:
            return _error(400, "BAD_REQUEST", f"segment must be one of {', '.join(SEGMENTS)}")
        try:
            after_id = decode_cursor(params["cursor"]) if params.get("cursor") else None
        except BadCursor as error:
            return _error(400, "BAD_REQUEST", str(error))
        page = customer_page(world.dataset, limit, after_id, segment)
        return json_response(
            {"records": [customer_json(c) for c in page.records], "next_cursor": page.next_cursor}
        )

    async def list_orders(request: Request) -> Response:
        if (denied := unauthorized(request)) is not None:
            return denied
        params = request.query_params
        status = params.get("status")
        if status is not None and status not in ORDER_STATUSES:
            return _error(400, "BAD_REQUEST", f"status must be one of {', '.join(ORDER_STATUSES)}")
        selectors = [name for name in ("ids", "customer_ids") if name in params]
        if selectors and "product_codes" in params:
            return _error(
                400, "BAD_REQUEST", f"product_codes cannot be combined with {selectors[0]}"
            )
        if "ids" in params:
            ids = split_ids(params["ids"])
            knobs.stats.record("orders.by_ids", len(ids))
            if len(ids) > MAX_IDS:
                return _error(400, "TOO_MANY_IDS", f"at most {MAX_IDS} ids, got {len(ids)}")
            found, missing = by_ids(world.dataset.orders, ids)
            return json_response({"records": [order_json(o) for o in found], "missing": missing})
        if "customer_ids" in params:
            customer_ids = split_ids(params["customer_ids"])
            knobs.stats.record("orders.by_customer_ids", len(customer_ids))
            if len(customer_ids) > MAX_CUSTOMER_IDS:
                return _error(
                    400,
                    "TOO_MANY_IDS",
                    f"at most {MAX_CUSTOMER_IDS} customer ids, got {len(customer_ids)}",
                )
            orders = orders_of_customers(world.dataset, customer_ids, status)
            return json_response({"records": [order_json(o) for o in orders]})
        if "product_codes" in params:
            return orders_of_products(params["product_codes"], status)
        if any(name in params for name in WINDOW_PARAMS):
            return orders_window(request, status)
        return _error(
            400,
            "BAD_REQUEST",
            "give ids, customer_ids, product_codes or created_from/created_to",
        )

    def orders_of_products(raw_codes: str, status: str | None) -> Response:
        codes = split_ids(raw_codes)
        knobs.stats.record("orders.by_product_codes", len(codes))
        if len(codes) > MAX_PRODUCT_CODES:
            return _error(
                400,
                "TOO_MANY_IDS",
                f"at most {MAX_PRODUCT_CODES} product codes, got {len(codes)}",
            )
        orders = orders_with_products(world.dataset, codes, status)
        return json_response({"records": [order_json(o) for o in orders]})

    def orders_window(request: Request, status: str | None) -> Response:
        params = request.query_params
        raw_limit = params.get("limit", str(DEFAULT_PAGE))
        limit = int(raw_limit) if raw_limit.isdigit() else -1
        knobs.stats.record("orders.by_created_at", max(limit, 0))
        if not 1 <= limit <= MAX_PAGE:
            return _error(400, "BAD_REQUEST", f"limit must be an integer from 1 to {MAX_PAGE}")
        try:
            created_from, created_to = (
                parse_time(name, params[name]) if name in params else None for name in WINDOW_PARAMS
            )
            after = decode_window_cursor(params["cursor"]) if params.get("cursor") else None
        except (BadTime, BadCursor) as error:
            return _error(400, "BAD_REQUEST", str(error))
        page = orders_in_window(
            world.dataset, OrderWindow(created_from, created_to, status), limit, after
        )
        return json_response(
            {"records": [order_json(o) for o in page.records], "next_cursor": page.next_cursor}
        )

    async def place_order(request: Request) -> Response:
        if (denied := unauthorized(request)) is not None:
            return denied
        knobs.stats.record("orders.create", 1)
        try:
            payload = await json_body(request)
        except orjson.JSONDecodeError:
            return _error(400, "BAD_REQUEST", "the body is not JSON")
        try:
            new_order = validate_new_order(world.dataset, payload)
        except OrderValidationError as error:
            return json_response(
                error_json("VALIDATION", "the order is not valid", error.fields), 422
            )
        order = create_order(world.dataset, new_order, world.clock.now())
        world.webhooks.emit(
            "crm",
            "order.created",
            [order.id],
            {"status": order.status, "customer_id": order.customer_id},
        )
        return json_response(order_json(order), 201)

    async def cancel(request: Request) -> Response:
        if (denied := unauthorized(request)) is not None:
            return denied
        knobs.stats.record("orders.cancel", 1)
        order_id = request.path_params["order_id"]
        try:
            order, changes = cancel_order(world.dataset, order_id, world.clock.now())
        except OrderNotFound:
            return _error(404, "NOT_FOUND", f"no order {order_id}")
        except OrderConflict as error:
            return _error(409, "CONFLICT", str(error))
        lifecycle.announce(world.webhooks, changes)
        return json_response(order_json(order))

    routes = [
        Route("/crm/v1/customers", gated(knobs, render_fault, list_customers), methods=["GET"]),
        Route("/crm/v1/orders", gated(knobs, render_fault, list_orders), methods=["GET"]),
        Route("/crm/v1/orders", gated(knobs, render_fault, place_order), methods=["POST"]),
        Route(
            "/crm/v1/orders/{order_id}/cancel",
            gated(knobs, render_fault, cancel),
            methods=["POST"],
        ),
        *sim_routes(knobs, world),
    ]
    return Starlette(routes=routes)
