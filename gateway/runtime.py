"""What one gateway process holds open: the HTTP pool, the clients, the cache.

Opened by the app's lifespan and closed there. Nothing here knows about a request;
``loaders_for`` builds the per-request loaders on top of it.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPResponse
from http.cookiejar import Cookie, CookieJar

import httpx

from cache.apq import PersistedQueries
from cache.entity_cache import CacheGate, EntityCache
from cache.fetcher_cache import caching_wrapper
from cache.generations import SystemGenerations
from cache.invalidation import Invalidator
from cache.keys import KeyLayout
from cache.policy import RequestCachePolicy
from cache.redis_clients import close_redis_client, open_redis_client
from cache.response_cache import ResponseCache
from cache.stale_log import StaleLog
from cache.store import CacheStore
from cache.wiring import open_store
from cache.write_backs import WriteBacks
from cache.write_budget import WriteBudget
from gateway.flows.events import EventLog, FlowRedis, StreamNames
from gateway.flows.runs import FlowRunLog
from gateway.observability.tracing import cache_round_trip
from gateway.observability.upstream import UpstreamMetrics
from gateway.pubsub import OrderEvents, open_order_events
from gateway.settings import Settings
from gateway.stock_alerts import StockAlerts, open_stock_alerts
from gateway.upstreams import clients_from_settings
from resolvers.call_log import UpstreamCallLog
from resolvers.clients import UpstreamClients
from resolvers.fetchers import Fetchers
from resolvers.joins import build_fetchers
from resolvers.keepalive_transport import KeepAliveTransport
from resolvers.loaders import Loaders, loaders_from

SCHEMA_VERSION = 1


def open_flow_log(
    settings: Settings,
) -> tuple[FlowRedis | None, EventLog | None, FlowRunLog | None]:
    """The event log's client (a Cluster's too: each flow key is a single key), its socket
    timeout long enough for the consumers' blocking reads."""
    if not (settings.redis_url and settings.flows_enabled):
        return None, None, None
    redis = open_redis_client(
        settings.redis_url,
        cluster=settings.redis_cluster,
        # A consumer's XREADGROUP blocks up to the poll interval: the socket must wait longer.
        socket_timeout_s=settings.flows_poll_ms / 1000 + max(settings.redis_timeout_s, 2.0),
        connect_timeout_s=max(settings.redis_timeout_s, 1.0),
    )
    names = StreamNames.under(settings.cache_prefix)
    return (
        redis,
        EventLog(redis, names, settings.flows_stream_max_len),
        FlowRunLog(redis, names.runs, settings.flows_runs_kept),
    )


class NoCookieJar(CookieJar):
    """A cookie jar that keeps nothing, handed to httpx through its public ``cookies=``.

    The upstream client is shared by every request of every user: a cookie one upstream
    answer set must never ride along on the calls made for someone else. httpx keeps a
    ``CookieJar`` it is given as its jar (a ``dict`` or ``httpx.Cookies`` it would copy),
    and ``extract_cookies`` / ``add_cookie_header`` are the jar's documented entry
    points. Refusing here rather than by a ``CookiePolicy`` also skips parsing each
    answer's ``Set-Cookie`` headers: httpx still wraps each answer for the jar, ~0.02 ms
    of CPU per call, against ~0.04-0.08 ms with a jar that reads them.
    """

    def extract_cookies(self, response: HTTPResponse, request: urllib.request.Request) -> None:
        return None

    def add_cookie_header(self, request: urllib.request.Request) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


def upstream_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one pooled HTTP client every upstream call of this process goes through."""
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_keepalive,
        keepalive_expiry=settings.upstream_keepalive_expiry_s,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_read_timeout_s, connect=settings.upstream_connect_timeout_s
        ),
        limits=limits,
        transport=(
            KeepAliveTransport(limits=limits)
            if settings.upstream_transport == "keepalive"
            else None
        ),
        follow_redirects=False,
        cookies=NoCookieJar(),
    )


@dataclass
class Runtime:
    settings: Settings
    http: httpx.AsyncClient
    clients: UpstreamClients
    fetchers: Fetchers
    store: CacheStore
    entity_cache: EntityCache
    invalidator: Invalidator
    persisted_queries: PersistedQueries
    # Whole answers; None when turned off.
    answers: ResponseCache | None
    # Order change notices for subscriptions, shared by every process through Redis.
    order_events: OrderEvents
    # Stock crossing reorder points, detected once and told to every process.
    stock_alerts: StockAlerts
    # The durable event log and the record of flow runs (gateway.flows); None without Redis.
    flow_redis: FlowRedis | None = None
    event_log: EventLog | None = None
    flow_runs: FlowRunLog | None = None
    # Set when the server begins to shut down (gateway.http_protocol): streams that would
    # otherwise run for days end, so that the process can exit and clients reconnect to
    # another replica.
    draining: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        http = upstream_http_client(settings)
        # Every upstream attempt is counted, timed and traced (gateway.observability).
        clients = clients_from_settings(settings, http, call_log=UpstreamCallLog(UpstreamMetrics()))
        store = open_store(
            settings.redis_url,
            socket_timeout_s=settings.redis_timeout_s,
            cluster=settings.redis_cluster,
            round_trip_hook=cache_round_trip,
        )
        layout = KeyLayout(settings.cache_prefix, SCHEMA_VERSION)
        answers = (
            ResponseCache(
                store,
                layout,
                max_body_bytes=settings.response_cache_max_bytes,
                budget=WriteBudget(settings.response_cache_bytes_per_minute),
            )
            if settings.response_cache
            else None
        )

        async def customer_ids_of_orders(order_ids: Sequence[str]) -> Mapping[str, str]:
            # Asked of the CRM, not the cache: a new order was never cached.
            orders = await clients.crm.orders_by_ids(list(order_ids))
            return {order_id: order.customer_id for order_id, order in orders.items()}

        flow_redis, event_log, flow_runs = open_flow_log(settings)
        return cls(
            flow_redis=flow_redis,
            event_log=event_log,
            flow_runs=flow_runs,
            settings=settings,
            http=http,
            clients=clients,
            # GATEWAY_CACHE_TTLS overrides the join table's TTLs (an unknown name is refused).
            fetchers=build_fetchers(clients).with_ttls(settings.cache_ttls),
            store=store,
            entity_cache=EntityCache(
                store,
                prefix=settings.cache_prefix,
                schema_version=SCHEMA_VERSION,
                near_entries=settings.near_cache_entries,
            ),
            invalidator=Invalidator(
                store,
                prefix=settings.cache_prefix,
                schema_version=SCHEMA_VERSION,
                customer_ids_of_orders=customer_ids_of_orders,
                generations=SystemGenerations(store, layout),
            ),
            answers=answers,
            persisted_queries=PersistedQueries(
                store,
                prefix=settings.cache_prefix,
                ttl_s=settings.apq_ttl_s,
                max_query_bytes=settings.apq_max_query_bytes,
                budget=WriteBudget(settings.apq_bytes_per_minute),
            ),
            order_events=open_order_events(
                settings.redis_url,
                prefix=settings.cache_prefix,
                timeout_s=settings.redis_timeout_s,
                cluster=settings.redis_cluster,
            ),
            stock_alerts=open_stock_alerts(
                clients.scm,
                settings.redis_url,
                prefix=settings.cache_prefix,
                timeout_s=settings.redis_timeout_s,
                cluster=settings.redis_cluster,
            ),
        )

    def loaders_for(
        self,
        policy: RequestCachePolicy,
        stale_log: StaleLog,
        write_backs: WriteBacks | None = None,
        gate: CacheGate | None = None,
    ) -> Loaders:
        """A request's loaders; with ``write_backs``, their cache writes run beside it;
        with ``gate``, they serve only the cached copies it lets through."""
        wrap = caching_wrapper(
            self.entity_cache,
            policy=policy,
            stale_log=stale_log,
            write_backs=write_backs,
            gate=gate,
        )
        return loaders_from(self.fetchers.wrapped(wrap))

    async def close(self) -> None:
        if self.flow_redis is not None:
            await close_redis_client(self.flow_redis)
        await self.order_events.close()
        await self.stock_alerts.close()
        await self.http.aclose()
        await self.entity_cache.drain()
        await self.store.close()
