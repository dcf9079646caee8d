"""Answers compressed as the client accepts: br (preferred at equal weight) or gzip.

Starlette's gzip responder does the work for gzip; br reuses its frame with a brotli
compressor. Bodies under ``GATEWAY_COMPRESSION_MIN_BYTES`` go as they are (compressing
a 300-byte tracking answer costs more than it saves), and so do event streams and
multipart streams: a compressor holds bytes back, and a subscriber must see each event
when it is sent. A strong ``ETag`` becomes weak on a compressed answer, as the bytes
differ from the identity encoding's; ``If-None-Match`` compares weakly, so it still
matches.

A kept answer (``gateway.kept_answers``) goes out byte for byte the same to everyone who
may read it, so its compressed bytes are kept too, under its ETag (a digest of the
body): a hit on a 225 kB dashboard answer then costs no compression (~3 ms of CPU).
"""

from __future__ import annotations

import asyncio
import zlib
from collections import OrderedDict

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


# Compressed kept answers held per process; the least recently used go first.
ENCODED_ANSWERS_MAX_BYTES = 16 * 1024 * 1024


class EncodedAnswers:
    """Compressed bodies by (encoding, ETag, length), within a byte budget.

    The ETag is a digest of the identity body (``kept_answers.etag_of``), so the key says
    which bytes were compressed: whoever gets an entry was answered that very body.
    """

    def __init__(self, max_bytes: int = ENCODED_ANSWERS_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self.reused = 0
        self._entries: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()

    def get(self, key: tuple[str, str, int]) -> bytes | None:
        encoded = self._entries.get(key)
        if encoded is not None:
            self._entries.move_to_end(key)
            self.reused += 1
        return encoded

    def put(self, key: tuple[str, str, int], encoded: bytes) -> None:
        if len(encoded) > self.max_bytes or key in self._entries:
            return
        self._entries[key] = encoded
        self.held_bytes += len(encoded)
        while self.held_bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.held_bytes -= len(dropped)


class _ReusesEncodedAnswers(IdentityResponder):
    """A responder that takes a whole tagged body's compressed bytes from ``EncodedAnswers``."""

    encoded_answers: EncodedAnswers
    _parts_seen = 0

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        whole = self._parts_seen == 0 and not more_body
        self._parts_seen += 1
        etag = Headers(raw=self.initial_message.get("headers", [])).get("etag")
        if not whole or not etag:
            return await super().apply_compression(body, more_body=more_body)
        key = (self.content_encoding, etag, len(body))
        encoded = self.encoded_answers.get(key)
        if encoded is None:
            encoded = await super().apply_compression(body, more_body=False)
            self.encoded_answers.put(key, encoded)
        return encoded


class KeptBrotliResponder(_ReusesEncodedAnswers, BrotliResponder):
    def __init__(self, app: ASGIApp, minimum_size: int, encoded: EncodedAnswers) -> None:
        super().__init__(app, minimum_size)
        self.encoded_answers = encoded


class KeptGZipResponder(_ReusesEncodedAnswers, GZipResponder):
    def __init__(self, app: ASGIApp, minimum_size: int, encoded: EncodedAnswers) -> None:
        super().__init__(
            app,
            minimum_size,
            compresslevel=GZIP_LEVEL,
            thread_minimum_size=THREAD_MINIMUM_BYTES,
            exclude_content_types=NEVER_COMPRESSED,
        )
        self.encoded_answers = encoded


def weakened_etag(message: Message) -> None:
    headers = MutableHeaders(raw=message["headers"])
    etag = headers.get("etag")
    if etag and "content-encoding" in headers and not etag.startswith("W/"):
        headers["ETag"] = "W/" + etag


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.encoded_answers = EncodedAnswers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = accepted_encoding(Headers(scope=scope).get("accept-encoding", ""))
        responder: IdentityResponder
        if encoding == "br":
            responder = KeptBrotliResponder(self.app, self.minimum_size, self.encoded_answers)
        elif encoding == "gzip":
            responder = KeptGZipResponder(self.app, self.minimum_size, self.encoded_answers)
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
