"""``/track``: a small order-tracking page for phones, served by the gateway itself.

Plain HTML, CSS and one script from ``gateway/static`` (no build step). The page follows
an order through the ``orderTrackingUpdated`` subscription; see ``static/track.js``.

``/track/demo-token`` hands out a customer token, but only when the gateway verifies
tokens with the demo's published secret (``supplygraph serve`` without upstream URLs):
anyone can sign tokens with that secret anyway, so handing one out reveals nothing.
Elsewhere it answers 404 and the page asks for a token.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.auth import issue_token
from gateway.settings import Settings

STATIC = Path(__file__).parent / "static"
DEMO_CUSTOMER = "C-000001"
DEMO_TOKEN_LIFETIME_S = 3600

# Same-origin everything; WebSocket and fetch() to this gateway only.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
ASSETS = {
    "track.html": "text/html; charset=utf-8",
    "track.css": "text/css; charset=utf-8",
    "track.js": "text/javascript; charset=utf-8",
}


def asset(name: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=ASSETS[name], headers=PAGE_HEADERS)


def is_demo(settings: Settings) -> bool:
    from gateway.cli import DEMO_JWT_SECRET

    secret = settings.jwt_secret
    return secret is not None and secret.get_secret_value() == DEMO_JWT_SECRET


def tracking_routes(settings: Settings) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return asset("track.html")

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS or name == "track.html":
            return JSONResponse({"error": "not found"}, status_code=404)
        return asset(name)

    async def demo_token(request: Request) -> Response:
        if not is_demo(settings) or settings.jwt_secret is None:
            return JSONResponse({"error": "no demo token on this gateway"}, status_code=404)
        token = issue_token(
            settings.jwt_secret.get_secret_value(),
            "demo-tracking-page",
            "crm:read erp:read scm:read",
            customer_id=DEMO_CUSTOMER,
            lifetime_s=DEMO_TOKEN_LIFETIME_S,
        )
        return JSONResponse(
            {"token": token, "customerId": DEMO_CUSTOMER},
            headers={"Cache-Control": "no-store"},
        )

    return [
        Route("/track", page, methods=["GET"]),
        Route("/track/demo-token", demo_token, methods=["GET"]),
        Route("/track/{name:str}", static_file, methods=["GET"]),
    ]
