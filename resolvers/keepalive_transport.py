"""An HTTP/1.1 keep-alive transport for httpx, on asyncio protocols and httptools.

The gateway's upstream calls are small JSON requests on a few long-lived connections,
and each one's CPU sits on the critical path between two levels of a query. httpx's
default transport (httpcore: anyio streams, locks and h11's pure-Python parser) spent
0.66 ms of CPU per call here, httpx's client included; through this one the same call
costs 0.29 ms (sequential calls to the SCM simulator). It parses with httptools
(uvicorn's parser, installed with uvicorn[standard]) in an ``asyncio.Protocol`` and
writes each request in one ``write``. httpx stays the client: auth, URLs, content
decoding, the request and response models and the exception hierarchy are its own, so
callers see no difference.

What it does: HTTP/1.1 over TCP or TLS, a pool of idle connections per origin with
``max_connections`` / ``max_keepalive_connections``, httpx's connect, read and pool
timeouts (a request is handed to the kernel in one non-blocking write, so a server that
does not read it shows as a read timeout), whole bodies (requests and responses are
buffered: upstream answers are bounded JSON, capped at ``max_body_bytes``). What it
leaves out: HTTP/2, proxies, streaming bodies, HEAD, 1xx and upgrades; use httpx's own
transport for those (``GATEWAY_UPSTREAM_TRANSPORT=httpcore``).

Errors are httpx's own: ``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``,
``PoolTimeout``, ``ReadError``, ``RemoteProtocolError`` and ``UnsupportedProtocol``.

Idle connections: a server closes a keep-alive connection it has held idle for its own
timeout (uvicorn and Node: 5 s), and a request written at that moment meets a closed
connection — the server never read it. Two things keep that race from reaching callers.
An idle connection is retired after ``keepalive_expiry`` (httpx's ``Limits``), so pick
it below the servers' timeouts. And a request whose reused connection closed before
one byte of an answer came back is sent once more on a new connection, when sending it
twice is harmless: an idempotent method, or a request that says so with the
``replayable`` extension (``extensions={REPLAYABLE: True}``), as the gateway's reads do
(Go's net/http does the same).
"""

from __future__ import annotations

import asyncio
import select
import ssl
import time
from collections import deque
from dataclasses import dataclass, field
from typing import cast

import httptools
import httpx

_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_NO_TIMEOUT: dict[str, float | None] = {}
# The request extension by which a caller says that sending the request twice is harmless.
REPLAYABLE = "replayable"
# RFC 9110's idempotent methods, HEAD aside (not supported here).
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "OPTIONS"})


class _ClosedUnanswered(httpx.ReadError):
    """The connection closed before one byte of the answer: the server may not have
    read the request at all (what a keep-alive timeout racing a request looks like)."""


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: bytes
    host: str
    port: int


class _Connection(asyncio.Protocol):
    """One TCP connection; carries one request at a time."""

    def __init__(self, max_body_bytes: int) -> None:
        self._max_body_bytes = max_body_bytes
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[None] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._body_size = 0
        self._status = 0
        self._keep_alive = False
        self._received = 0
        self.closed = False
        self.idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        answer = self._answer
        if answer is None or answer.done():
            # Bytes nobody asked for: the connection cannot be trusted any more.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP answer: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._answer is None or self._answer.done():
            return
        if self._status and self._delimited_by_close():
            # No length and not chunked: the answer's body ends where the connection does.
            self._answer.set_result(None)
        elif self._received == 0:
            self._fail(_ClosedUnanswered("the server closed the connection without answering"))
        else:
            self._fail(httpx.ReadError("the server closed the connection before answering"))

    def _delimited_by_close(self) -> bool:
        names = {name.lower() for name, _ in self._headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self._max_body_bytes:
            self._fail(httpx.RemoteProtocolError("answer larger than the gateway accepts"))
            self.close()
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)

    # used by the pool

    @property
    def reusable(self) -> bool:
        return not self.closed and self._transport is not None and not self._transport.is_closing()

    def idle_and_open(self) -> bool:
        """Whether this idle connection can carry a request: open, and nothing to read.

        A server closing an idle connection (its keep-alive timeout) sends a FIN that the
        loop may not have processed yet; writing a request into it would fail after the
        fact. Bytes waiting on an idle connection are that FIN, or something never asked
        for: either way the connection is done (httpcore checks the same).
        """
        if not self.reusable or self._transport is None:
            return False
        sock = self._transport.get_extra_info("socket")
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    async def exchange(
        self, head_and_body: bytes, timeouts: dict[str, float | None]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        transport = self._transport
        assert transport is not None
        self._headers, self._body, self._body_size, self._status = [], [], 0, 0
        self._keep_alive = False
        self._received = 0
        answer = asyncio.get_running_loop().create_future()
        self._answer = answer
        transport.write(head_and_body)
        try:
            async with asyncio.timeout(timeouts.get("read")):
                await answer
        except TimeoutError:
            self.close()
            raise httpx.ReadTimeout("no answer within the read timeout") from None
        finally:
            self._answer = None
        if not self._keep_alive:
            self.close()
        return self._status, self._headers, b"".join(self._body)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)


@dataclass
class _Pool:
    """The connections of one origin: those idle, and a bound on how many exist."""

    slots: asyncio.Semaphore
    idle: deque[_Connection] = field(default_factory=deque)


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """httpx transport for plain HTTP/1.1 upstreams (see the module's docstring)."""

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_body_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        limits = limits or httpx.Limits()
        self._max_connections = limits.max_connections or 1_000_000
        self._max_idle = (
            limits.max_keepalive_connections
            if limits.max_keepalive_connections is not None
            else self._max_connections
        )
        self._keepalive_expiry = limits.keepalive_expiry
        self._ssl_context = ssl_context
        self._max_body_bytes = max_body_bytes
        self._pools: dict[_Origin, _Pool] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        if request.method == "HEAD":
            # httptools would wait for the body a HEAD answer announces but never sends.
            raise RuntimeError("HEAD is not supported here: use httpx's own transport")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", _NO_TIMEOUT)
        origin = _origin_of(request.url)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(asyncio.Semaphore(self._max_connections))
        message = _serialize(request, await request.aread())
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await pool.slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection within the pool timeout") from None
        try:
            connection, reused = await self._checkout(pool, origin, timeouts)
            try:
                status, headers, body = await connection.exchange(message, timeouts)
            except _ClosedUnanswered:
                connection.close()
                if not (reused and _replayable(request)):
                    raise
                connection = await self._connect(origin, timeouts)
                status, headers, body = await self._exchange_once(connection, message, timeouts)
            except BaseException:
                # Failed or cancelled halfway: what is left on the wire is unknown.
                connection.close()
                raise
            if connection.reusable and len(pool.idle) < self._max_idle:
                connection.idle_since = time.monotonic()
                pool.idle.append(connection)
            else:
                connection.close()
        finally:
            pool.slots.release()
        return httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": b"HTTP/1.1"},
            request=request,
        )

    @staticmethod
    async def _exchange_once(
        connection: _Connection, message: bytes, timeouts: dict[str, float | None]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        try:
            return await connection.exchange(message, timeouts)
        except BaseException:
            connection.close()
            raise

    async def _checkout(
        self, pool: _Pool, origin: _Origin, timeouts: dict[str, float | None]
    ) -> tuple[_Connection, bool]:
        """A connection for one request, and whether it has carried one before."""
        expired_before = (
            None if self._keepalive_expiry is None else time.monotonic() - self._keepalive_expiry
        )
        while pool.idle:
            # Most recently used first: the likeliest to be still open at the far end.
            connection = pool.idle.pop()
            fresh = expired_before is None or connection.idle_since > expired_before
            if fresh and connection.idle_and_open():
                return connection, True
            connection.close()
        return await self._connect(origin, timeouts), False

    async def _connect(self, origin: _Origin, timeouts: dict[str, float | None]) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = origin.scheme == b"https"
        context = None
        if tls:
            if self._ssl_context is None:
                # httpx's own default: certifi's roots, verification on.
                self._ssl_context = httpx.create_ssl_context()
            context = self._ssl_context
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self._max_body_bytes),
                    origin.host,
                    origin.port,
                    ssl=context,
                    server_hostname=origin.host if tls else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {origin.host} in time") from None
        except OSError as error:
            raise httpx.ConnectError(f"cannot connect to {origin.host}: {error}") from None
        return protocol

    async def aclose(self) -> None:
        self._closed = True
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.pop().close()
        self._pools.clear()


def _replayable(request: httpx.Request) -> bool:
    return request.method in _IDEMPOTENT_METHODS or request.extensions.get(REPLAYABLE) is True


def _origin_of(url: httpx.URL) -> _Origin:
    scheme = url.raw_scheme
    if scheme not in _DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"cannot send {scheme.decode()!r} requests")
    return _Origin(scheme, url.host, url.port or _DEFAULT_PORTS[scheme])


def _serialize(request: httpx.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    has_length = False
    for name, value in request.headers.raw:
        lower = name.lower()
        if lower == b"content-length":
            has_length = True
        elif lower == b"transfer-encoding":
            continue  # the body is sent whole, with its length
        lines.append(b"%s: %s" % (name, value))
    if body and not has_length:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
