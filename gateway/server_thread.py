"""Run an ASGI app under uvicorn in a background thread, on a loopback port.

Tests and benchmarks use it to talk to a real server over real HTTP without a
subprocess. Port 0 picks a free port; ``url`` tells which one was bound.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from gateway.http_server import server_config
from gateway.settings import Settings


class ThreadedServer:
    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        settings: Settings | None = None,
    ) -> None:
        """With ``settings``, served as ``supplygraph serve`` serves (gateway.http_server)."""
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": "warning",
            "lifespan": "on",
        }
        config = (
            uvicorn.Config(app, **options)
            if settings is None
            else server_config(app, settings, **options)
        )
        self.server = uvicorn.Server(config)
        self.host = host
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
