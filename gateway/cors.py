"""Cross-origin requests from browser apps on other origins (``GATEWAY_CORS_ORIGINS``).

Starlette's ``CORSMiddleware`` answers preflights and adds the headers; this module only
decides its arguments. Credentials (cookies, TLS client certificates) are allowed only
for origins named one by one: with ``*`` any site could make a visitor's browser send
them. A bearer token in ``Authorization`` is not a credential in this sense, so a ``*``
gateway still lets a browser app send one.
"""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from core.errors import ConfigurationError
from gateway.settings import Settings

ANY_ORIGIN = "*"
# scheme://host[:port], nothing after: what a browser sends in Origin.
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
ALLOWED_METHODS = ("GET", "POST")
# What GraphQL clients send beyond the CORS-safelisted headers.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Cache-Control",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-Id",
    "traceparent",
    "tracestate",
)
# What the gateway's answers carry that a browser app may want to read.
EXPOSED_HEADERS = ("ETag", "Age", "X-Cache", "X-Request-Id", "Retry-After", "WWW-Authenticate")
PREFLIGHT_MAX_AGE_S = 600


def checked_origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    if ANY_ORIGIN in origins and len(origins) > 1:
        raise ConfigurationError(
            "GATEWAY_CORS_ORIGINS is either * (any origin) or a list of origins, not both"
        )
    for origin in origins:
        if origin != ANY_ORIGIN and not ORIGIN.match(origin):
            raise ConfigurationError(
                f"GATEWAY_CORS_ORIGINS: {origin!r} is not an origin "
                "(scheme://host[:port], no path, no trailing slash)"
            )
    return origins


def cors_middleware(settings: Settings) -> list[Middleware]:
    origins = checked_origins(settings.cors_origins)
    if not origins:
        return []  # same-origin only: browsers refuse other sites' reads
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_credentials=ANY_ORIGIN not in origins,
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE_S,
        )
    ]
