"""The gateway's ``UpstreamObserver``: every upstream HTTP attempt, counted, timed and traced.

Each attempt adds to ``supplygraph_upstream_calls_total`` and the latency and batch-size
histograms, is tallied on the current request's record (for the slow-request log), runs in
a client span when tracing is on (``traceparent`` goes upstream with it), and carries the
request's ``X-Request-Id`` so that upstream logs can be matched with the gateway's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateway.observability.metrics import UPSTREAM_BATCH_SIZE, UPSTREAM_CALLS, UPSTREAM_DURATION
from gateway.observability.request_context import current_request
from gateway.observability.tracing import current_tracing
from resolvers.observer import UpstreamCall, outcome_of


class UpstreamMetrics:
    @contextmanager
    def observe(self, call: UpstreamCall) -> Iterator[None]:
        record = current_request()
        if record is not None:
            call.extra_headers["X-Request-Id"] = record.request_id
        tracing = current_tracing()
        if tracing is None:
            with self._measured(call, None):
                yield
            return
        attributes: dict[str, Any] = {
            "upstream.system": call.system,
            "upstream.operation": call.operation,
            "http.request.method": call.method,
        }
        if call.batch_size is not None:
            attributes["upstream.batch_size"] = call.batch_size
        with tracing.client_span(f"{call.system} {call.operation}", attributes) as span:
            tracing.inject(call.extra_headers)
            with self._measured(call, span):
                yield

    @contextmanager
    def _measured(self, call: UpstreamCall, span: Any) -> Iterator[None]:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed_s = time.perf_counter() - started
            outcome = outcome_of(call, error)
            UPSTREAM_CALLS.labels(call.system, call.operation, outcome).inc()
            UPSTREAM_DURATION.labels(call.system, call.operation).observe(elapsed_s)
            if call.batch_size is not None:
                UPSTREAM_BATCH_SIZE.labels(call.system, call.operation).observe(call.batch_size)
            record = current_request()
            if record is not None:
                record.count_upstream_call(call.system, call.operation, outcome, elapsed_s * 1000)
            if span is not None:
                span.set_attribute("upstream.outcome", outcome)
                if call.status_code is not None:
                    span.set_attribute("http.response.status_code", call.status_code)
                if error is not None or (call.status_code or 0) >= 400:
                    tracing = current_tracing()
                    if tracing is not None:
                        tracing.mark_error(span, outcome)
