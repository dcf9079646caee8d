"""The demo's webhook sender delivers through the keep-alive race and a 503.

The server here is a raw HTTP/1.1 server on loopback that behaves as a gateway whose
idle keep-alive timeout fires just as the sender reuses the connection: it answers the
first request of each connection and closes the connection on the second, unanswered.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import orjson
import pytest

from simulators.clock import SimClock
from simulators.webhooks import RetryPolicy, WebhookSender, WebhookTarget

SECRETS = {"crm": "crm-secret-for-test"}
FAST = RetryPolicy(attempts=4, backoff_s=0.01, max_wait_s=0.05)
CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


class ClosingGateway:
    """Answers ``statuses`` in turn (then 202); unless told otherwise, closes every
    connection at its second request without answering it."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.closes_kept_alive = True
        self.event_ids: list[str] = []  # of the requests answered 202
        self.dropped = 0  # requests that met a closing connection
        self.connections = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                match = CONTENT_LENGTH.search(head)
                body = await reader.readexactly(int(match.group(1)) if match else 0)
                if answered == 1 and self.closes_kept_alive:
                    self.dropped += 1
                    return  # the idle timeout wins the race: closed, no answer
                status = self.statuses.pop(0) if self.statuses else 202
                if status == 202:
                    self.event_ids.append(orjson.loads(body)["event_id"])
                extra = b"Retry-After: 0\r\n" if status == 503 else b""
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%s"
                    b"Content-Length: 2\r\n\r\n{}" % (status, extra)
                )
                await writer.drain()
                answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def closing_gateway() -> AsyncIterator[ClosingGateway]:
    server = ClosingGateway()
    await server.start()
    yield server
    await server.stop()


def sender_to(server: ClosingGateway) -> WebhookSender:
    return WebhookSender(WebhookTarget(server.url, SECRETS), SimClock(), retry=FAST)


async def test_events_sent_on_a_connection_the_gateway_closed_are_sent_again_and_all_arrive(
    closing_gateway: ClosingGateway,
):
    sender = sender_to(closing_gateway)
    for order in range(3):
        sender.emit("crm", "order.updated", [f"SO-10000{order}"])
        await sender.drain()  # one at a time: each next event reuses the kept-alive connection
    await sender.aclose()

    assert (sender.delivered, sender.failed) == (3, 0)
    assert closing_gateway.dropped == 2  # the race happened, twice, and cost nothing
    assert len(set(closing_gateway.event_ids)) == 3


async def test_a_503_with_retry_after_is_sent_again_and_then_delivered(
    closing_gateway: ClosingGateway,
):
    closing_gateway.statuses = [503, 503]
    closing_gateway.closes_kept_alive = False
    sender = sender_to(closing_gateway)

    sender.emit("crm", "order.updated", ["SO-100001"])
    await sender.aclose()

    assert (sender.delivered, sender.failed, sender.retried) == (1, 0, 2)
    assert len(closing_gateway.event_ids) == 1


async def test_a_gateway_that_keeps_failing_is_given_up_on_after_the_last_attempt(
    closing_gateway: ClosingGateway,
):
    closing_gateway.statuses = [503] * FAST.attempts
    closing_gateway.closes_kept_alive = False
    sender = sender_to(closing_gateway)

    sender.emit("crm", "order.updated", ["SO-100001"])
    await sender.aclose()

    assert (sender.delivered, sender.failed, sender.retried) == (0, 1, FAST.attempts - 1)
    assert closing_gateway.event_ids == []
