"""Pure ASGI middleware around every HTTP request: id, span, metrics and log lines.

- The request id is the caller's ``X-Request-Id`` when it is sane (see
  ``request_context.request_id_from``), else a new one; either way it is sent back in the
  ``X-Request-Id`` response header, put on every log line logged while serving, and sent
  upstream with each call.
- ``supplygraph_http_requests_total`` and the latency histogram count every request by
  route; ``/graphql`` requests also count by operation name and outcome.
- One access line per request (INFO; probes and scrapes at DEBUG), and one WARNING line
  per request slower than ``slow_request_ms`` listing its upstream calls by system and
  operation. Neither contains headers or the query string.

Not ``BaseHTTPMiddleware``: that runs the app in another task (losing the request's
contextvars for streaming bodies) and buffers responses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability.metrics import (
    GRAPHQL_DURATION,
    GRAPHQL_REQUESTS,
    HTTP_DURATION,
    HTTP_REQUESTS,
    operation_label,
)
from gateway.observability.request_context import (
    RequestRecord,
    enter_request,
    leave_request,
    request_id_from,
)
from gateway.observability.tracing import current_tracing

access_logger = logging.getLogger("supplygraph.access")
slow_logger = logging.getLogger("supplygraph.slow")

GRAPHQL_ROUTE = "/graphql"
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
# Responses that stream for as long as the client listens: never "slow", and their
# lifetimes stay out of the latency histograms.
STREAMING_TYPES = ("text/event-stream", "multipart/mixed")
REQUEST_ID_HEADER = "X-Request-Id"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, slow_request_ms: float = 1000.0) -> None:
        self.app = app
        self.slow_request_ms = slow_request_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        record = RequestRecord(request_id_from(headers.get("x-request-id")))
        token = enter_request(record)
        try:
            if scope["type"] == "http":
                await self._serve_http(scope, receive, send, headers, record)
            else:
                await self.app(scope, receive, send)
        finally:
            leave_request(token)

    async def _serve_http(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, record: RequestRecord
    ) -> None:
        route = route_of(scope)
        method = scope["method"]
        status = 500  # unless a response starts: an exception escaped the app
        streaming = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append(REQUEST_ID_HEADER, record.request_id)
                streaming = headers.get("content-type", "").startswith(STREAMING_TYPES)
            await send(message)

        tracing = current_tracing()
        span_context = (
            nullcontext(None)
            if tracing is None
            else tracing.server_span(
                f"{method} {route}",
                headers,
                {
                    "http.request.method": method,
                    "http.route": route,
                    "url.path": scope["path"],
                    "supplygraph.request_id": record.request_id,
                },
            )
        )
        started = time.perf_counter()
        try:
            with span_context as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    if span is not None:
                        span.set_attribute("http.response.status_code", status)
                        if record.operation:
                            span.set_attribute("graphql.operation.name", record.operation)
                        if status >= 500 and tracing is not None:
                            tracing.mark_error(span, f"HTTP {status}")
        finally:
            elapsed_s = time.perf_counter() - started
            self._count(route, method, status, elapsed_s, record, streaming)
            self._log(scope, route, method, status, elapsed_s, record, streaming)

    def _count(
        self,
        route: str,
        method: str,
        status: int,
        elapsed_s: float,
        record: RequestRecord,
        streaming: bool,
    ) -> None:
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        if not streaming:
            HTTP_DURATION.labels(route).observe(elapsed_s)
        if route != GRAPHQL_ROUTE:
            return
        outcome = graphql_outcome(status, record.outcome)
        if outcome is None:
            return  # the GraphiQL page, not an operation
        operation = operation_label(record.operation) if record.outcome else "none"
        GRAPHQL_REQUESTS.labels(operation, outcome).inc()
        if not streaming:
            GRAPHQL_DURATION.labels(operation).observe(elapsed_s)

    def _log(
        self,
        scope: Scope,
        route: str,
        method: str,
        status: int,
        elapsed_s: float,
        record: RequestRecord,
        streaming: bool,
    ) -> None:
        duration_ms = round(elapsed_s * 1000, 1)
        fields: dict[str, Any] = {
            "request_id": record.request_id,
            "method": method,
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
        }
        if record.outcome is not None:
            fields["operation"] = record.operation or "anonymous"
            fields["outcome"] = record.outcome
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        if access_logger.isEnabledFor(level):
            fields["upstream_calls"] = record.upstream_call_count
            access_logger.log(level, "%s %s %s", method, scope["path"], status, extra=fields)
        slow = duration_ms >= self.slow_request_ms
        if slow and not streaming and route not in QUIET_ROUTES:
            fields["upstream_calls"] = record.upstream_by_time()
            fields["threshold_ms"] = self.slow_request_ms
            slow_logger.warning(
                "slow request: %s %s took %.0f ms", method, scope["path"], duration_ms,
                extra=fields,
            )  # fmt: skip


def graphql_outcome(status: int, operation_outcome: str | None) -> str | None:
    if operation_outcome is not None:
        return operation_outcome
    if status == 401:
        return "unauthenticated"
    if 400 <= status < 500:
        return "rejected"
    if status >= 500:
        return "error"
    return None


def route_of(scope: Scope) -> str:
    """The template of the route that serves ``scope`` (``/webhooks/{system}``), not the
    raw path: metric labels stay few whatever paths clients send."""
    app = scope.get("app")
    routes: Sequence[BaseRoute] = getattr(app, "routes", ())
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"
