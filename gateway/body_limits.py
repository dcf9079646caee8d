"""Request bodies capped per route, before and while they are read.

Every route reads its body whole (a webhook must hash all of it before it may trust
any of it), so an unbounded body is unbounded memory, and a webhook's is read before its
sender is authenticated. This ASGI middleware refuses a body past its route's limit:
at once when ``Content-Length`` declares more, and, for a chunked body or one that
declares less than it sends, as soon as the bytes received pass the limit. Either way
the answer is 413 with a JSON error and nothing past the limit is ever held.

The limits are one table (``body_limits``), derived from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http_response import encode, error_body
from gateway.settings import Settings
from schema.error_codes import QUERY_REJECTED


@dataclass(frozen=True, slots=True)
class BodyLimit:
    path_prefix: str
    max_bytes: int


def body_limits(settings: Settings) -> tuple[BodyLimit, ...]:
    """Per path prefix, the largest body accepted; the first prefix that matches wins."""
    return (
        BodyLimit("/graphql", settings.max_body_bytes),
        BodyLimit("/subgraph", settings.max_body_bytes),  # the federation subgraph's
        BodyLimit("/webhooks/", settings.max_webhook_body_bytes),
        # Everything else (admin drops, probes, /track) takes no body worth the name.
        BodyLimit("/", settings.max_other_body_bytes),
    )


def limit_for(limits: Sequence[BodyLimit], path: str) -> int:
    for limit in limits:
        if path.startswith(limit.path_prefix):
            return limit.max_bytes
    return min(limit.max_bytes for limit in limits)


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a body passes its limit; the middleware answers 413."""


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: Sequence[BodyLimit]) -> None:
        self.app = app
        self.limits = tuple(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(self.limits, scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await refuse(send, limit)
            return
        received = 0
        overflowed = False
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise BodyTooLarge(f"the request body is larger than {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            # Once the body overflowed, the 413 below is the answer, whatever the route
            # made of the exception it saw.
            if overflowed and not response_started:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if response_started:
                raise
        if overflowed and not response_started:
            await refuse(send, limit)


async def refuse(send: Send, limit: int) -> None:
    body = encode(
        error_body(
            f"the request body is larger than {limit} bytes",
            QUERY_REJECTED,
            limit="body_bytes",
            value=limit,
        )
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
