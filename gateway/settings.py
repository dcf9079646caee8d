"""The one place where configuration is read from the environment.

``Settings`` is a plain validated object: tests build it directly with keyword
arguments, ``Settings.from_env()`` builds it from ``GATEWAY_*`` variables (the names of
``../shared/contracts/README.md``; a field ``crm_url`` is read from ``GATEWAY_CRM_URL``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from schema.config import SchemaConfig

ENV_PREFIX = "GATEWAY_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Upstream systems: base URLs (a path prefix is allowed) and credentials.
    crm_url: str | None = None
    erp_url: str | None = None
    scm_url: str | None = None
    crm_token: SecretStr = SecretStr("crm-demo-token")
    erp_api_key: SecretStr = SecretStr("erp-demo-key")
    scm_token: SecretStr = SecretStr("scm-demo-token")

    # The ERP's company currency: its products and accounts carry no currency field.
    erp_currency: str = "EUR"

    # Upstream HTTP behaviour.
    upstream_connect_timeout_s: float = 2.0
    upstream_read_timeout_s: float = 5.0
    # One logical read, retries and Retry-After waits included, ends by this deadline.
    upstream_deadline_s: float = 8.0
    upstream_max_read_retries: int = 2
    upstream_backoff_base_s: float = 0.1
    upstream_backoff_max_s: float = 2.0
    # A system's breaker opens when, of at least `minimum_calls` calls ended in the last
    # `window_s` seconds, `failure_rate` failed (unreachable, 5xx, timeout).
    upstream_breaker_failure_rate: float = 0.5
    upstream_breaker_minimum_calls: int = 10
    upstream_breaker_window_s: float = 10.0
    upstream_breaker_cooldown_s: float = 5.0
    # Per-system overrides, e.g. GATEWAY_UPSTREAM_RESILIENCE='{"erp": {"deadline_s": 12}}'
    upstream_resilience: dict[str, dict[str, float]] = {}
    # A whole request (every upstream call, retry and wait in it) ends by this deadline;
    # what is still unanswered then is null with UPSTREAM_TIMEOUT, and the answer goes out.
    request_deadline_s: float = Field(default=5.0, gt=0)
    upstream_max_connections: int = 100
    upstream_max_keepalive: int = 50
    # An idle upstream connection is dropped after this long: below the 5 s after which
    # uvicorn and Node close theirs, so a request seldom meets a connection being closed.
    upstream_keepalive_expiry_s: float = Field(default=4.0, gt=0)
    # "keepalive": HTTP/1.1 on httptools (resolvers.keepalive_transport), ~0.4 ms less CPU
    # per call; "httpcore": httpx's own transport (HTTP/2, proxies, streamed bodies).
    upstream_transport: Literal["keepalive", "httpcore"] = "keepalive"

    # Cache: unset Redis URL means an in-process cache.
    redis_url: str | None = None
    cache_prefix: str = "sg"
    # Redis slower than this is treated as down: the gateway answers from the upstreams.
    redis_timeout_s: float = 0.1
    # Redis Cluster behind redis_url (also chosen by a redis+cluster:// URL; Sentinel by
    # redis+sentinel://host:port[,host:port]/service_name).
    redis_cluster: bool = False
    # Per entity kind ("order", "stock_of_sku", ...) TTL overrides in seconds.
    cache_ttls: dict[str, float] = {}
    # Whole answers of error-free queries, per view, as long as their records stay fresh
    # (cache.response_cache); answers larger than the limit are not kept.
    response_cache: bool = True
    response_cache_max_bytes: int = 2_000_000
    # Kept answers and persisted queries are written on any client's word: each process
    # writes at most this many bytes of them per minute (cache.write_budget); APQ texts
    # longer than apq_max_query_bytes, or that would not run, are never stored.
    response_cache_bytes_per_minute: int = 16_777_216
    apq_ttl_s: float = 3600.0
    apq_max_query_bytes: int = 32_768
    apq_bytes_per_minute: int = 262_144
    # Decoded records held per process in front of Redis (cache.near_cache); 0 turns off.
    near_cache_entries: int = 20_000

    # Webhook signing secrets, one per system.
    webhook_secret_crm: SecretStr = SecretStr("crm-webhook-secret")
    webhook_secret_erp: SecretStr = SecretStr("erp-webhook-secret")
    webhook_secret_scm: SecretStr = SecretStr("scm-webhook-secret")

    # Client authentication.
    jwt_secret: SecretStr | None = None
    jwt_public_key: SecretStr | None = None
    auth_disabled: bool = False
    # An identity provider's signing keys (gateway.jwks): fetched off the event loop's
    # path, cached, and fetched again for an unknown `kid` at most every
    # jwt_jwks_refresh_s (key rotation); kept at most jwt_jwks_max_age_s.
    jwt_jwks_url: str | None = None
    jwt_jwks_refresh_s: float = 30.0
    jwt_jwks_max_age_s: float = 3600.0
    jwt_jwks_timeout_s: float = 5.0
    # Checked when set: the token's `iss` must equal it, its `aud` hold one of these
    # (comma-separated). Clock skew allowed on exp/nbf/iat.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_s: float = 5.0

    # Rate limits per client (token `sub`, else IP) and window, shared by replicas
    # through Redis (gateway.rate_limit); 0 turns a limit off. The cost is the query
    # limits' estimate (fields the answer would hold).
    rate_limit_window_s: float = 60.0
    rate_limit_requests: int = 0
    rate_limit_cost: int = 0

    # A JSON manifest of the only operations that run (gateway.trusted_documents):
    # Apollo's persisted-query manifest or Relay's {hash: text}; APQ is then off.
    trusted_documents: str | None = None

    # Query limits, checked before anything is resolved.
    max_query_depth: int = 12
    max_query_aliases: int = 30
    # Estimated fields for the whole request (a batch's operations share it), with the
    # assumed list sizes of schema/list_sizes.py; GATEWAY_QUERY_LIST_SIZES replaces some,
    # e.g. '{"Customer.orders": 30}'.
    max_query_cost: int = 250_000
    query_list_sizes: dict[str, int] = {}
    # Fields the answers of one request really hold, counted while executing.
    max_answer_fields: int = 500_000
    max_query_tokens: int = 5_000
    max_body_bytes: int = 100_000
    # Bodies of other routes (gateway.body_limits): refused with 413 past these, before
    # being read whole; a webhook's body is read before its signature can be checked.
    max_webhook_body_bytes: int = 1_048_576
    max_other_body_bytes: int = 65_536
    # A POSTed JSON array runs as a batch of at most this many operations.
    max_batch_operations: int = 10
    introspection: bool = True

    # Cross-system flows (gateway.flows), on whenever Redis is configured. GATEWAY_FLOWS
    # names a JSON file of more flows (the shipped ones are gateway/flows/flows.json).
    flows_enabled: bool = True
    flows: str | None = None
    flows_stream_max_len: int = 100_000
    flows_runs_kept: int = 10_000
    # A consumer blocks this long per read; entries pending this long at a consumer are
    # taken over by another (a replica that died mid-run); after this many failed runs
    # an event goes to the dead letters; retries back off from base to max.
    flows_poll_ms: int = 1000
    flows_claim_idle_ms: int = 60_000
    flows_max_attempts: int = 5
    flows_backoff_base_s: float = 0.5
    flows_backoff_max_s: float = 20.0

    # Serving.
    graphiql: bool = True
    # The same graph as an Apollo Federation v2 subgraph at /subgraph (GATEWAY_SUBGRAPH=0: not).
    subgraph: bool = True
    # Connections (gateway.http_server): a request's line and headers larger than this
    # get 431; a request not fully received this long after it began is cut off (408);
    # past this many connections and tasks, 503; an idle keep-alive connection closes.
    http_max_header_bytes: int = 32_768
    http_request_read_timeout_s: float = 15.0
    http_limit_concurrency: int = 1000
    http_keep_alive_timeout_s: int = 5
    # On SIGTERM, event streams end at once and WebSockets close (1012); requests still
    # running get this long to finish before they are cancelled and the process exits.
    http_graceful_shutdown_s: int = Field(default=10, ge=0)
    log_level: str = "info"
    # "json" (one object per line) or "text".
    log_format: str = "json"
    # A request slower than this logs one line listing its upstream calls.
    slow_request_ms: float = 1000.0
    # Browser origins allowed to call the gateway (gateway.cors): comma-separated
    # "https://app.example.com", or "*" for any origin (then without credentials).
    cors_origins: tuple[str, ...] = ()
    # Answers of at least this many bytes are sent gzip- or br-encoded when the client
    # accepts it (gateway.compression); event streams never are.
    compression: bool = True
    compression_min_bytes: int = 1024

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @property
    def uses_demo_systems(self) -> bool:
        """True when no upstream URL is configured: the built-in simulators stand in."""
        return not (self.crm_url or self.erp_url or self.scm_url)

    def schema_config(self) -> SchemaConfig:
        """What of these settings the schema's resolvers read (in the request context)."""
        return SchemaConfig(
            erp_currency=self.erp_currency, request_deadline_s=self.request_deadline_s
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None:
                # Mappings such as GATEWAY_CACHE_TTLS come as JSON objects.
                values[name] = json.loads(raw) if raw.lstrip().startswith("{") else raw
        return cls.model_validate(values)
