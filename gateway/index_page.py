"""``GET /``: a small index of what this gateway serves, instead of a bare 404."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

# (path, what a person finds there); one list, the page is built from it.
LINKS = (
    ("/graphql", "GraphiQL: explore the graph, run the example operations, read the Docs"),
    ("/track", "Track one order live, phone-sized"),
    ("/reports", "Management reports: finance, customers, stock and flows, live (staff)"),
    ("/readyz", "Readiness: Redis and the upstream systems' breakers"),
    ("/metrics", "Prometheus metrics"),
    ("/healthz", "Liveness"),
)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def index_html() -> str:
    items = "\n".join(
        f'<li><a href="{escape(path)}">{escape(path)}</a> — {escape(what)}</li>'
        for path, what in LINKS
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>supplygraph</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;"
        "padding:0 1rem}</style></head><body><h1>supplygraph</h1>"
        "<p>One GraphQL graph over the CRM, ERP and SCM. "
        "Send operations to <code>POST /graphql</code>.</p>"
        f"<ul>\n{items}\n</ul></body></html>"
    )


async def index(request: Request) -> HTMLResponse:
    return HTMLResponse(index_html(), headers=HEADERS)


def index_routes() -> list[BaseRoute]:
    return [Route("/", index, methods=["GET", "HEAD"])]
