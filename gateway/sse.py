"""``/graphql/stream``: subscriptions as Server-Sent Events, for clients without WebSockets.

    GET  /graphql/stream?query=…&variables={…}&operationName=…   (EventSource)
    POST /graphql/stream   {"query", "variables", "operationName"}

The answer is ``text/event-stream`` in the shape of the graphql-sse protocol's
"distinct connections" mode: one ``event: next`` per result (``data`` is the GraphQL
response as JSON), ``event: complete`` if the subscription ends, and a comment line
every ``keepalive_s`` so that proxies keep an idle stream open. When the server shuts
down the stream ends without ``complete`` (the subscription did not end, this process
did), so that the client connects again, to another replica.

Authentication is as for ``/graphql``: an ``Authorization: Bearer`` header. A browser's
``EventSource`` cannot set headers, so ``?token=<jwt>`` is accepted too. The trade-off:
a token in a URL can end up in access logs, proxy logs and browser history, so a client
that can should send the header (``fetch()`` streaming can; the tracking page does) or use
the WebSocket, whose token travels in the ``connection_init`` message; tokens given to
EventSource clients should be short-lived.

A refusal before the first result is a plain JSON answer with an HTTP error status (401
no or bad token, 403 forbidden, 404 unknown order, 502 a system failed, 400 a bad
request), never an event stream: ``EventSource`` reconnects after a stream ends but
gives up on an error status, which is what a refused subscription should make it do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from strawberry.types.execution import ExecutionResult, PreExecutionError

from gateway.auth import AuthenticationError
from gateway.lifespan_state import runtime_of
from gateway.live_graphql import LiveGraphQL
from gateway.rate_limit import RateLimited
from schema.error_codes import with_code

KEEPALIVE_S = 15.0
STATUS_OF_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "INTERNAL_ERROR": 500,
}
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class BadStreamRequest(Exception):
    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def refusal(status: int, errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def error_entry(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def response_body(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [with_code(error).formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def next_event(result: ExecutionResult) -> bytes:
    return b"event: next\ndata: " + orjson.dumps(response_body(result)) + b"\n\n"


COMPLETE_EVENT = b"event: complete\ndata: \n\n"
KEEPALIVE_COMMENT = b": keepalive\n\n"


def status_for(errors: list[GraphQLError]) -> int:
    """The HTTP status of a refused subscription, by its first error's code."""
    code = str((with_code(errors[0]).extensions or {}).get("code")) if errors else ""
    if code.startswith("UPSTREAM_"):
        return 502
    return STATUS_OF_CODE.get(code, 400)


async def operation_of(request: Request, max_bytes: int) -> tuple[str, dict[str, Any], str | None]:
    """Query, variables and operation name, from the query string or a JSON body."""
    if request.method == "GET":
        raw: Mapping[str, Any] = request.query_params
        variables_text = request.query_params.get("variables")
        size = len(request.url.query)
    else:
        body = await request.body()
        size = len(body)
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadStreamRequest(400, "the body is not JSON") from None
        if not isinstance(parsed, dict):
            raise BadStreamRequest(400, "the body must be a JSON object")
        raw, variables_text = parsed, None
    if size > max_bytes:
        raise BadStreamRequest(
            413, f"the request is larger than {max_bytes} bytes", "QUERY_REJECTED"
        )
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise BadStreamRequest(400, "the request has no `query`")
    variables: Any = raw.get("variables") or {}
    if variables_text:
        try:
            variables = orjson.loads(variables_text)
        except orjson.JSONDecodeError:
            raise BadStreamRequest(400, "`variables` is not JSON") from None
    if not isinstance(variables, dict):
        raise BadStreamRequest(400, "`variables` must be a JSON object")
    operation_name = raw.get("operationName") or None
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadStreamRequest(400, "`operationName` must be a string")
    return query, variables, operation_name


def ensure_subscription(query: str, operation_name: str | None, max_tokens: int) -> None:
    """Queries and mutations belong on /graphql; say so rather than fail inside."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return  # strawberry reports the syntax error in the usual form
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation is not OperationType.SUBSCRIPTION:
        raise BadStreamRequest(
            400, "only subscriptions are streamed here; send queries and mutations to /graphql"
        )


def authorization_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        return header
    token = request.query_params.get("token")
    return f"Bearer {token}" if token else None


class SubscriptionStream:
    """The ASGI endpoint; shares the schema, authenticator and runtime of the view."""

    def __init__(self, view: LiveGraphQL, *, keepalive_s: float = KEEPALIVE_S) -> None:
        self.view = view
        self.keepalive_s = keepalive_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        try:
            viewer = await self.view.authenticator.authenticate(authorization_of(request))
        except AuthenticationError as error:
            return refusal(401, [error_entry(str(error), "UNAUTHENTICATED")])
        try:
            # A stream counts as one request against its client's rate limit, as over HTTP.
            await self.view.spend_as(viewer, request.client, requests=1)
        except RateLimited as limited:
            return self.view.rate_limited(limited, None)
        try:
            query, variables, operation_name = await operation_of(
                request, self.view.settings.max_body_bytes
            )
            ensure_subscription(query, operation_name, self.view.settings.max_query_tokens)
        except BadStreamRequest as error:
            return refusal(error.status, [error_entry(error.message, error.code)])
        context = self.view.stream_context(request, viewer)
        results = await self.view.schema.subscribe(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )
        # The first result (the order's current state) or the refusal, before answering;
        # a subscription that sends nothing until something happens (stockAlerts) says
        # when it listens, and the stream starts then.
        pending = asyncio.ensure_future(anext(results, None))
        waits: set[asyncio.Future[Any]] = {pending}
        if context.listening is not None:
            waits.add(asyncio.ensure_future(context.listening.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits - {pending}:
            wait.cancel()
        if pending.done():
            first = pending.result()
            if isinstance(first, PreExecutionError):
                await results.aclose()
                await context.finish()
                errors = first.errors or []
                return refusal(status_for(errors), [with_code(error).formatted for error in errors])
        return StreamingResponse(
            self.events(pending, results, context.finish, runtime_of(request).draining),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )

    async def events(
        self,
        pending: asyncio.Future[ExecutionResult | None] | None,
        results: AsyncGenerator[ExecutionResult, None],
        finish: Callable[[], Awaitable[None]],
        draining: asyncio.Event,
    ) -> AsyncIterator[bytes]:
        """The stream's events; ``finish`` (the request's exit work) once it ends."""
        shutdown = asyncio.ensure_future(draining.wait())
        try:
            while pending is not None:
                waits: set[asyncio.Future[Any]] = {pending, shutdown}
                done, _ = await asyncio.wait(
                    waits, timeout=self.keepalive_s, return_when=asyncio.FIRST_COMPLETED
                )
                if shutdown in done:
                    return
                if not done:
                    yield KEEPALIVE_COMMENT
                    continue
                result = pending.result()
                if result is None:
                    pending = None
                    yield COMPLETE_EVENT
                    return
                pending = asyncio.ensure_future(anext(results, None))
                yield next_event(result)
        finally:
            shutdown.cancel()
            # The client went away (or the stream ended): end the subscription with it.
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                    await pending
            await results.aclose()
            await finish()
