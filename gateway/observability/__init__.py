"""How the gateway is watched in production: metrics, logs, traces and probes.

request_context  the current request's id, operation and upstream calls (a contextvar)
middleware       pure ASGI: request id header, timing, access and slow-request log lines
operations       strawberry extension: each operation's name and outcome
metrics          the Prometheus metrics, and helpers other modules call
exposition       ``GET /metrics``, one process or several (PROMETHEUS_MULTIPROC_DIR)
runtime_metrics  cache counters, store stats and breaker states copied into metrics
upstream         the observer of every upstream HTTP attempt (metrics, spans, log)
tracing          optional OpenTelemetry spans, on when OTEL_* variables ask for them
logging_setup    one JSON object per log line, secrets redacted
health           ``GET /readyz``
"""
