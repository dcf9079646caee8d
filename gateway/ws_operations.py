"""graphql-transport-ws with one context per operation, and the token checked at each.

strawberry's handler builds one context when the socket opens and runs every operation of
the connection in it: one set of loaders for the socket's whole life (values read an hour
ago served as current, memory growing with every order looked at) and a token checked
once, at ``connection_init``, so that a query sent long after the token expired still got
data. Here each ``subscribe`` message gets a context of its own (the connection's viewer
and headers, fresh loaders and cache writes), and an operation that starts after the
token's ``exp`` is refused: an ``error`` message for it (``UNAUTHENTICATED``), then the
socket is closed with 4403, the protocol's "Forbidden" (4401 is for subscribing before
the acknowledgement, a client bug). The client reconnects with a new token in
``connection_init``. A subscription already running ends at the token's expiry on its own
(``schema.subscription``).

Each operation also counts as one request against its client's rate limit, as over HTTP:
past the budget it gets an ``error`` message (``RATE_LIMITED``, with ``retryAfter``) and
the socket stays open, so one socket cannot start subscriptions without bound.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, cast

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.utils.aio import aclosing

from gateway.http_request import holds_lone_surrogate
from gateway.rate_limit import RateLimited
from schema.context import GatewayContext
from schema.error_codes import BAD_REQUEST, RATE_LIMITED, UNAUTHENTICATED

if TYPE_CHECKING:
    from gateway.live_graphql import LiveGraphQL

FORBIDDEN_CLOSE_CODE = 4403
EXPIRED_ERROR = GraphQLError(
    "the token has expired; reconnect with a new one in connection_init",
    extensions={"code": UNAUTHENTICATED},
)

NOT_TEXT_ERROR = GraphQLError(
    "the operation holds a lone UTF-16 surrogate (such as \\ud800), which is not Unicode text",
    extensions={"code": BAD_REQUEST},
)


def rate_limited_error(limited: RateLimited) -> GraphQLError:
    refusal = limited.refusal
    extensions = {
        "code": RATE_LIMITED,
        "limit": refusal.limit,
        "value": refusal.value,
        "retryAfter": refusal.retry_after_s,
    }
    return GraphQLError(limited.message, extensions=extensions)


def token_expired(context: GatewayContext, now: float) -> bool:
    left = context.viewer.seconds_left(now)
    return left is not None and left <= 0


class OperationScopedHandler(BaseGraphQLTransportWSHandler[GatewayContext, None]):
    """strawberry's handler, but each operation runs in a context of its own."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Before the acknowledgement the base class closes with 4401; a repeated id, 4409.
        if self.connection_acknowledged and holds_lone_surrogate(message.get("payload")):
            # As over HTTP: the client's error, said for this operation; the socket stays.
            await self.send_message(
                ErrorMessage(id=message["id"], type="error", payload=[NOT_TEXT_ERROR.formatted])
            )
            return
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and token_expired(self.context, time.time())
        ):
            payload = [EXPIRED_ERROR.formatted]
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=payload))
            await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason="the token has expired")
            return
        if self.connection_acknowledged and message["id"] not in self.operations:
            try:
                await self.spend_one_request()
            except RateLimited as limited:
                payload = [rate_limited_error(limited).formatted]
                await self.send_message(
                    ErrorMessage(id=message["id"], type="error", payload=payload)
                )
                return
        await super().handle_subscribe(message)

    async def spend_one_request(self) -> None:
        view = cast("LiveGraphQL", self.view)
        socket = getattr(self.websocket, "ws", None)
        address = socket.client if isinstance(socket, WebSocket) else None
        await view.spend_as(self.context.viewer, address, requests=1)

    async def run_operation(self, operation: Operation[GatewayContext, None]) -> None:
        """The base class's ``run_operation`` with ``context_value`` made per operation."""
        context = self.operation_context()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):  # the socket may be gone; error logged
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            # Its execution has ended: what must follow it (schema.context) runs here.
            await context.finish()

    def operation_context(self) -> GatewayContext:
        view = cast("LiveGraphQL", self.view)
        return view.operation_context(self.context)
