"""Answers compressed as the client accepts: br (preferred at equal weight) or gzip.

Starlette's gzip responder does the work for gzip; br reuses its frame with a brotli
compressor. Bodies under ``GATEWAY_COMPRESSION_MIN_BYTES`` go as they are (compressing
a 300-byte tracking answer costs more than it saves), and so do event streams and
multipart streams: a compressor holds bytes back, and a subscriber must see each event
when it is sent. A strong ``ETag`` becomes weak on a compressed answer, as the bytes
differ from the identity encoding's; ``If-None-Match`` compares weakly, so it still
matches.
"""

from __future__ import annotations

import asyncio
import zlib

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import Settings

# Streams are read event by event; graphql-sse and incremental delivery are streams too.
NEVER_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed")
# zlib 6 and brotli 5: most of the size gain of the highest levels at a fraction of the
# CPU (the 3.4 MB GraphiQL bundle: ~25 ms at these levels).
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
# Ours first when the client weighs them equally: br is ~15 % smaller on JSON.
SUPPORTED = ("br", "gzip")


def accepted_encoding(accept_encoding: str) -> str | None:
    """The encoding to answer in, from ``Accept-Encoding`` (q-values honoured)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.strip()] = weight
    wildcard = weights.get("*", 0.0)
    best = max(SUPPORTED, key=lambda name: weights.get(name, wildcard))
    return best if weights.get(best, wildcard) > 0 else None


# Larger parts are compressed in a worker thread, as Starlette's gzip responder does.
THREAD_MINIMUM_BYTES = 128 * 1024


def encode(body: bytes, encoding: str | None) -> bytes:
    """``body`` whole in ``encoding`` (None: as it is), at the levels used for answers."""
    if encoding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    if encoding == "gzip":
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()
    return body


class BrotliResponder(IdentityResponder):
    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, **options: object) -> None:
        super().__init__(app, minimum_size, exclude_content_types=NEVER_COMPRESSED)
        self._compressor: brotli.Compressor | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM_BYTES:
            # A dashboard's answer: ~10 ms a megabyte, not on the event loop.
            return await asyncio.to_thread(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=BROTLI_QUALITY)
        compressed = bytes(self._compressor.process(body))
        # A streamed part is flushed whole: the client can use it as it arrives.
        ending = self._compressor.flush() if more_body else self._compressor.finish()
        return compressed + bytes(ending)


def weakened_etag(message: Message) -> None:
    headers = MutableHeaders(raw=message["headers"])
    etag = headers.get("etag")
    if etag and "content-encoding" in headers and not etag.startswith("W/"):
        headers["ETag"] = "W/" + etag


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = accepted_encoding(Headers(scope=scope).get("accept-encoding", ""))
        responder: IdentityResponder
        if encoding == "br":
            responder = BrotliResponder(self.app, self.minimum_size)
        elif encoding == "gzip":
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=GZIP_LEVEL,
                thread_minimum_size=THREAD_MINIMUM_BYTES,
                exclude_content_types=NEVER_COMPRESSED,
            )
        else:
            # Still says "Vary: Accept-Encoding" on what it could have compressed.
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=NEVER_COMPRESSED
            )

        async def send_weakened(message: Message) -> None:
            if message["type"] == "http.response.start":
                weakened_etag(message)
            await send(message)

        await responder(scope, receive, send_weakened)


def compression_middleware(settings: Settings) -> list[Middleware]:
    if not settings.compression:
        return []
    return [Middleware(CompressionMiddleware, minimum_size=settings.compression_min_bytes)]
