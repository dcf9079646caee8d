"""A pass-through HTTP proxy in front of one upstream that can hold one answer back.

The upstream has already answered when the proxy holds it: the test then changes the
upstream (a cancel, a webhook) while that older answer is still on its way to the
gateway, and releases it afterwards. The order of events is fixed by the test, no sleeps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.server_thread import ThreadedServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class HoldingProxy:
    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self._hold: Callable[[Request], bool] | None = None
        self.answered = threading.Event()  # the held request's answer came back upstream
        self.release = threading.Event()
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])])
        self.server = ThreadedServer(app)

    @property
    def url(self) -> str:
        return self.server.url

    def hold_next(self, matches: Callable[[Request], bool]) -> None:
        """The next request ``matches`` accepts is answered upstream, then held."""
        self._hold = matches

    async def _forward(self, request: Request) -> Response:
        async with httpx.AsyncClient() as client:
            upstream = await client.request(
                request.method,
                f"{self.upstream_url}{request.url.path}",
                params=request.query_params,
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP},
            )
        hold = self._hold
        if hold is not None and hold(request):
            self._hold = None
            self.answered.set()
            await asyncio.to_thread(self.release.wait, 30)
        headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.pop("content-encoding", None)
        return Response(upstream.content, upstream.status_code, headers=headers)

    def __enter__(self) -> HoldingProxy:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self.server.stop()
