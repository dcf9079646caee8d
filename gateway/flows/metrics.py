"""Prometheus metrics of the flows (``supplygraph_flow_*``), all counters and histograms,
so they sum across worker processes like the gateway's other metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_APPENDED = Counter(
    "supplygraph_flow_events_appended_total",
    "Domain events appended to the event log, by system and event",
    ["system", "event"],
)
EVENTS_HANDLED = Counter(
    "supplygraph_flow_events_total",
    "Events a flow's consumer group finished with, by outcome "
    "(succeeded, skipped, ignored: not its trigger, dead: moved to the dead letters)",
    ["flow", "outcome"],
)
RETRIES = Counter(
    "supplygraph_flow_retries_total", "Failed flow runs that will be tried again", ["flow"]
)
DEAD_LETTERS = Counter(
    "supplygraph_flow_dead_letters_total", "Events moved to the dead-letter stream", ["flow"]
)
CLAIMED = Counter(
    "supplygraph_flow_claimed_total",
    "Pending events claimed from a consumer that stopped answering",
    ["flow"],
)
LAG = Histogram(
    "supplygraph_flow_lag_seconds",
    "From the event's append to the log until its flow run finished",
    ["flow"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
