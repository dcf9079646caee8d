"""Webhooks from the simulated systems to the gateway, signed as the contract says.

``POST {gateway_url}/webhooks/{crm|erp|scm}`` with the JSON event and
``X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. Sending is fire-and-forget
on the running event loop: a gateway that is down or slow never holds up or crashes a
simulator, failures are only logged.

A delivery is tried again (a few attempts, short backoff) when a kept-alive connection
turned out closed by the gateway as the event went out (its idle timeout racing our
reuse: 2-5 % of events were lost to it), and when the gateway answers 5xx (a 503 says
it could not apply the event; its ``Retry-After`` is honoured, capped). Sending the
same event again is safe: the gateway ignores an ``event_id`` it has applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import ssl
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

# What a connection closed under a request looks like: the request may not have been
# read, and a new connection will do.
RETRIED_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ConnectError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_s: float = 0.1  # doubled after each attempt
    max_wait_s: float = 5.0  # the most a Retry-After is waited for

    def wait_s(self, attempt: int, retry_after: str | None) -> float:
        """How long to wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        backoff: float = self.backoff_s * 2.0**attempt
        if retry_after is not None:
            # An HTTP date does not parse: the backoff does then.
            with contextlib.suppress(ValueError):
                backoff = max(backoff, float(retry_after))
        return min(backoff, self.max_wait_s)


@dataclass(frozen=True)
class WebhookTarget:
    gateway_url: str
    secrets: Mapping[str, str] = field(default_factory=dict)  # system name -> secret
    # A PEM certificate to trust besides the system's CAs: the demo gateway's own
    # (possibly self-signed) one when it serves HTTPS.
    ca_file: str | None = None

    def url_for(self, system: SystemName) -> str:
        return f"{self.gateway_url.rstrip('/')}/webhooks/{system}"


def trusted_context(target: WebhookTarget | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if target is not None and target.ca_file is not None:
        context.load_verify_locations(cafile=target.ca_file)
    return context


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
        self,
        target: WebhookTarget | None,
        clock: SimClock,
        timeout_s: float = 5.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.target = target
        self._clock = clock
        self._timeout_s = timeout_s
        self._retry = retry
        self._client: httpx.AsyncClient | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed = 0
        self.retried = 0  # attempts after the first, over all events

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
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        try:
            if self._client is None:
                self._client = httpx.AsyncClient(
                    timeout=self._timeout_s, verify=trusted_context(self.target)
                )
            response = await self._post_with_retries(self._client, url, body, headers)
            if response.is_success:
                self.delivered += 1
            else:
                self.failed += 1
                logger.warning("webhook to %s answered %s", url, response.status_code)
        except Exception as error:  # a webhook must never take a simulator down
            self.failed += 1
            logger.warning("webhook to %s failed: %r", url, error)

    async def _post_with_retries(
        self, client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        last = self._retry.attempts - 1
        for attempt in range(self._retry.attempts):
            if attempt:
                self.retried += 1
            try:
                response = await client.post(url, content=body, headers=headers)
            except RETRIED_ERRORS:
                if attempt == last:
                    raise
                await asyncio.sleep(self._retry.wait_s(attempt, None))
                continue
            if response.status_code < 500 or attempt == last:
                return response
            await asyncio.sleep(self._retry.wait_s(attempt, response.headers.get("retry-after")))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def drain(self) -> None:
        """Wait until every queued event has been sent or has failed."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
