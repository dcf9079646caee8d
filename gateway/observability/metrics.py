"""Every Prometheus metric of the gateway, and the few functions other modules call.

All metrics live in prometheus-client's default registry and are named
``supplygraph_*``. Under several uvicorn workers they are written to
``PROMETHEUS_MULTIPROC_DIR`` and summed at scrape time (``gateway.observability.exposition``);
each gauge says how it combines across workers.

For other modules:

- ``subscription_opened()`` / ``subscription_closed()`` (or ``with subscription_open():``)
  move ``supplygraph_subscriptions_open``; call them once each per subscription stream.
- ``webhook_handled(system, outcome)`` counts a webhook by its outcome.

Operation names come from clients, so they are capped: a name that is not a GraphQL
name becomes ``invalid``, and past ``MAX_OPERATION_NAMES`` distinct names per process
new ones become ``other``; a document without a name is ``anonymous``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from core.systems import SYSTEMS

# No `*_created` series beside every counter and histogram: half the output, no use here.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 200, 250, 500)
MAX_OPERATION_NAMES = 200

GRAPHQL_REQUESTS = Counter(
    "supplygraph_graphql_requests",
    "GraphQL requests over HTTP by operation name and outcome "
    "(ok, partial, error, rejected, unauthenticated).",
    ["operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "supplygraph_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP, by operation name.",
    ["operation"],
    buckets=LATENCY_BUCKETS_S,
)
HTTP_REQUESTS = Counter(
    "supplygraph_http_requests",
    "HTTP requests by route, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "supplygraph_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=LATENCY_BUCKETS_S,
)
UPSTREAM_CALLS = Counter(
    "supplygraph_upstream_calls",
    "HTTP attempts sent to an upstream system, by system, operation and outcome "
    "(HTTP status, timeout, unreachable, cancelled, error). Retries count separately.",
    ["system", "operation", "outcome"],
)
UPSTREAM_DURATION = Histogram(
    "supplygraph_upstream_call_duration_seconds",
    "Time of one upstream HTTP attempt, by system and operation.",
    ["system", "operation"],
    buckets=LATENCY_BUCKETS_S,
)
UPSTREAM_BATCH_SIZE = Histogram(
    "supplygraph_upstream_batch_size",
    "Keys carried by one batched upstream call, by system and operation.",
    ["system", "operation"],
    buckets=BATCH_BUCKETS,
)
BREAKER_STATE = Gauge(
    "supplygraph_upstream_breaker_state",
    "Circuit breaker per upstream system: 0 closed, 1 half open, 2 open "
    "(the worst among live workers).",
    ["system"],
    multiprocess_mode="livemax",
)
DEGRADED_UPSTREAMS = Gauge(
    "supplygraph_degraded_upstreams",
    "Upstream systems whose breaker is open: the gateway stays ready (/readyz 200, "
    "status degraded) and answers their fields with UPSTREAM_UNAVAILABLE.",
    multiprocess_mode="livemax",
)
CACHE_KEYS = Counter(
    "supplygraph_cache_keys",
    "Entity cache keys by kind and result: hit, negative_hit, miss, fetched, shared "
    "(joined a fetch under way), stale_served, written.",
    ["kind", "result"],
)
ANSWER_CACHE = Counter(
    "supplygraph_answer_cache",
    "Whole-answer cache (cache.response_cache) by result: hit (served kept), miss (built), "
    "kept (stored after building).",
    ["result"],
)
CACHE_ERRORS = Counter(
    "supplygraph_cache_errors",
    "Entity cache errors by kind: codec (entry unreadable or unwritable), upstream "
    "(a batch fetch failed).",
    ["kind", "error"],
)
CACHE_STORE_ROUND_TRIPS = Counter(
    "supplygraph_cache_store_round_trips",
    "Round trips to the cache store (Redis or in-process) by command.",
    ["command"],
)
CACHE_STORE_FAILURES = Counter(
    "supplygraph_cache_store_failures",
    "Cache store calls that did not get an answer: error, skipped (breaker open), pool_exhausted.",
    ["reason"],
)
NEAR_CACHE_ENTRIES = Gauge(
    "supplygraph_near_cache_entries",
    "Decoded records held in process memory in front of Redis (summed over live workers).",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS_OPEN = Gauge(
    "supplygraph_subscriptions_open",
    "GraphQL subscriptions currently streaming (summed over live workers).",
    multiprocess_mode="livesum",
)
WEBHOOKS = Counter(
    "supplygraph_webhooks",
    "Webhooks received by system and outcome: accepted, ignored (unknown event), "
    "duplicate, rejected (bad signature), bad_event, unknown_system, not_applied (503).",
    ["system", "outcome"],
)

BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_seen_operations: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _GRAPHQL_NAME.fullmatch(name):
        return "invalid"
    if name in _seen_operations:
        return name
    with _seen_lock:
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
    return name


def subscription_opened() -> None:
    SUBSCRIPTIONS_OPEN.inc()


def subscription_closed() -> None:
    SUBSCRIPTIONS_OPEN.dec()


@contextmanager
def subscription_open() -> Iterator[None]:
    """Counts one open subscription for as long as the block runs."""
    subscription_opened()
    try:
        yield
    finally:
        subscription_closed()


def webhook_handled(system: str, outcome: str) -> None:
    known = system if system in SYSTEMS else "unknown"
    WEBHOOKS.labels(known, outcome).inc()
