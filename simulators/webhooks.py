"""Webhooks from the simulated systems to the gateway, signed as the contract says.

``POST {gateway_url}/webhooks/{crm|erp|scm}`` with the JSON event and
``X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. Sending is fire-and-forget
on the running event loop: a gateway that is down or slow never holds up or crashes a
simulator, failures are only logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson

from simulators.clock import SimClock, rfc3339

logger = logging.getLogger(__name__)

SystemName = Literal["crm", "erp", "scm"]
SIGNATURE_HEADER = "X-Signature"


@dataclass(frozen=True)
class WebhookTarget:
    gateway_url: str
    secrets: Mapping[str, str] = field(default_factory=dict)  # system name -> secret

    def url_for(self, system: SystemName) -> str:
        return f"{self.gateway_url.rstrip('/')}/webhooks/{system}"


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_body(event: str, keys: Sequence[str], data: Mapping[str, Any], occurred_at: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "event": event,
            "occurred_at": occurred_at,
            "keys": list(keys),
            "data": dict(data),
        }
    )


class WebhookSender:
    def __init__(
        self, target: WebhookTarget | None, clock: SimClock, timeout_s: float = 5.0
    ) -> None:
        self.target = target
        self._clock = clock
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed = 0

    def emit(
        self,
        system: SystemName,
        event: str,
        keys: Sequence[str],
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue one event; returns at once. Must be called on the simulators' loop."""
        target = self.target
        if target is None or not keys:
            return
        secret = target.secrets.get(system)
        if secret is None:
            logger.warning("no webhook secret for %s; %s not sent", system, event)
            return
        body = event_body(event, keys, data or {}, rfc3339(self._clock.now()))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("webhook %s emitted outside the event loop; not sent", event)
            return
        task = loop.create_task(self._send(target.url_for(system), secret, body))
        # The loop keeps only weak references to tasks: hold them until they finish.
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, url: str, secret: str, body: bytes) -> None:
        try:
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=self._timeout_s)
            response = await self._client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)},
            )
            if response.is_success:
                self.delivered += 1
            else:
                self.failed += 1
                logger.warning("webhook to %s answered %s", url, response.status_code)
        except Exception as error:  # a webhook must never take a simulator down
            self.failed += 1
            logger.warning("webhook to %s failed: %r", url, error)

    async def drain(self) -> None:
        """Wait until every queued event has been sent or has failed."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
