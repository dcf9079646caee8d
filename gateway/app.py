"""The ASGI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from gateway.admin import drop_system_cache
from gateway.body_limits import BodyLimitMiddleware, body_limits
from gateway.compression import compression_middleware
from gateway.cors import cors_middleware
from gateway.flows.admin import list_dead_letters, replay_dead_letter
from gateway.flows.service import FlowService
from gateway.graphiql_page import graphiql_routes
from gateway.index_page import index_routes
from gateway.lifespan_state import lifespan_state
from gateway.live_graphql import LiveGraphQL
from gateway.observability.logging_setup import configure_logging_from
from gateway.observability.setup import (
    observability_middleware,
    observability_routes,
    observe_runtime,
    observe_schema,
)
from gateway.page_files import shared_routes
from gateway.reports_page import reports_routes
from gateway.runtime import Runtime
from gateway.safe_defaults import auth_off_banner
from gateway.settings import Settings
from gateway.sse import SubscriptionStream
from gateway.tracking_page import tracking_routes
from gateway.trusted_documents import OnlyTrustedDocuments
from gateway.webhooks import receive_webhook
from schema.build import GatewaySchema, create_schema
from schema.limits import QueryLimits

logger = logging.getLogger("supplygraph")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def schema_for(settings: Settings, *, federation: bool = False) -> GatewaySchema:
    return create_schema(
        QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_cost=settings.max_query_cost,
            max_answer_fields=settings.max_answer_fields,
        ),
        max_tokens=settings.max_query_tokens,
        introspection=settings.introspection,
        list_size_overrides=settings.query_list_sizes,
        federation=federation,
    )


def subgraph_view(settings: Settings) -> LiveGraphQL | None:
    """The graph as an Apollo Federation v2 subgraph: same auth, limits and policy."""
    if not settings.subgraph:
        return None
    schema = schema_for(settings, federation=True)
    observe_schema(schema)
    view = LiveGraphQL(schema, settings=settings)
    view.keeps_answers = False
    return view


def create_app(settings: Settings) -> Starlette:
    if settings.uses_demo_systems:
        raise ValueError(
            "no upstream URLs configured: start the demo systems first "
            "(`supplygraph serve` does this) or set GATEWAY_CRM_URL, GATEWAY_ERP_URL "
            "and GATEWAY_SCM_URL"
        )
    schema = schema_for(settings)
    observe_schema(schema)
    graphql = LiveGraphQL(schema, settings=settings)
    subgraph = subgraph_view(settings)
    if subgraph is not None:
        # One budget per client whichever path it asks through (its own never connected).
        subgraph.rate_limiter = graphql.rate_limiter
    trusted = graphql.trusted
    if trusted is not None:
        # Every transport (WebSocket, SSE too) runs only the manifest's texts.
        schema.extensions = (*schema.extensions, lambda: OnlyTrustedDocuments(trusted))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = Runtime.open(settings)
        app.state.runtime = runtime
        # What exists now (modules, the schema, the pools) lives as long as the process:
        # moved out of the collector's view, full collections stop re-walking it after
        # every few large answers (a dashboard allocates ~100k objects).
        gc.collect()
        gc.freeze()
        observed = observe_runtime(app, runtime)
        flows = FlowService(schema, runtime) if runtime.event_log is not None else None
        app.state.flows = flows
        if flows is not None:
            await flows.start()
        logger.info(
            "supplygraph gateway up: crm=%s erp=%s scm=%s cache=%s",
            settings.crm_url,
            settings.erp_url,
            settings.scm_url,
            "redis" if settings.redis_url else "in-process",
        )
        banner = auth_off_banner(settings)
        if banner is not None:
            logger.warning(banner)
        try:
            # Each request's and WebSocket's scope["state"] starts as a copy of this: the
            # views find their runtime there (gateway.lifespan_state).
            yield lifespan_state(runtime)
        finally:
            if graphql.rate_limiter is not None:
                await graphql.rate_limiter.close()
            if flows is not None:
                await flows.stop()
            await observed.stop()
            await runtime.close()

    app = Starlette(
        routes=[
            *index_routes(),
            Route("/healthz", healthz),
            *observability_routes(),
            # Every method: the view answers any but GET and POST with a JSON 405.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/graphql/stream", SubscriptionStream(graphql), methods=["GET", "POST"]),
            *([Route("/subgraph", subgraph)] if subgraph is not None else []),
            *graphiql_routes(settings),
            *tracking_routes(settings),
            *reports_routes(settings),
            *shared_routes(settings),
            Route("/webhooks/{system}", receive_webhook, methods=["POST"]),
            Route("/admin/cache/{system}/drop", drop_system_cache, methods=["POST"]),
            Route("/admin/flows/dead-letters", list_dead_letters, methods=["GET"]),
            Route(
                "/admin/flows/dead-letters/{letter_id}/replay",
                replay_dead_letter,
                methods=["POST"],
            ),
        ],
        lifespan=lifespan,
        middleware=[
            *observability_middleware(settings),
            # Preflights are answered here, before the body limit or the GraphQL view
            # (which would refuse OPTIONS); refusals below still carry the CORS headers.
            *cors_middleware(settings),
            *compression_middleware(settings),
            # Inside the observability middleware, so that a refused body is logged too.
            Middleware(BodyLimitMiddleware, limits=body_limits(settings)),
        ],
    )
    # One authenticator per app: its JWKS cache serves the admin routes too.
    app.state.authenticator = graphql.authenticator
    return app


def create_app_from_env() -> Starlette:
    """Entry point for uvicorn's ``--factory``: settings from the process environment."""
    settings = Settings.from_env()
    # Each worker process logs as its settings say (uvicorn configures no logging).
    configure_logging_from(settings)
    return create_app(settings)
