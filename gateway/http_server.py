"""How uvicorn serves the gateway: its protocol, connection limits and timeouts, in one place.

``supplygraph serve`` and the tests' ``ThreadedServer`` build their server config here,
so what a test measures against a loopback server is what production runs.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from gateway.settings import Settings

PROTOCOL = "gateway.http_protocol:GuardedHttpToolsProtocol"


class GatewayServerConfig(uvicorn.Config):
    """uvicorn's config plus what ``GuardedHttpToolsProtocol`` reads from it.

    A module-level class, so that it pickles into the worker processes of ``--workers``.
    """

    def __init__(
        self, app: Any, *, max_header_bytes: int, request_read_timeout_s: float, **options: Any
    ) -> None:
        super().__init__(app, http=PROTOCOL, **options)
        self.max_header_bytes = max_header_bytes
        self.request_read_timeout_s = request_read_timeout_s


def server_config(app: Any, settings: Settings, **options: Any) -> GatewayServerConfig:
    return GatewayServerConfig(
        app,
        max_header_bytes=settings.http_max_header_bytes,
        request_read_timeout_s=settings.http_request_read_timeout_s,
        # Past this many open connections and tasks, uvicorn answers 503 at once
        # instead of accepting work it cannot hold.
        limit_concurrency=settings.http_limit_concurrency,
        timeout_keep_alive=settings.http_keep_alive_timeout_s,
        timeout_graceful_shutdown=settings.http_graceful_shutdown_s,
        # A WebSocket message carries what a POST body would (an operation, a token):
        # the same limit, not uvicorn's 16 MiB. Past it the socket closes with 1009.
        ws_max_size=settings.max_body_bytes,
        **options,
    )
