"""The GraphQL endpoint: GraphQL over HTTP around strawberry, with the gateway's context.

An HTTP request goes, in order, through: the body-size limit (413), the response media
type from ``Accept`` (406 when neither GraphQL media type is acceptable), GraphiQL for a
browser, the bearer-token gate (401 before any work), reading the operation or batch
(``gateway.http_request``: 415 for a body that is not JSON, 400 for a malformed one, 405
for a mutation sent as a GET), automatic persisted queries, execution, and the answer
with the status the media type calls for (``gateway.http_response``). Every refusal is a
JSON body ``{"errors": [{"message", "extensions": {"code", ...}}]}``; a bug becomes a 500
with ``INTERNAL_ERROR`` and nothing more. Answers served from an expired cache entry
list it under ``extensions.stale``; ``Cache-Control: no-cache`` reads past the cache.

WebSocket subscriptions are left to strawberry's own view; subscriptions over HTTP are
served by ``gateway.sse`` (``/graphql/stream``), so no strawberry HTTP streaming transport
(``protocols``: multipart subscriptions, graphql-sse) is configured on this view.

The view extends strawberry through its hooks (``get_context``, ``process_result``,
``should_render_graphql_ide``, ``render_graphql_ide``) and ``schema.execute``; only its
ASGI entry point, ``__call__``, is its own for HTTP (see there why). The runtime (pools,
cache) comes with each request, from the app lifespan's state (``gateway.lifespan_state``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cross_web import StarletteRequestAdapter
from graphql import GraphQLError
from starlette.datastructures import Address
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from cache.policy import DEFAULT_POLICY, NO_CACHE_POLICY, RequestCachePolicy
from cache.response_cache import ResponseCache
from cache.stale_log import StaleLog
from cache.write_backs import WriteBacks
from gateway.auth import CACHE_BYPASS_SCOPE, AuthenticationError, Authenticator
from gateway.batch_cost import refuse_costly_batch
from gateway.body_limits import BodyTooLarge
from gateway.graphiql_page import graphiql_page
from gateway.http_media import APPLICATION_JSON, negotiate
from gateway.http_request import (
    BadHttpRequest,
    operation_from_query_string,
    operations_from_body,
)
from gateway.http_response import (
    error_body,
    is_request_error,
    json_response,
    request_error_status,
    status_of,
)
from gateway.kept_answers import (
    count,
    declared_variables,
    etag_of,
    keep_answer,
    keepable,
    kept_response,
    note_hit,
    tagged,
    view_of,
)
from gateway.lifespan_state import runtime_of
from gateway.operation_choice import OperationChoice, choose
from gateway.persisted_queries import PersistedQueryError, resolve_persisted_query
from gateway.rate_limit import RateLimited, RateLimiter, client_of
from gateway.settings import Settings
from gateway.trusted_documents import DocumentNotTrusted, TrustedDocuments
from resolvers.loaders import Loaders
from resolvers.request_deadline import request_deadline
from schema.access import copy_gate
from schema.answer_size import AnswerFields
from schema.build import GatewaySchema
from schema.context import GatewayContext
from schema.deadline_guard import expiring_at
from schema.document_check import document_errors
from schema.error_codes import (
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_ERROR,
    INTERNAL_MESSAGE,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    NOT_FOUND,
    QUERY_REJECTED,
    RATE_LIMITED,
    UNAUTHENTICATED,
)
from schema.limits import LimitChecks
from schema.strawberry_internals import graphql_schema
from schema.viewer import Viewer

logger = logging.getLogger("supplygraph.http")

# A websocket whose token does not verify may still connect, but sees nothing.
NOBODY = Viewer(subject="unauthenticated", scopes=frozenset())

# Plain HTTP runs queries and mutations; subscriptions need a WebSocket.
OPERATIONS_OVER = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
ALLOWED_METHODS = "GET, POST"


def wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


def error_response(
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    media_type: str | None = APPLICATION_JSON,
    **extra: Any,
) -> Response:
    return json_response(error_body(message, code, **extra), status, media_type, headers)


def cache_policy_of(request: Request | WebSocket) -> RequestCachePolicy:
    if isinstance(request, WebSocket):
        # Subscriptions exist to see changes: they always re-read the systems.
        return NO_CACHE_POLICY
    directives = request.headers.get("cache-control", "").lower()
    if "no-cache" not in directives and "no-store" not in directives:
        return DEFAULT_POLICY
    # Honoured only for tokens allowed to: a cold read costs every upstream a call, and
    # any client could otherwise send every request past the cache. Others are answered
    # from it as if they had not asked.
    viewer = request.scope.get("state", {}).get("viewer")
    may_bypass = isinstance(viewer, Viewer) and viewer.may(CACHE_BYPASS_SCOPE)
    return NO_CACHE_POLICY if may_bypass else DEFAULT_POLICY


def refused_operation_type(operation_type: OperationType, method: str) -> BadHttpRequest:
    if operation_type is OperationType.MUTATION:
        # The spec's rule: a GET must never change anything, and says so with 405.
        return BadHttpRequest(
            405,
            "a mutation must be sent as a POST",
            METHOD_NOT_ALLOWED,
            headers={"Allow": "POST"},
        )
    return BadHttpRequest(
        400, "subscriptions are served over a WebSocket on this path (graphql-transport-ws)"
    )


def unresolvable_operation(operation_name: str | None) -> ExecutionResult:
    """A request error: the document does not say which one operation to run."""
    message = (
        "the document must hold exactly one operation, or `operationName` must name one"
        if operation_name is None
        else f'the document has no operation named "{operation_name}"'
    )
    return ExecutionResult(
        data=None,
        errors=[GraphQLError(message, extensions={"code": GRAPHQL_VALIDATION_FAILED})],
    )


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """One view per app; everything a request may remember lives in its context."""

    # Kept answers are keyed by query text, not by schema: only one view may keep them.
    keeps_answers = True

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.authenticator = Authenticator(settings)
        # Requests and estimated cost per client and window; None when both are off.
        self.rate_limiter = RateLimiter.from_settings(settings)
        # Safelist mode: only the manifest's operations run, and APQ is off.
        self.trusted = (
            TrustedDocuments.load(settings.trusted_documents)
            if settings.trusted_documents
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # HTTP is answered here, not by strawberry's ``run``: that builds the context
        # before anything else and then parses the body, with no hook in between, so a
        # body past the cap (413), an Accept no GraphQL media type satisfies (406), a bad
        # or missing token (401) and a spent rate limit (429) would all cost a context and
        # a parse first, and its refusals are plain text, not this endpoint's JSON errors.
        # It also has no place to answer from a kept answer without executing, to share
        # one context and answer-size cap across a batch, or to charge a batch's cost
        # before any operation runs. WebSockets keep strawberry's handling.
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.guarded_response(request)
        except ClientDisconnect:
            return  # gone before its body arrived: nobody to answer
        except BodyTooLarge:
            raise  # gateway.body_limits answers it with 413
        except Exception:
            logger.exception("unexpected error answering %s %s", request.method, request.url.path)
            response = error_response(500, INTERNAL_MESSAGE, INTERNAL_ERROR)
        await response(scope, receive, send)

    async def guarded_response(self, request: Request) -> Response:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return self.too_large(limit)
        media_type = negotiate(request.headers.get("accept"))
        adapter = StarletteRequestAdapter(request)
        if self.should_render_graphql_ide(adapter) and wants_graphiql(request):
            return await self.graphiql(request)
        if media_type is None:
            return error_response(
                406,
                "this endpoint answers in application/graphql-response+json or "
                "application/json; the Accept header allows neither",
                NOT_ACCEPTABLE,
            )
        try:
            viewer = await self.authenticator.authenticate(request.headers.get("authorization"))
        except AuthenticationError as error:
            challenge = {"WWW-Authenticate": 'Bearer realm="supplygraph"'}
            return error_response(401, str(error), UNAUTHENTICATED, challenge, media_type)
        request.state.viewer = viewer
        try:
            await self.spend(request, requests=1)
        except RateLimited as limited:
            return self.rate_limited(limited, media_type)
        if self.should_render_graphql_ide(adapter):
            return await self.graphiql(request)
        try:
            return await self.answer(request, media_type or APPLICATION_JSON)
        except BadHttpRequest as error:
            headers = error.headers
            if error.status == 405:
                headers = {"Allow": ALLOWED_METHODS, **headers}
            return error_response(
                error.status, error.message, error.code, headers, media_type, **error.extensions
            )
        except RateLimited as limited:
            return self.rate_limited(limited, media_type)
        except DocumentNotTrusted as error:
            return error_response(400, error.message, error.code, media_type=media_type)
        except PersistedQueryError as error:
            if error.code == "PERSISTED_QUERY_NOT_FOUND":
                # A request error (Apollo clients then send the document along).
                status = request_error_status(media_type or APPLICATION_JSON, [error.code])
            else:
                status = 400
            return error_response(status, error.message, error.code, media_type=media_type)

    async def spend(self, request: Request, *, requests: int = 0, cost: int = 0) -> None:
        """``RateLimited`` when the client's budget for this window would be passed."""
        await self.spend_as(self.viewer_of(request), request.client, requests=requests, cost=cost)

    async def spend_as(
        self, viewer: Viewer, address: Address | None, *, requests: int = 0, cost: int = 0
    ) -> None:
        """``spend`` for a caller known by its viewer and address: also a subscription's,
        over a WebSocket (each operation) or an event stream (each stream)."""
        limiter = self.rate_limiter
        if limiter is None:
            return
        client = client_of(viewer, address.host if address else None)
        refusal = await limiter.spend(client, requests=requests, cost=cost)
        if refusal is not None:
            raise RateLimited(refusal)

    async def spend_cost(
        self,
        request: Request,
        operations: list[GraphQLRequestData],
        choices: list[OperationChoice],
    ) -> None:
        """Charges the operations' estimated cost, from the limit checks their execution
        then reuses (``schema.limits.LimitChecks``), before any of them runs."""
        if self.rate_limiter is None or not self.rate_limiter.counts_cost:
            return
        if not isinstance(self.schema, GatewaySchema):
            return
        checks = LimitChecks()
        request.scope.setdefault("state", {})["limit_checks"] = checks
        cost = 0
        for operation, choice in zip(operations, choices, strict=True):
            if choice.document is None or choice.ambiguous or not operation.query:
                continue  # it runs nothing; its own answer says why
            checked = checks.check(
                graphql_schema(self.schema),
                choice.document,
                operation.query,
                operation.variables or {},
                self.schema.limits,
                operation.operation_name,
            )
            if not checked.rejected and not checked.cycle:
                cost += checked.cost  # a refused operation resolves nothing
        await self.spend(request, cost=cost)

    def rate_limited(self, limited: RateLimited, media_type: str | None) -> Response:
        refusal = limited.refusal
        return error_response(
            429,
            limited.message,
            RATE_LIMITED,
            {"Retry-After": str(refusal.retry_after_s)},
            media_type,
            limit=refusal.limit,
            value=refusal.value,
        )

    def too_large(self, limit: int) -> Response:
        message = f"the request body is larger than {limit} bytes"
        return error_response(413, message, QUERY_REJECTED, limit="body_bytes", value=limit)

    async def graphiql(self, request: Request) -> Response:
        if self.graphql_ide is None:
            return error_response(404, "GraphiQL is turned off on this gateway", NOT_FOUND)
        return await self.render_graphql_ide(request)

    async def read_operations(
        self, request: Request
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET":
            return operation_from_query_string(request.query_params)
        if request.method != "POST":
            raise BadHttpRequest(405, f"{request.method} is not served here", METHOD_NOT_ALLOWED)
        body = await self.read_body(request)
        return operations_from_body(
            request.headers.get("content-type"),
            body,
            max_batch_operations=self.settings.max_batch_operations,
        )

    async def read_body(self, request: Request) -> bytes:
        """The body, refused once it grows past the limit (a chunked body declares no size)."""
        limit = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadHttpRequest(
                    413,
                    f"the request body is larger than {limit} bytes",
                    QUERY_REJECTED,
                    limit="body_bytes",
                    value=limit,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def resolved(self, request: Request, operation: GraphQLRequestData) -> GraphQLRequestData:
        if self.trusted is not None:
            return self.trusted.resolve(operation)
        operation = await resolve_persisted_query(
            operation, runtime_of(request).persisted_queries, self.refusals
        )
        if not operation.query:
            raise BadHttpRequest(
                400, "the request has no `query` (nor a known persisted query's hash)"
            )
        return operation

    async def answer(self, request: Request, media_type: str) -> Response:
        parsed = await self.read_operations(request)
        operations = parsed if isinstance(parsed, list) else [parsed]
        resolved = [await self.resolved(request, operation) for operation in operations]
        # Chosen once, before anything runs: a refused one stops the whole request.
        choices = [choose(self.schema, operation) for operation in resolved]
        for choice in choices:
            operation_type = choice.operation_type
            if operation_type is not None and operation_type not in OPERATIONS_OVER[request.method]:
                raise refused_operation_type(operation_type, request.method)
        if isinstance(parsed, list):
            refuse_costly_batch(self.schema, resolved, choices)
        await self.spend_cost(request, resolved, choices)
        answers = runtime_of(request).answers if self.keeps_answers else None
        if answers is not None and not isinstance(parsed, list):
            return await self.answer_keeping(request, media_type, resolved[0], choices[0], answers)
        context = await self.get_context(request, Response())
        if isinstance(self.schema, GatewaySchema):
            # The cap on answer size, like the cost limit, is for the whole request.
            context.answer_fields = AnswerFields(self.schema.limits.max_answer_fields)
        results = await asyncio.gather(
            *(
                self.execute_operation_of(request, operation, choice, context)
                for operation, choice in zip(resolved, choices, strict=True)
            )
        )
        bodies = [await self.response_body(request, result) for result in results]
        await context.finish()
        if isinstance(parsed, list):
            # Each operation of a batch carries its own errors; the batch itself ran.
            return json_response(bodies, 200, media_type)
        return json_response(bodies[0], status_of(media_type, results[0]), media_type)

    async def answer_keeping(
        self,
        request: Request,
        media_type: str,
        operation: GraphQLRequestData,
        choice: OperationChoice,
        answers: ResponseCache,
    ) -> Response:
        """One operation, answered from a kept answer when there is one for this view."""
        key = answers.key_for(
            operation.query or "",
            operation.operation_name,
            declared_variables(choice, operation.variables),
            view_of(self.viewer_of(request)),
        )
        policy = cache_policy_of(request)
        lookup = await answers.lookup(key)
        if_none_match = request.headers.get("if-none-match")
        if lookup.answer is not None and policy.read:
            note_hit(choice)
            return kept_response(lookup.answer, media_type, if_none_match)
        count("miss")
        context = await self.get_context(request, Response())
        result = await self.execute_operation_of(request, operation, choice, context)
        body = await self.response_body(request, result)
        response = json_response(body, status_of(media_type, result), media_type)
        stale_log = request.scope["state"]["stale_log"]
        keeps = keepable(result, stale_log) and choice.operation_type is OperationType.QUERY
        etag = etag_of(bytes(response.body)) if keeps else None
        # Kept while the request's record writes finish, not one round trip after.
        keeping = (
            [keep_answer(answers, key, bytes(response.body), etag, stale_log, lookup)]
            if etag is not None and policy.write
            else []
        )
        await context.finish(*keeping)
        return response if etag is None else tagged(response, etag, if_none_match)

    async def execute_operation_of(
        self,
        request: Request,
        operation: GraphQLRequestData,
        choice: OperationChoice,
        context: GatewayContext,
    ) -> ExecutionResult:
        if choice.ambiguous:
            return unresolvable_operation(None)
        with (
            request_deadline(self.settings.request_deadline_s) as deadline,
            expiring_at(deadline, context),
        ):
            return await self.executed(request, operation, context)

    async def executed(
        self, request: Request, operation: GraphQLRequestData, context: GatewayContext
    ) -> ExecutionResult:
        try:
            return await self.schema.execute(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                operation_name=operation.operation_name,
                allowed_operation_types=OPERATIONS_OVER[request.method],
                operation_extensions=operation.extensions,
            )
        except InvalidOperationTypeError as error:
            raise refused_operation_type(error.operation_type, request.method) from None
        except CannotGetOperationTypeError as error:
            return unresolvable_operation(error.operation_name)
        except MissingQueryError:
            raise BadHttpRequest(400, "the request has no `query`") from None

    async def response_body(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        body = await self.process_result(request, result)
        if is_request_error(result):
            # Nothing was executed: the answer has no `data` entry at all.
            body.pop("data", None)
        return body

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that carries only a persisted query's hash is an operation, not a browser.
        params = request.query_params
        named = "extensions" in params or "documentId" in params
        return not named and super().should_render_graphql_ide(request)

    def viewer_of(self, request: Request | WebSocket) -> Viewer:
        viewer = request.scope.get("state", {}).get("viewer")
        if isinstance(viewer, Viewer):
            return viewer
        try:
            return self.authenticator.viewer_for(request.headers.get("authorization"))
        except AuthenticationError:
            return NOBODY

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        runtime = runtime_of(request)
        policy = cache_policy_of(request)
        stale_log = StaleLog()
        request.scope.setdefault("state", {})["stale_log"] = stale_log
        write_backs = WriteBacks()
        viewer = self.viewer_of(request)
        # The gate asks the context's loaders of the moment (they are renewed), which
        # exist once the context does: it is first called while the request executes.
        gate = copy_gate(viewer, lambda: context.loaders)

        def make_loaders() -> Loaders:
            return runtime.loaders_for(policy, stale_log, write_backs, gate)

        checks = request.scope["state"].get("limit_checks")
        context = GatewayContext(
            config=self.settings.schema_config(),
            viewer=viewer,
            clients=runtime.clients,
            loaders=make_loaders(),
            make_loaders=make_loaders,
            write_backs=write_backs,
            limit_checks=checks if isinstance(checks, LimitChecks) else None,
        )
        return context

    def refusals(self, query: str) -> list[str]:
        """Why ``query`` would not run; only a document that would is stored for APQ."""
        schema = self.schema
        return document_errors(schema, query) if isinstance(schema, GatewaySchema) else []

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        stale_log = request.scope.get("state", {}).get("stale_log")
        if isinstance(stale_log, StaleLog) and stale_log:
            extensions = dict(response.get("extensions") or {})
            extensions["stale"] = [
                {
                    "system": read.system,
                    "entity": read.entity,
                    "key": read.key,
                    "age_s": round(read.age_s, 1),
                }
                for read in stale_log.entries
            ]
            response["extensions"] = extensions
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        # Ours, not strawberry's: its page loads GraphiQL from a CDN.
        return graphiql_page(self.settings)
