"""uvicorn's httptools protocol with the two limits it lacks: header size and read time.

uvicorn bounds neither with httptools: a request line or header block of any size is
accumulated in memory (h11's ``h11_max_incomplete_event_size`` does not apply), and a
connection that sends half a request and stalls is held open forever (its keep-alive
timer runs only between requests). This protocol

- answers ``431 Request Header Fields Too Large`` and closes the connection once a
  request's URL and headers pass ``max_header_bytes``, keeping nothing past that;
- closes a connection whose request (headers and body) has not fully arrived
  ``request_read_timeout_s`` after the connection opened or the request began, with a
  ``408 Request Timeout`` while nothing has been answered yet. A WebSocket, once
  upgraded, is no longer an HTTP request and is left alone.

It also tells the app when the server begins to shut down (``shutdown``, called on each
open connection after SIGTERM), so that event streams end rather than hold the process.

Both limits come from the server's config (``gateway.http_server.GatewayServerConfig``);
a plain ``uvicorn.Config`` gets the defaults below.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway.lifespan_state import begin_draining

DEFAULT_MAX_HEADER_BYTES = 32_768
DEFAULT_REQUEST_READ_TIMEOUT_S = 15.0


class HeadersTooLarge(Exception):
    """Raised from a parser callback to stop httptools reading further."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.max_header_bytes: int = getattr(config, "max_header_bytes", DEFAULT_MAX_HEADER_BYTES)
        self.request_read_timeout_s: float = getattr(
            config, "request_read_timeout_s", DEFAULT_REQUEST_READ_TIMEOUT_S
        )
        self.header_bytes = 0
        self.headers_too_large = False
        self.reading_head = True
        self.head_bytes_received = 0
        self.read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.arm_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm_read_timer()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        # uvicorn lets a response in progress finish: for an event stream, that is never.
        begin_draining(self.app_state)
        super().shutdown()

    def data_received(self, data: bytes) -> None:
        if self.headers_too_large:
            return  # refused and closing: nothing more is read
        if self.reading_head:
            # httptools holds a header's value until it ends, so a single endless header
            # never reaches on_header: what arrives while the head is incomplete counts.
            self.head_bytes_received += len(data)
        super().data_received(data)
        if (
            self.reading_head
            and self.head_bytes_received > self.max_header_bytes
            and not self.transport.is_closing()
        ):
            self.headers_too_large = True
            self.send_400_response("")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        self.arm_read_timer()

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self.head_bytes_received = 0
        super().on_headers_complete()

    def on_url(self, url: bytes) -> None:
        self.count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        self.disarm_read_timer()
        self.reading_head = True  # what comes next is the next request's head
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self.disarm_read_timer()
        super().handle_websocket_upgrade()

    def count_header_bytes(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > self.max_header_bytes:
            self.headers_too_large = True
            # httptools turns this into HttpParserCallbackError, which uvicorn answers
            # with send_400_response: answered as 431 below.
            raise HeadersTooLarge

    def send_400_response(self, msg: str) -> None:
        if self.headers_too_large:
            self.send_and_close(
                431, f"the request's headers are larger than {self.max_header_bytes} bytes"
            )
            return
        super().send_400_response(msg)

    def send_and_close(self, status: int, message: str) -> None:
        body = message.encode()
        self.transport.write(
            STATUS_LINE[status]
            + b"content-type: text/plain; charset=utf-8\r\n"
            + b"content-length: "
            + str(len(body)).encode()
            + b"\r\nconnection: close\r\n\r\n"
            + body
        )
        self.transport.close()

    def arm_read_timer(self) -> None:
        if self.read_timer is None:
            self.read_timer = self.loop.call_later(
                self.request_read_timeout_s, self.request_read_timed_out
            )

    def disarm_read_timer(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def request_read_timed_out(self) -> None:
        self.read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # No request of this connection is being answered: say why it ends.
            self.send_and_close(408, "the request did not arrive in time")
            return
        # A body stalled mid-way: the route sees the client disconnect.
        self.transport.close()
