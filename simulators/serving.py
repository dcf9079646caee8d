"""Serve ASGI apps with uvicorn on sockets bound up front, on the current event loop.

Binding the sockets ourselves gives the real port at once (port 0 picks a free one) and
no race between choosing a port and listening on it. The servers leave signal handling
to their owner: several servers in one loop must not each grab SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (uvicorn[standard] brings it), else asyncio's.

    The gateway's uvicorn picks uvloop by itself; simulators run on a loop of their own
    making, and on asyncio's each answer took ~0.7 ms longer: time that the bench would
    have counted as upstream latency.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is there wherever uvicorn[standard] is
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol must be named: asyncio sets TCP_NODELAY only on sockets whose proto
    # is IPPROTO_TCP, and without it Nagle plus delayed ACKs add ~40 ms to each answer
    # on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class ServedApp:
    app: ASGIApp
    sock: socket.socket
    url: str = field(init=False)
    server: uvicorn.Server = field(init=False)
    task: asyncio.Task[None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.url = base_url(self.sock)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            log_config=None,  # leave the host process's logging alone
            access_log=False,
            lifespan="off",  # the apps keep no per-process resources of their own
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self.server = _QuietServer(config)


async def start_all(served: list[ServedApp]) -> None:
    """Start every server and return once all accept connections."""
    for item in served:
        item.task = asyncio.create_task(item.server.serve(sockets=[item.sock]))
    while not all(item.server.started for item in served):
        failed = [item for item in served if item.task is not None and item.task.done()]
        if failed:
            await stop_all(served)
            raise RuntimeError(f"a simulator server failed to start on {failed[0].url}")
        await asyncio.sleep(0.01)


async def stop_all(served: list[ServedApp]) -> None:
    for item in served:
        item.server.should_exit = True
    tasks = [item.task for item in served if item.task is not None]
    await asyncio.gather(*tasks, return_exceptions=True)
