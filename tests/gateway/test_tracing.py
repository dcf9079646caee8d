"""OpenTelemetry spans, on the SDK's in-memory exporter (skipped without the SDK)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.observability.request_context import RequestRecord, enter_request, leave_request
from gateway.observability.tracing import (
    current_tracing,
    disable_tracing,
    enable_tracing,
    tracing_requested,
)
from gateway.observability.upstream import UpstreamMetrics
from gateway.server_thread import ThreadedServer
from resolvers._http import UpstreamEndpoint
from resolvers.call_log import UpstreamCallLog
from resolvers.observer import batch_of
from tests.gateway_fixtures import gateway_settings

pytest.importorskip("opentelemetry.sdk.trace")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    yield exporter
    disable_tracing()
    provider.shutdown()


def named(spans: InMemorySpanExporter, prefix: str) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.name.startswith(prefix)]


def test_a_request_continues_the_callers_trace_with_upstream_and_cache_spans(simulators, spans):
    query = "query Traced { customers(first: 4) { edges { node { id orders { id } } } } }"
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        response = httpx.post(
            f"{server.url}/graphql", json={"query": query}, headers={"traceparent": TRACEPARENT}
        )

    assert response.status_code == 200
    (request_span,) = named(spans, "POST /graphql")
    assert format(request_span.context.trace_id, "032x") == CALLER_TRACE_ID
    attributes: dict[str, Any] = dict(request_span.attributes or {})
    assert attributes["graphql.operation.name"] == "Traced"
    assert attributes["http.response.status_code"] == 200

    upstream = {span.name: dict(span.attributes or {}) for span in named(spans, "crm ")}
    assert upstream["crm orders_by_customer_ids"] == {
        "upstream.system": "crm",
        "upstream.operation": "orders_by_customer_ids",
        "http.request.method": "GET",
        "upstream.batch_size": 4,
        "upstream.outcome": "200",
        "http.response.status_code": 200,
    }
    cache_reads = named(spans, "redis MGET")
    assert cache_reads
    assert {dict(span.attributes or {})["db.system.name"] for span in cache_reads} == {"redis"}
    children = named(spans, "crm ") + cache_reads
    assert {span.context.trace_id for span in children} == {request_span.context.trace_id}


async def test_an_upstream_call_carries_the_trace_and_the_request_id(spans):
    sent: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        endpoint = UpstreamEndpoint(
            http=http,
            system="crm",
            base_url="http://crm.invalid",
            auth_headers={"Authorization": "Bearer crm-secret"},
            credential="crm-secret",
            call_log=UpstreamCallLog(UpstreamMetrics()),
        )
        token = enter_request(RequestRecord("req-77"))
        tracing = current_tracing()
        assert tracing is not None
        try:
            with tracing.client_span("outer", {}) as outer, batch_of(3):
                await endpoint.request("customers_by_ids", "GET", "/x", idempotent=True)
        finally:
            leave_request(token)

    (headers,) = sent
    assert headers["traceparent"].split("-")[1] == format(outer.context.trace_id, "032x")
    assert headers["X-Request-Id"] == "req-77"
    assert headers["Authorization"] == "Bearer crm-secret"
    (call_span,) = named(spans, "crm customers_by_ids")
    assert dict(call_span.attributes or {})["upstream.batch_size"] == 3


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_is_on_only_when_the_otel_variables_ask_for_it(environ, on):
    assert tracing_requested(environ) is on
