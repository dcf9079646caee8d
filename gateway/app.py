"""The ASGI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from gateway.admin import drop_system_cache
from gateway.graphql_view import GatewayGraphQL
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.webhooks import receive_webhook
from schema.build import create_schema
from schema.limits import QueryLimits

logger = logging.getLogger("supplygraph")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    if settings.uses_demo_systems:
        raise ValueError(
            "no upstream URLs configured: start the demo systems first "
            "(`supplygraph serve` does this) or set GATEWAY_CRM_URL, GATEWAY_ERP_URL "
            "and GATEWAY_SCM_URL"
        )
    schema = create_schema(
        QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_cost=settings.max_query_cost,
        ),
        max_tokens=settings.max_query_tokens,
        introspection=settings.introspection,
    )
    graphql = GatewayGraphQL(schema, settings=settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = Runtime.open(settings)
        app.state.runtime = graphql.runtime = runtime
        logger.info(
            "supplygraph gateway up: crm=%s erp=%s scm=%s cache=%s",
            settings.crm_url,
            settings.erp_url,
            settings.scm_url,
            "redis" if settings.redis_url else "in-process",
        )
        try:
            yield
        finally:
            graphql.runtime = None
            await runtime.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/webhooks/{system}", receive_webhook, methods=["POST"]),
            Route("/admin/cache/{system}/drop", drop_system_cache, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def create_app_from_env() -> Starlette:
    """Entry point for uvicorn's ``--factory``: settings from the process environment."""
    return create_app(Settings.from_env())
