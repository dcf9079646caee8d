"""The GraphQL endpoint with what writes and subscriptions need on top of queries.

``GatewayGraphQL`` answers queries; this view adds, for every operation, the live
services (idempotency, invalidation after writes, order change notices) and the
request's headers (``Idempotency-Key``) to the context, and authenticates WebSockets.

``Idempotency-Key`` is honoured per HTTP request only: on a WebSocket the handshake's
headers would stand for every operation of the connection.

A browser cannot set headers on a WebSocket, so the bearer token may come in the
graphql-transport-ws ``connection_init`` payload, ``{"Authorization": "Bearer …"}``
(also accepted nested as ``{"headers": {"Authorization": …}}``, as some clients send
it); else the handshake's ``Authorization`` header counts. A token that does not
verify, has expired, or none where one is required, closes the socket with 4403 before
any operation runs. Each operation then runs in a context of its own, its token checked
again as it starts (``gateway.ws_operations``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from cache.policy import NO_CACHE_POLICY
from cache.stale_log import StaleLog
from cache.write_backs import WriteBacks
from gateway.auth import AuthenticationError
from gateway.graphql_view import GatewayGraphQL
from gateway.lifespan_state import runtime_of
from gateway.live_services import live_services_of
from gateway.settings import Settings
from gateway.ws_operations import OperationScopedHandler, token_expired
from resolvers.loaders import Loaders
from schema.context import GatewayContext
from schema.live import LiveServices
from schema.viewer import Viewer
from schema.write_once import IDEMPOTENCY_HEADER as IDEMPOTENCY


def authorization_in(payload: Mapping[str, object] | None) -> str | None:
    """The ``Authorization`` value of a connection_init payload, any letter case."""
    if not payload:
        return None
    for source in (payload, payload.get("headers")):
        if isinstance(source, Mapping):
            for name, value in source.items():
                if isinstance(name, str) and name.lower() == "authorization":
                    return value if isinstance(value, str) else None
    return None


class LiveGraphQL(GatewayGraphQL):
    # Each WebSocket operation in a context of its own, its token checked as it starts.
    graphql_transport_ws_handler_class = OperationScopedHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, settings)
        # Only graphql-transport-ws: the legacy graphql-ws handler would run every
        # operation of a socket in its one context, under the token of its opening.
        self.protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)

    def live_services(self, request: Request | WebSocket) -> LiveServices:
        return live_services_of(runtime_of(request))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        context = await super().get_context(request, response)
        context.live = self.live_services(request)
        context.request_headers = request.headers
        if isinstance(request, WebSocket):
            # A handshake's Idempotency-Key would stand for every write on the socket.
            context.request_headers = {
                name: value for name, value in request.headers.items() if name != IDEMPOTENCY
            }
        return context

    def operation_context(self, connection: GatewayContext) -> GatewayContext:
        """One WebSocket operation's context: the connection's viewer, headers and live
        services, with loaders and cache writes of its own (reading past the cache, as
        everything on a WebSocket does)."""
        live = connection.live
        if live is None:
            raise RuntimeError("a WebSocket's context has its live services (get_context)")
        stale_log = StaleLog()
        write_backs = WriteBacks()

        def make_loaders() -> Loaders:
            return live.loaders_for(NO_CACHE_POLICY, stale_log, write_backs)

        return dataclasses.replace(
            connection, loaders=make_loaders(), make_loaders=make_loaders, write_backs=write_backs
        )

    def stream_context(self, request: Request, viewer: Viewer) -> GatewayContext:
        """The context of a subscription streamed over HTTP (``gateway.sse``): it reads
        past the cache, as a WebSocket's does."""
        runtime = runtime_of(request)
        live = live_services_of(runtime)
        return GatewayContext(
            config=self.settings.schema_config(),
            viewer=viewer,
            clients=runtime.clients,
            loaders=live.uncached_loaders(),
            make_loaders=live.uncached_loaders,
            live=live,
            request_headers=request.headers,
            listening=asyncio.Event(),
        )

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        authorization = authorization_in(context.connection_params) or (
            context.request_headers.get("authorization")
        )
        try:
            context.viewer = await self.authenticator.authenticate(authorization)
            # Verification allows a few seconds of clock skew past ``exp``; a session
            # whose every operation would be refused as expired is not opened at all.
            if token_expired(context, time.time()):
                raise AuthenticationError("the token has expired")
        except AuthenticationError as error:
            raise ConnectionRejectionError(
                {"message": str(error), "code": "UNAUTHENTICATED"}
            ) from error
        return UnsetType()  # acknowledge without a payload
