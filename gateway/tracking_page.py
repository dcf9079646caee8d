"""``/track``: a small order-tracking page for phones, served by the gateway itself.

Plain HTML, CSS and one script from ``gateway/static`` (no build step). The page follows
an order through the ``orderTrackingUpdated`` subscription; see ``static/track.js``.

``/track/demo-token`` hands out a customer token in the demo only
(``page_files.demo_token``); elsewhere it answers 404 and the page asks for a token.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.page_files import demo_token
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


def tracking_routes(settings: Settings) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return asset("track.html")

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS or name == "track.html":
            return JSONResponse({"error": "not found"}, status_code=404)
        return asset(name)

    async def customer_demo_token(request: Request) -> Response:
        token = demo_token(
            settings,
            "demo-tracking-page",
            "crm:read erp:read scm:read",
            customer_id=DEMO_CUSTOMER,
            lifetime_s=DEMO_TOKEN_LIFETIME_S,
        )
        if token is None:
            return JSONResponse({"error": "no demo token on this gateway"}, status_code=404)
        return JSONResponse(
            {"token": token, "customerId": DEMO_CUSTOMER},
            headers={"Cache-Control": "no-store"},
        )

    return [
        Route("/track", page, methods=["GET"]),
        Route("/track/demo-token", customer_demo_token, methods=["GET"]),
        Route("/track/{name:str}", static_file, methods=["GET"]),
    ]
