"""The GraphQL endpoint: strawberry's ASGI view with supplygraph's per-request context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.settings import Settings
from resolvers.clients import UpstreamClients
from resolvers.loaders import Loaders, create_loaders
from schema.context import GatewayContext

EXAMPLES = (Path(__file__).parent / "static" / "examples.graphql").read_text()


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """One view per app; everything a request may remember lives in its context."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.settings = settings
        # Set by the app's lifespan, which owns the HTTP pool the clients share.
        self.clients: UpstreamClients | None = None

    def live_clients(self) -> UpstreamClients:
        if self.clients is None:
            raise RuntimeError("the gateway's lifespan has not started (or has ended)")
        return self.clients

    def new_loaders(self) -> Loaders:
        return create_loaders(self.live_clients(), naive=self.settings.naive_loaders)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        return GatewayContext(
            settings=self.settings,
            clients=self.live_clients(),
            loaders=self.new_loaders(),
            make_loaders=self.new_loaders,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Open GraphiQL on the demo's example operations instead of a blank editor.
        html = self.graphql_ide_html.replace(
            "const EXAMPLE_QUERY = `",
            f"const EXAMPLE_QUERY = {json.dumps(EXAMPLES)}; const STRAWBERRY_EXAMPLE = `",
            1,
        )
        return HTMLResponse(html)
