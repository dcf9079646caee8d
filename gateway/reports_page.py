"""``/reports``: management charts of the whole chain, served by the gateway itself.

Plain HTML, CSS and one script from ``static/reports/`` (no build step) and Apache ECharts
vendored from its npm release (``static/reports/VENDORED.md``): no CDN. The page asks
``/graphql`` only (no endpoint of its own for data) and follows ``stockAlerts`` and
``orderTrackingUpdated`` over graphql-transport-ws; see ``static/reports/reports.js``.

Its queries are staff-only, so it needs a staff token, entered as on ``/track``.
``/reports/demo-token`` hands out one only when the gateway verifies tokens with the demo's
published secret (``page_files.demo_token``): anyone can sign tokens with that secret, so
handing one out reveals nothing. Elsewhere it answers 404 and the page asks for a token.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.graphiql_page import DEMO_STAFF_SCOPES
from gateway.page_files import MEDIA_TYPES, demo_token, file_response
from gateway.settings import Settings

ASSETS_DIR = Path(__file__).parent / "static" / "reports"
DEMO_TOKEN_LIFETIME_S = 3600

# Same-origin everything; WebSocket and fetch() to this gateway only. ECharts draws on a
# canvas and needs no eval. Its tooltip and its own container styles are set through
# element.style (CSSOM), which style-src does not govern, and the page formats tooltips
# with a function that builds DOM nodes, not HTML with style attributes: so no
# 'unsafe-inline' either (the browser test fails on any CSP violation).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
PAGE = "reports.html"
# Licence and notice files are served too: whoever gets the code may read its terms.
ASSETS = frozenset(
    path.name
    for path in ASSETS_DIR.iterdir()
    if path.name != PAGE
    and (path.suffix in MEDIA_TYPES or path.name.startswith(("LICENSE", "NOTICE")))
)


def reports_routes(settings: Settings) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        return Response(
            (ASSETS_DIR / PAGE).read_bytes(), media_type=MEDIA_TYPES[".html"], headers=PAGE_HEADERS
        )

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return JSONResponse({"error": "not found"}, status_code=404)
        return await file_response(request, ASSETS_DIR / name, settings, PAGE_HEADERS)

    async def staff_demo_token(request: Request) -> Response:
        token = demo_token(
            settings, "demo-reports-page", DEMO_STAFF_SCOPES, lifetime_s=DEMO_TOKEN_LIFETIME_S
        )
        if token is None:
            return JSONResponse({"error": "no demo token on this gateway"}, status_code=404)
        return JSONResponse({"token": token}, headers={"Cache-Control": "no-store"})

    return [
        Route("/reports", page, methods=["GET"]),
        Route("/reports/demo-token", staff_demo_token, methods=["GET"]),
        Route("/reports/{name:str}", asset, methods=["GET", "HEAD"]),
    ]
