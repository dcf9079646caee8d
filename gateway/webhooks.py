"""``POST /webhooks/{crm|erp|scm}``: the systems say what changed; the cache forgets it.

The signature is checked over the raw body, in constant time, before anything is parsed.
The event's ``data`` is never trusted as the new state: the named keys are dropped and
the next question re-reads them from their system. The answer is 202 as soon as the
entries are dropped, the event is appended to the durable event log the flows read
(``gateway.flows.events``; with Redis) and the orders it names are announced to the
subscriptions of every gateway process.

Order: verify → parse → check (not mark) seen → apply → mark seen. An event is marked
seen only once it has been applied, so a repeated ``event_id`` is acknowledged and
ignored only if it was applied before. When it could not be applied (Redis down or
slow, the CRM down while looking up an order's customer, anything else), the answer is
503 with ``Retry-After`` and the sender's retry is applied. Two deliveries racing each
other may both be applied: applying drops keys and leaves markers, so twice is the same
state as once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

from cache.invalidation import Invalidation, mark_seen, was_seen
from core.systems import SYSTEMS
from gateway.flows.events import DomainEvent
from gateway.flows.metrics import EVENTS_APPENDED
from gateway.observability.webhook_metrics import counted_webhook
from gateway.runtime import Runtime
from gateway.webhook_orders import orders_named_by

logger = logging.getLogger("supplygraph.webhooks")

# The event whose skus are re-read for stock alerts (gateway.stock_alerts).
STOCK_CHANGED = ("scm", "stock.changed")

# As long as the cache's breaker stays open after a Redis failure (cache.breaker).
RETRY_AFTER_S = 5


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def problem(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def not_applied(system: str, event: str, event_id: str) -> JSONResponse:
    logger.warning("webhook %s %s %s not applied; asking for a retry", system, event, event_id)
    return problem(
        503,
        "NOT_APPLIED",
        "the event could not be applied now; send it again",
        {"Retry-After": str(RETRY_AFTER_S)},
    )


def parse_event(body: bytes) -> tuple[str, str, list[str]] | None:
    try:
        event: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict):
        return None
    event_id, name, keys = event.get("event_id"), event.get("event"), event.get("keys")
    if not (isinstance(event_id, str) and event_id and isinstance(name, str)):
        return None
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        return None
    return event_id, name, keys


@counted_webhook
async def receive_webhook(request: Request) -> JSONResponse:
    system = request.path_params["system"]
    if system not in SYSTEMS:
        return problem(404, "NOT_FOUND", f"no webhook for system {system!r}")
    runtime: Runtime = request.app.state.runtime
    secret = getattr(runtime.settings, f"webhook_secret_{system}").get_secret_value()
    body = await request.body()
    if not signature_matches(secret, body, request.headers.get("x-signature")):
        logger.warning("webhook from %s refused: missing or wrong signature", system)
        return problem(401, "BAD_SIGNATURE", "missing or wrong X-Signature")
    parsed = parse_event(body)
    if parsed is None:
        return problem(400, "BAD_EVENT", "the body is not a webhook event of the contract")
    event_id, event, keys = parsed
    prefix = runtime.settings.cache_prefix
    if await was_seen(runtime.store, prefix, system, event_id):
        return JSONResponse({"status": "duplicate", "event_id": event_id}, status_code=202)
    try:
        invalidation: Invalidation = await runtime.invalidator.invalidate(system, event, keys)
    except Exception:
        logger.exception("webhook %s %s %s failed", system, event, event_id)
        return not_applied(system, event, event_id)
    if not invalidation.applied:
        return not_applied(system, event, event_id)
    if runtime.event_log is not None:
        # Part of "applied": an event not in the log is refused, and the sender's retry
        # appends it (the event_id check above keeps an applied one from going in twice).
        try:
            await runtime.event_log.append(DomainEvent.from_webhook(system, body))
        except Exception:
            logger.exception("webhook %s %s %s: event log append failed", system, event, event_id)
            return not_applied(system, event, event_id)
        EVENTS_APPENDED.labels(system, event).inc()
    # After the drop, so that the subscribers' re-reads see the new state.
    await runtime.order_events.publish(orders_named_by(system, event, keys))
    if (system, event) == STOCK_CHANGED:
        try:
            await runtime.stock_alerts.publish(await runtime.stock_alerts.detect(keys))
        except Exception:
            # Not marked seen: the sender's retry reads the stock again.
            logger.exception("webhook %s %s %s: stock alerts failed", system, event, event_id)
            return not_applied(system, event, event_id)
    if not await mark_seen(runtime.store, prefix, system, event_id):
        logger.info(
            "webhook %s %s %s was applied by a racing delivery too", system, event, event_id
        )
    logger.info(
        "webhook %s %s %s: dropped %d cache entries",
        system,
        event,
        event_id,
        len(invalidation.dropped),
    )
    return JSONResponse(
        {
            "status": "accepted" if invalidation.known_event else "ignored",
            "event_id": event_id,
            "dropped": len(invalidation.dropped),
        },
        status_code=202,
    )
