"""Cross-system flows: the systems act on each other's changes, durably, exactly once in effect.

Every verified webhook becomes a domain event on a Redis Stream (``events``); a consumer
group per flow reads it (``consumer``), runs the flow (``engine``: a GraphQL read over
the one graph, a condition, a GraphQL mutation, all in-process with a service identity),
acknowledges only after the run succeeded, retries with backoff, claims the entries of a
dead replica and moves an event that keeps failing to a dead-letter stream, from which
an admin call replays it (``admin``). Flows are data (``flows.json``, ``definitions``).
"""
