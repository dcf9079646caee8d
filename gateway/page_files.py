"""What the pages the gateway serves itself share: their files and their demo tokens.

GraphiQL (``/graphql``), order tracking (``/track``) and the management reports
(``/reports``) are plain files from ``gateway/static`` (vendored libraries included, no
CDN). Each file is read and compressed once per process, in a worker thread: compressing
a 3.5 MB bundle takes ~250 ms of CPU, too much to spend on every page load.

A page may hand out a demo token, but only when the gateway verifies tokens with the
demo's published secret (``supplygraph serve`` without upstream URLs): anyone can sign
tokens with that secret anyway, so handing one out reveals nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.auth import issue_token
from gateway.compression import accepted_encoding, encode
from gateway.settings import Settings

STATIC = Path(__file__).parent / "static"
THEME = STATIC / "theme.css"
LIVE_RETRY = STATIC / "live-retry.js"
# What /track and /reports both load, at the root: their colours, type and resets, and
# which failed subscriptions they ask again for and when.
SHARED = {"/theme.css": THEME, "/live-retry.js": LIVE_RETRY}
SHARED_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}


@functools.cache
def encoded_file(path: Path, encoding: str | None) -> bytes:
    """A file's bytes in ``encoding`` (None: as they are), read and compressed once."""
    return encode(path.read_bytes(), encoding)


async def file_response(
    request: Request, path: Path, settings: Settings, headers: Mapping[str, str]
) -> Response:
    """``path`` in the encoding the client accepts, with ``headers``."""
    encoding = (
        accepted_encoding(request.headers.get("accept-encoding", ""))
        if settings.compression
        else None
    )
    body = await asyncio.to_thread(encoded_file, path, encoding)
    sent = {**headers, "Vary": "Accept-Encoding"}
    if encoding is not None:
        # gateway.compression leaves an answer that has its encoding already alone.
        sent["Content-Encoding"] = encoding
    media_type = MEDIA_TYPES.get(path.suffix, "text/plain; charset=utf-8")
    return Response(body, media_type=media_type, headers=sent)


def is_demo(settings: Settings) -> bool:
    from gateway.cli import DEMO_JWT_SECRET

    secret = settings.jwt_secret
    return secret is not None and secret.get_secret_value() == DEMO_JWT_SECRET


def demo_token(
    settings: Settings,
    subject: str,
    scopes: str,
    *,
    lifetime_s: int,
    customer_id: str | None = None,
) -> str | None:
    """A token signed with the demo's secret; None on a gateway with a secret of its own."""
    if not is_demo(settings) or settings.jwt_secret is None:
        return None
    return issue_token(
        settings.jwt_secret.get_secret_value(),
        subject,
        scopes,
        customer_id=customer_id,
        lifetime_s=lifetime_s,
    )


def shared_routes(settings: Settings) -> list[BaseRoute]:
    """The files of ``SHARED``, each written once for both pages."""

    def route(url: str, path: Path) -> Route:
        async def shared(request: Request) -> Response:
            return await file_response(request, path, settings, SHARED_HEADERS)

        return Route(url, shared, methods=["GET", "HEAD"])

    return [route(url, path) for url, path in SHARED.items()]
