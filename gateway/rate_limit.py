"""Rate limits per client: requests and estimated query cost per window, shared in Redis.

A client is its token's ``sub`` (``sub:<hash>``), or its IP address without a token
(``ip:<address>``; behind a proxy, run uvicorn with ``--forwarded-allow-ips`` so that
this is the client's and not the proxy's). Each has two budgets per window of
``GATEWAY_RATE_LIMIT_WINDOW_S``: ``GATEWAY_RATE_LIMIT_REQUESTS`` requests and
``GATEWAY_RATE_LIMIT_COST`` fields of estimated cost (the query limits' own estimate,
``schema.limits``): a dashboard of 200,000 fields spends what 20,000 small lookups do.

The counts live in Redis (one Lua script call per check, so replicas share them; a
fixed window opened by the client's first request), else in the process. An operation
that would pass a budget is refused, before it runs, with ``429``, ``Retry-After`` (the
seconds until the window ends) and ``RATE_LIMITED``; its cost is not counted. With Redis
down or slow, requests are let through (limits fail open: an outage of the cache must
not become one of the graph) and the failure is logged once until Redis answers again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from cache.lru import LruDict
from cache.patient_timeout import within
from cache.redis_clients import open_redis_client
from gateway.auth import ANONYMOUS_STAFF
from gateway.settings import Settings
from schema.viewer import Viewer

logger = logging.getLogger("supplygraph.rate_limit")

# KEYS: the client's request count, its cost count (one hash slot: the client in braces).
# ARGV: requests and cost to spend, the window in ms, the two budgets (0: unlimited).
# Returns {over, ms left}: over is "" when spent, else the budget that would be passed
# (and nothing is spent).
_SPEND = """
local requests = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local max_requests = tonumber(ARGV[4])
local max_cost = tonumber(ARGV[5])
local used_requests = tonumber(redis.call('GET', KEYS[1]) or '0')
local used_cost = tonumber(redis.call('GET', KEYS[2]) or '0')
local over = ''
if max_requests > 0 and requests > 0 and used_requests + requests > max_requests then
  over = 'requests'
elseif max_cost > 0 and cost > 0 and used_cost + cost > max_cost then
  over = 'cost'
end
if over == '' then
  if requests > 0 then
    redis.call('SET', KEYS[1], 0, 'PX', window_ms, 'NX')
    redis.call('INCRBY', KEYS[1], requests)
  end
  if cost > 0 then
    redis.call('SET', KEYS[2], 0, 'PX', window_ms, 'NX')
    redis.call('INCRBY', KEYS[2], cost)
  end
end
local ttl = redis.call('PTTL', over == 'cost' and KEYS[2] or KEYS[1])
return {over, ttl}
"""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A budget this request would pass: ``limit`` is "requests" or "cost"."""

    limit: str
    value: int
    retry_after_s: int


class RateLimited(Exception):
    """Answered with 429 and ``Retry-After``; nothing of the request ran."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.limit)
        self.refusal = refusal

    @property
    def message(self) -> str:
        refusal = self.refusal
        what = "requests" if refusal.limit == "requests" else "fields of estimated query cost"
        return (
            f"this client has used its {refusal.value} {what} for this window; "
            f"try again in {refusal.retry_after_s} s"
        )


@dataclass(frozen=True, slots=True)
class Budgets:
    window_s: float
    requests: int
    cost: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Budgets:
        return cls(
            settings.rate_limit_window_s, settings.rate_limit_requests, settings.rate_limit_cost
        )

    @property
    def on(self) -> bool:
        return self.requests > 0 or self.cost > 0

    def refusal(self, over: str, ms_left: int) -> Refusal | None:
        if not over:
            return None
        value = self.requests if over == "requests" else self.cost
        left_s = ms_left / 1000 if ms_left > 0 else self.window_s
        return Refusal(over, value, max(1, math.ceil(left_s)))


class Counts(Protocol):
    async def spend(self, client: str, requests: int, cost: int) -> tuple[str, int] | None:
        """(budget passed or "", ms left in the window); None when the counts failed."""
        ...

    async def close(self) -> None: ...


class RedisCounts:
    def __init__(self, settings: Settings, budgets: Budgets) -> None:
        assert settings.redis_url
        self.client: Any = open_redis_client(
            settings.redis_url,
            cluster=settings.redis_cluster,
            socket_timeout_s=max(1.0, 10 * settings.redis_timeout_s),
            connect_timeout_s=0.2,
            max_connections=50,
        )
        self.script = self.client.register_script(_SPEND)
        self.prefix = f"{settings.cache_prefix}:ratelimit"
        self.budgets = budgets
        self.timeout_s = settings.redis_timeout_s
        self.failing = False

    async def spend(self, client: str, requests: int, cost: int) -> tuple[str, int] | None:
        keys = [f"{self.prefix}:{{{client}}}:requests", f"{self.prefix}:{{{client}}}:cost"]
        arguments = [
            requests,
            cost,
            max(1, round(self.budgets.window_s * 1000)),
            self.budgets.requests,
            self.budgets.cost,
        ]
        try:
            over, ms_left = await within(self.script(keys=keys, args=arguments), self.timeout_s)
        except Exception as error:  # any failure of the counts lets the request through
            if not self.failing:
                self.failing = True
                logger.warning(
                    "rate limits not enforced: Redis failed (%s: %s); letting requests through",
                    type(error).__name__,
                    error,
                )
            return None
        if self.failing:
            self.failing = False
            logger.info("rate limits enforced again: Redis answers")
        text = over.decode() if isinstance(over, bytes) else str(over)
        return text, int(ms_left)

    async def close(self) -> None:
        await self.client.aclose()


class LocalCounts:
    """The same windows in this process, for a gateway without Redis."""

    def __init__(self, budgets: Budgets, max_clients: int = 100_000) -> None:
        self.budgets = budgets
        # client -> [window end (monotonic), requests, cost]
        self.windows: LruDict[str, list[float]] = LruDict(max_clients)

    async def spend(self, client: str, requests: int, cost: int) -> tuple[str, int] | None:
        now = time.monotonic()
        window = self.windows.get(client)
        if window is None or window[0] <= now:
            window = [now + self.budgets.window_s, 0, 0]
            self.windows.put(client, window)
        ms_left = round((window[0] - now) * 1000)
        budgets = self.budgets
        if budgets.requests > 0 and requests > 0 and window[1] + requests > budgets.requests:
            return "requests", ms_left
        if budgets.cost > 0 and cost > 0 and window[2] + cost > budgets.cost:
            return "cost", ms_left
        window[1] += requests
        window[2] += cost
        return "", ms_left

    async def close(self) -> None:
        return None


def client_of(viewer: Viewer, ip: str | None) -> str:
    """Whom a request is counted against: its token's subject, else its address."""
    if viewer is ANONYMOUS_STAFF or viewer.expires_at is None:
        return f"ip:{ip or 'unknown'}"
    # Hashed: a subject is the identity provider's text, of any length and alphabet.
    return "sub:" + hashlib.sha256(viewer.subject.encode()).hexdigest()[:32]


class RateLimiter:
    def __init__(self, budgets: Budgets, counts: Counts) -> None:
        self.budgets = budgets
        self.counts = counts

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter | None:
        budgets = Budgets.from_settings(settings)
        if not budgets.on:
            return None
        counts: Counts = (
            RedisCounts(settings, budgets) if settings.redis_url else LocalCounts(budgets)
        )
        return cls(budgets, counts)

    @property
    def counts_cost(self) -> bool:
        return self.budgets.cost > 0

    async def spend(self, client: str, *, requests: int = 0, cost: int = 0) -> Refusal | None:
        if (requests <= 0 or self.budgets.requests <= 0) and (cost <= 0 or self.budgets.cost <= 0):
            return None
        outcome = await self.counts.spend(client, requests, cost)
        if outcome is None:
            return None  # fail open
        return self.budgets.refusal(*outcome)

    async def close(self) -> None:
        await self.counts.close()
