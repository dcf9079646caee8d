"""GraphiQL as the gateway serves it: every file from the package, none from a CDN.

The page (``static/graphiql/index.html`` and ``page.js``) loads React, GraphiQL and the
explorer plugin vendored from their npm releases (``static/graphiql/VENDORED.md``) from
``/graphiql/…``, so it works on a machine with no network beyond the gateway. It opens
on the demo's example operations; when the gateway verifies tokens with the demo's
published secret, the Headers pane holds a fresh staff token (anyone can sign one with
that secret, so showing it reveals nothing).
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.page_files import demo_token, file_response
from gateway.settings import Settings

STATIC = Path(__file__).parent / "static"
ASSETS_DIR = STATIC / "graphiql"
EXAMPLES = (STATIC / "examples.graphql").read_text()
DEMO_STAFF_SCOPES = "crm:read erp:read scm:read orders:write"
DEMO_TOKEN_LIFETIME_S = 24 * 3600

# What the page may load: only the gateway's own files. Styles inline because GraphiQL
# sets them from script; fonts and icons are data: URLs in its CSS.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The demo token in it is issued per page load.
    "Cache-Control": "no-store",
}
# Licence files are served too: whoever gets the code may read its terms.
ASSETS = frozenset(
    path.name
    for path in ASSETS_DIR.iterdir()
    if path.suffix in (".js", ".css") or path.name.startswith("LICENSE.")
)
# Vendored files change only with the package; page.js carries no version in its URL.
ASSET_MAX_AGE_S = 3600


def page_config(settings: Settings) -> dict[str, str]:
    config = {"query": EXAMPLES, "headers": ""}
    token = demo_token(settings, "demo-staff", DEMO_STAFF_SCOPES, lifetime_s=DEMO_TOKEN_LIFETIME_S)
    if token is not None:
        config["headers"] = json.dumps({"Authorization": f"Bearer {token}"}, indent=2)
    return config


def embedded_json(value: object) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def graphiql_page(settings: Settings) -> Response:
    template = (ASSETS_DIR / "index.html").read_text()
    html = template.replace("__CONFIG__", embedded_json(page_config(settings)), 1)
    return HTMLResponse(html, headers=PAGE_HEADERS)


def graphiql_routes(settings: Settings) -> list[BaseRoute]:
    """The IDE's assets; none when ``GATEWAY_GRAPHIQL=0`` (the page itself is off then)."""
    if not settings.graphiql:
        return []

    async def graphiql_asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return JSONResponse({"error": "not found"}, status_code=404)
        headers = {
            "Cache-Control": f"public, max-age={ASSET_MAX_AGE_S}",
            "X-Content-Type-Options": "nosniff",
        }
        return await file_response(request, ASSETS_DIR / name, settings, headers)

    return [Route("/graphiql/{name:str}", graphiql_asset, methods=["GET", "HEAD"])]
