"""The few calls ``gateway.app`` makes to put observability around the app."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from gateway.observability.exposition import metrics_endpoint, worker_exiting
from gateway.observability.health import readyz
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.operations import ObservedOperations
from gateway.observability.runtime_metrics import RuntimeMetrics
from gateway.observability.tracing import configure_tracing
from gateway.runtime import Runtime
from gateway.settings import Settings


def observe_schema(schema: Any) -> None:
    """Adds the extension that reports each operation's name and outcome; tracing is
    configured here too, once per process, as the OTEL_* variables say."""
    schema.extensions = (*schema.extensions, ObservedOperations)
    configure_tracing()


def observability_routes() -> list[BaseRoute]:
    return [Route("/readyz", readyz), Route("/metrics", metrics_endpoint)]


def observability_middleware(settings: Settings) -> list[Middleware]:
    return [Middleware(ObservabilityMiddleware, slow_request_ms=settings.slow_request_ms)]


class ObservedRuntime:
    """Started by the lifespan once the runtime is open, stopped before it closes."""

    def __init__(self, app: Starlette, runtime: Runtime) -> None:
        self._metrics = RuntimeMetrics(runtime.entity_cache, runtime.store.stats, runtime.clients)
        app.state.runtime_metrics = self._metrics
        self._metrics.start()

    async def stop(self) -> None:
        await self._metrics.stop()
        worker_exiting()


def observe_runtime(app: Starlette, runtime: Runtime) -> ObservedRuntime:
    return ObservedRuntime(app, runtime)
