"""The GraphQL endpoint: strawberry's ASGI view with supplygraph's per-request context.

Around strawberry's own handling it adds: the bearer-token gate (401 before any work),
the body-size limit, automatic persisted queries, JSON error bodies for malformed
requests, the per-request cache policy (``Cache-Control: no-cache``) and the
``extensions.stale`` report of answers served from an expired cache entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.execution import ExecutionResult

from cache.policy import DEFAULT_POLICY, NO_CACHE_POLICY, RequestCachePolicy
from cache.stale_log import StaleLog
from gateway.auth import AuthenticationError, Authenticator, Viewer
from gateway.persisted_queries import PersistedQueryError, resolve_persisted_query
from gateway.runtime import Runtime
from gateway.settings import Settings
from resolvers.loaders import Loaders
from schema.context import GatewayContext

EXAMPLES = (Path(__file__).parent / "static" / "examples.graphql").read_text()

# A websocket whose token does not verify may still connect, but sees nothing.
NOBODY = Viewer(subject="unauthenticated", scopes=frozenset())


def wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    error = {"message": message, "extensions": {"code": code, **extra}}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)


def cache_policy_of(request: Request | WebSocket) -> RequestCachePolicy:
    if isinstance(request, WebSocket):
        # Subscriptions exist to see changes: they always re-read the systems.
        return NO_CACHE_POLICY
    directives = request.headers.get("cache-control", "").lower()
    return (
        NO_CACHE_POLICY
        if "no-cache" in directives or "no-store" in directives
        else (DEFAULT_POLICY)
    )


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """One view per app; everything a request may remember lives in its context."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.authenticator = Authenticator(settings)
        # Set by the app's lifespan, which owns the HTTP pool and the cache.
        self.runtime: Runtime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self.guarded_response(request)
        await response(scope, receive, send)

    async def guarded_response(self, request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        limit = self.settings.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            message = f"the request body is larger than {limit} bytes"
            return error_response(413, message, "QUERY_REJECTED", limit="body_bytes", value=limit)
        if not wants_graphiql(request):
            try:
                viewer = self.authenticator.viewer_for(request.headers.get("authorization"))
            except AuthenticationError as error:
                challenge = {"WWW-Authenticate": 'Bearer realm="supplygraph"'}
                return error_response(401, str(error), "UNAUTHENTICATED", challenge)
            request.state.viewer = viewer
        try:
            return await self.run(request)
        except HTTPException as error:
            return error_response(error.status_code, error.reason, "BAD_REQUEST")
        except PersistedQueryError as error:
            status = 200 if error.code == "PERSISTED_QUERY_NOT_FOUND" else 400
            return error_response(status, error.message, error.code)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that carries only a persisted query's hash is an operation, not a browser.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def live_runtime(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError("the gateway's lifespan has not started (or has ended)")
        return self.runtime

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
        runtime = self.live_runtime()
        policy = cache_policy_of(request)
        stale_log = StaleLog()
        request.scope.setdefault("state", {})["stale_log"] = stale_log

        def make_loaders() -> Loaders:
            return runtime.loaders_for(policy, stale_log)

        return GatewayContext(
            settings=self.settings,
            viewer=self.viewer_of(request),
            clients=runtime.clients,
            loaders=make_loaders(),
            make_loaders=make_loaders,
        )

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        store = self.live_runtime().persisted_queries
        if isinstance(parsed, list):
            return [await resolve_persisted_query(item, store) for item in parsed]
        return await resolve_persisted_query(parsed, store)

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
        # Open GraphiQL on the demo's example operations instead of a blank editor.
        html = self.graphql_ide_html.replace(
            "const EXAMPLE_QUERY = `",
            f"const EXAMPLE_QUERY = {json.dumps(EXAMPLES)}; const STRAWBERRY_EXAMPLE = `",
            1,
        )
        return HTMLResponse(html)
