"""Small HTTP helpers the three apps share."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

GARBAGE_BODY = b"<html><body><h1>502 Bad Gateway</h1>upstream sent an invalid response"


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(payload), status_code, headers=headers, media_type="application/json"
    )


def garbage_response() -> Response:
    """A 200 whose body is not JSON, as a misbehaving proxy might send."""
    return Response(GARBAGE_BODY, 200, media_type="text/html")


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def json_body(request: Request) -> Any:
    """The parsed JSON body; raises ``orjson.JSONDecodeError`` if it is not JSON."""
    return orjson.loads(await request.body())
