"""Optional OpenTelemetry tracing: a span per request, per upstream call, per cache round trip.

Off by default. On when the standard variables ask for it and the ``otel`` extra
(``pip install 'supplygraph[otel]'``) is installed:

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` set, or
- ``OTEL_TRACES_EXPORTER`` set to ``otlp`` and/or ``console`` (``none`` keeps it off),
- and ``OTEL_SDK_DISABLED`` not ``true``.

The SDK reads the rest itself (``OTEL_SERVICE_NAME``, default ``supplygraph``;
``OTEL_RESOURCE_ATTRIBUTES``; the exporter's endpoint, headers and timeouts). Incoming
``traceparent`` headers are continued; upstream calls carry the current one.

Without the packages, or switched off, every function here is a no-op returning
``nullcontext()``, and nothing imports OpenTelemetry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

logger = logging.getLogger(__name__)

_tracing: Tracing | None = None
_configured = False


def tracing_requested(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporter_names(environ)
    if exporters == ["none"]:
        return False
    return bool(
        exporters
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("OTEL_TRACES_EXPORTER", "")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


class Tracing:
    """Spans of one ``TracerProvider``; built by ``configure_tracing`` or ``enable_tracing``."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry import propagate, trace

        self._trace = trace
        self._propagate = propagate
        self.provider = provider
        self.tracer = provider.get_tracer("supplygraph")

    @contextmanager
    def server_span(
        self, name: str, headers: Mapping[str, str], attributes: Mapping[str, Any]
    ) -> Iterator[Any]:
        """A request's span, continuing the caller's trace when it sent ``traceparent``."""
        parent = self._propagate.extract(carrier=dict(headers))
        with self.tracer.start_as_current_span(
            name,
            context=parent,
            kind=self._trace.SpanKind.SERVER,
            attributes=dict(attributes),
        ) as span:
            yield span

    @contextmanager
    def client_span(self, name: str, attributes: Mapping[str, Any]) -> Iterator[Any]:
        with self.tracer.start_as_current_span(
            name, kind=self._trace.SpanKind.CLIENT, attributes=dict(attributes)
        ) as span:
            yield span

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Adds ``traceparent`` (and ``tracestate``) of the current span to ``headers``."""
        self._propagate.inject(headers)

    def mark_error(self, span: Any, description: str) -> None:
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, description))

    def cache_span(self, command: str, keys: int) -> AbstractContextManager[Any]:
        return self.client_span(
            f"redis {command}",
            {"db.system.name": "redis", "db.operation.name": command, "cache.keys": keys},
        )


def configure_tracing(environ: Mapping[str, str] | None = None) -> Tracing | None:
    """Once per process: tracing as the environment asks, or None (and a log line why)."""
    global _configured, _tracing
    if _configured:
        return _tracing
    _configured = True
    env = os.environ if environ is None else environ
    if not tracing_requested(env):
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.warning(
            "OTEL_* variables ask for tracing but the otel extra is not installed "
            "(pip install 'supplygraph[otel]'): tracing stays off"
        )
        return None
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or "supplygraph"})
    provider = TracerProvider(resource=resource)
    for exporter in _exporters(env):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracing = Tracing(provider)
    logger.info("OpenTelemetry tracing on")
    return _tracing


def _exporters(environ: Mapping[str, str]) -> list[Any]:
    names = _exporter_names(environ) or ["otlp"]
    exporters: list[Any] = []
    if "console" in names:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        exporters.append(ConsoleSpanExporter())
    if "otlp" in names:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError:
            logger.warning("no OTLP exporter installed: spans are not exported")
        else:
            exporters.append(OTLPSpanExporter())
    return exporters


def enable_tracing(provider: Any) -> Tracing:
    """Tracing through ``provider`` for this process (tests pass an in-memory one)."""
    global _configured, _tracing
    _configured = True
    _tracing = Tracing(provider)
    return _tracing


def disable_tracing() -> None:
    global _configured, _tracing
    _configured = True
    _tracing = None


def current_tracing() -> Tracing | None:
    return _tracing


def cache_round_trip(command: str, keys: int) -> AbstractContextManager[Any]:
    """The cache store's hook: a span per round trip while tracing is on."""
    tracing = _tracing
    return tracing.cache_span(command, keys) if tracing is not None else nullcontext()
