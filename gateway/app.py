"""The ASGI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from gateway.graphql_view import GatewayGraphQL
from gateway.settings import Settings
from resolvers.clients import build_clients
from schema.build import create_schema

logger = logging.getLogger("supplygraph")


def upstream_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one pooled HTTP client every upstream call of this process goes through."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_read_timeout_s, connect=settings.upstream_connect_timeout_s
        ),
        limits=httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_keepalive,
        ),
        follow_redirects=False,
    )


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    if settings.uses_demo_systems:
        raise ValueError(
            "no upstream URLs configured: start the demo systems first "
            "(`supplygraph serve` does this) or set GATEWAY_CRM_URL, GATEWAY_ERP_URL "
            "and GATEWAY_SCM_URL"
        )
    graphql = GatewayGraphQL(create_schema(), settings=settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        http = upstream_http_client(settings)
        graphql.clients = build_clients(settings, http)
        logger.info(
            "supplygraph gateway up: crm=%s erp=%s scm=%s",
            settings.crm_url,
            settings.erp_url,
            settings.scm_url,
        )
        try:
            yield
        finally:
            graphql.clients = None
            await http.aclose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


def create_app_from_env() -> Starlette:
    """Entry point for uvicorn's ``--factory``: settings from the process environment."""
    return create_app(Settings.from_env())
