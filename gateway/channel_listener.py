"""Listening to one Redis pub/sub channel for as long as the process runs.

Order tracking and stock alerts both fan changes out across replicas through a channel.
What it takes to keep listening is the same for both, so it is written once here: a
dedicated connection with no read timeout, a heartbeat of its own (a half-open socket
never reports an error, so silence past three heartbeats counts as a dead connection),
reconnection with backoff that logs once per outage, and a readiness event that a new
subscriber can wait on briefly so that it does not miss the first notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from cache.redis_clients import single_server_client

logger = logging.getLogger("supplygraph.pubsub")

READY_WAIT_S = 2.0
RECONNECT_BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
# After this long without a word from Redis the listener pings; after three times this
# long it takes the connection for dead.
HEARTBEAT_S = 15.0
BACKEND_ERRORS = (RedisError, OSError)


def publisher_and_listener(
    url: str, *, cluster: bool, timeout_s: float, connect_timeout_s: float
) -> tuple[Redis, Redis]:
    """The two clients of one channel, on one server behind any Redis URL (in a Cluster a
    PUBLISH reaches the subscribers of every node; behind Sentinel it is the master of the
    moment). Publishing is a short command, bounded like the cache's calls; listening
    waits for as long as nothing happens, so it has its heartbeat and no timeout."""
    publisher = single_server_client(
        url,
        cluster=cluster,
        socket_timeout=timeout_s,
        socket_connect_timeout=connect_timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    listener = single_server_client(
        url,
        cluster=cluster,
        socket_connect_timeout=connect_timeout_s,
        socket_keepalive=True,
        retry=Retry(NoBackoff(), 0),
    )
    return publisher, listener


class ChannelListener:
    """One task per process that hands each message of ``channel`` to ``on_message``.

    ``on_resubscribed`` runs when the subscription is back after an outage: what was
    published meanwhile is lost, and only the caller knows how to make up for it.
    """

    def __init__(
        self,
        client: Any,
        channel: str,
        *,
        what: str,
        on_message: Callable[[object], object],
        on_resubscribed: Callable[[], object] | None = None,
    ) -> None:
        self._client = client
        self._channel = channel
        self._what = what
        self._on_message = on_message
        self._on_resubscribed = on_resubscribed
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self.failures = 0  # consecutive failed attempts to (re)subscribe
        self.reconnects = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name=f"{self._what}-listener")

    async def ready(self) -> None:
        """Started, and subscribed unless Redis does not answer within READY_WAIT_S."""
        self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), READY_WAIT_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.subscribed.clear()

    async def _listen(self) -> None:
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                await self._receive(pubsub)
            except Exception as error:
                # Whatever went wrong, this process's subscribers must not go deaf for good.
                self.subscribed.clear()
                if not isinstance(error, BACKEND_ERRORS):
                    logger.exception("%s listener failed; restarting it", self._what)
                elif self.failures == 0:
                    logger.warning(
                        "%s from Redis interrupted (%s: %s); reconnecting",
                        self._what,
                        type(error).__name__,
                        error,
                    )
                delay = RECONNECT_BACKOFF_S[min(self.failures, len(RECONNECT_BACKOFF_S) - 1)]
                self.failures += 1
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(*BACKEND_ERRORS):
                    await pubsub.aclose()

    async def _receive(self, pubsub: PubSub) -> None:
        """Hands messages on until the connection fails or goes silent (then raises)."""
        clock = asyncio.get_running_loop().time
        last_heard = clock()
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT_S)
            if message is None:
                silence = clock() - last_heard
                if silence >= 3 * HEARTBEAT_S:
                    raise ConnectionError(f"no answer from Redis for {silence:.0f} s")
                if silence >= HEARTBEAT_S:
                    await pubsub.ping()
                continue
            last_heard = clock()
            if message["type"] == "subscribe":
                self.subscribed.set()
                if self.failures:
                    self.failures = 0
                    self.reconnects += 1
                    logger.info("%s through Redis again", self._what)
                    if self._on_resubscribed is not None:
                        self._on_resubscribed()
            elif message["type"] == "message":
                self._on_message(message["data"])
