"""A tiny gateway stand-in that records every webhook it is sent, raw body and header."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulators.serving import ServedApp, bind, start_all, stop_all


@dataclass(frozen=True)
class ReceivedWebhook:
    system: str
    body: bytes
    signature: str | None

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._served = ServedApp(
            Starlette(routes=[Route("/webhooks/{system}", self._record, methods=["POST"])]),
            bind("127.0.0.1", 0),
        )
        self.url = self._served.url
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10), "webhook receiver did not start"

    async def _record(self, request: Request) -> JSONResponse:
        webhook = ReceivedWebhook(
            request.path_params["system"], await request.body(), request.headers.get("x-signature")
        )
        with self._lock:
            self.received.append(webhook)
        return JSONResponse({"ok": True})

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            await start_all([self._served])
            self._started.set()
            await self._stop.wait()
            await stop_all([self._served])

        self._loop.run_until_complete(main())
        self._loop.close()

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def wait_for(
        self, matches: Callable[[ReceivedWebhook], bool], timeout_s: float = 5.0
    ) -> list[ReceivedWebhook]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                found = [w for w in self.received if matches(w)]
            if found:
                return found
            time.sleep(0.01)
        raise AssertionError(f"no matching webhook within {timeout_s}s: {self.received!r}")

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
