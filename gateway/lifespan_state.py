"""What the app's lifespan hands to every request: Starlette's lifespan state.

The lifespan yields this state once it has opened the runtime; Starlette (with the
server's help) gives each request and WebSocket a copy under ``scope["state"]``. The
GraphQL views read their runtime from there rather than being handed it by the lifespan,
so a view holds nothing that lives shorter than the app's configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection

from gateway.runtime import Runtime

RUNTIME = "runtime"


def lifespan_state(runtime: Runtime) -> dict[str, Any]:
    """What the lifespan yields."""
    return {RUNTIME: runtime}


def begin_draining(state: Mapping[str, Any]) -> None:
    """Tell the runtime in this lifespan state (if it started) that the server is stopping."""
    runtime = state.get(RUNTIME)
    if isinstance(runtime, Runtime):
        runtime.draining.set()


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime the lifespan opened, as the state of this request or WebSocket has it."""
    runtime = connection.scope.get("state", {}).get(RUNTIME)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("the gateway's lifespan has not started (or has ended)")
    return runtime
