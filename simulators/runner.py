"""Run the three simulators: in a background thread (tests, the gateway's demo mode) or
in the foreground (``supplygraph simulators``).

    with start_in_thread(SimulatorConfig()) as sims:
        httpx.get(f"{sims.crm_url}/crm/v1/customers?ids=C-000001",
                  headers={"Authorization": "Bearer crm-demo-token"})

Both share ``SimulatorHost``: three uvicorn servers, optional live activity and the
webhook sender, all on one event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

from simulators.apps import SimulatorApps, create_simulator_apps
from simulators.config import SimulatorConfig
from simulators.data import Dataset
from simulators.live import TickReport
from simulators.serving import ServedApp, bind, start_all, stop_all

T = TypeVar("T")
STOP_TIMEOUT_S = 15.0

__all__ = ["RunningSimulators", "SimulatorConfig", "serve_forever", "start_in_thread"]


class SimulatorHost:
    """The servers and background work of one simulator set, on the current loop."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.apps: SimulatorApps = create_simulator_apps(config)
        sockets = []
        try:
            for port in (config.crm_port, config.erp_port, config.scm_port):
                sockets.append(bind(config.host, port))
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        apps = (self.apps.crm, self.apps.erp, self.apps.scm)
        self.served = [ServedApp(app, sock) for app, sock in zip(apps, sockets, strict=True)]
        self._live_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await start_all(self.served)
        if self.config.live_activity:
            self._live_task = asyncio.create_task(
                self.apps.world.live.run(self.config.live_interval_s)
            )

    async def stop(self) -> None:
        if self._live_task is not None:
            self._live_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live_task
        await stop_all(self.served)
        await self.apps.world.webhooks.aclose()

    async def reset(self, data: bool, faults: bool) -> None:
        for knobs in self.apps.knobs.values():
            knobs.stats.reset()
            if faults:
                knobs.faults.reset()
        if data:
            self.apps.world.reset_data()

    async def tick(self) -> TickReport:
        report = self.apps.world.live.tick()
        await self.apps.world.webhooks.drain()
        return report


class RunningSimulators:
    """Handle on running simulators: their base URLs, the shared dataset, and controls.

    The URLs are bases such as ``http://127.0.0.1:41234``; clients append
    ``/crm/v1/...``, ``/jsonrpc`` and ``/graphql``. ``tick()`` and ``reset()`` run on the
    simulators' loop and may be called from any other thread.
    """

    def __init__(
        self,
        host: SimulatorHost,
        loop: asyncio.AbstractEventLoop,
        request_stop: Callable[[], None],
    ) -> None:
        self._host = host
        self._loop = loop
        self._request_stop = request_stop
        crm, erp, scm = host.served
        self.crm_url: str = crm.url
        self.erp_url: str = erp.url
        self.scm_url: str = scm.url
        self.config = host.config

    @property
    def dataset(self) -> Dataset:
        """The live dataset (read it, don't write it, while requests are being served)."""
        return self._host.apps.world.dataset

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=STOP_TIMEOUT_S)

    def tick(self) -> TickReport:
        """One step of live activity now; returns once its webhooks have been sent."""
        return self._call(self._host.tick())

    def drain_webhooks(self) -> None:
        """Return once every webhook emitted so far has been delivered or has failed."""
        self._call(self._host.apps.world.webhooks.drain())

    def reset(self, data: bool = True, faults: bool = True) -> None:
        """Zero every system's counters; optionally restore the data and clear faults."""
        self._call(self._host.reset(data=data, faults=faults))

    def stop(self) -> None:
        self._request_stop()

    def __enter__(self) -> RunningSimulators:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(config: SimulatorConfig | None = None) -> RunningSimulators:
    """Start the three servers in one daemon thread; return once they accept connections."""
    config = config or SimulatorConfig()
    ready: concurrent.futures.Future[RunningSimulators] = concurrent.futures.Future()
    loop = asyncio.new_event_loop()

    async def main() -> None:
        stop = asyncio.Event()
        host = SimulatorHost(config)
        await host.start()
        stopped = threading.Event()

        def request_stop() -> None:
            if not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop may have just closed
                    loop.call_soon_threadsafe(stop.set)
            if threading.current_thread() is not thread:
                stopped.wait(STOP_TIMEOUT_S)

        ready.set_result(RunningSimulators(host, loop, request_stop))
        try:
            await stop.wait()
        finally:
            await host.stop()
            stopped.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            else:
                raise
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="simulators", daemon=True)
    thread.start()
    return ready.result(timeout=60)


async def serve_forever(
    config: SimulatorConfig, on_ready: Callable[[RunningSimulators], None]
) -> None:
    """Serve on the current loop until SIGINT/SIGTERM (or cancellation), then shut down.

    ``on_ready`` runs once all three accept connections, e.g. to print the URLs.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    host = SimulatorHost(config)
    await host.start()
    handled: list[signal.Signals] = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # e.g. Windows
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)

    def request_stop() -> None:
        # stop() may come from any thread; asyncio.Event is not thread-safe.
        loop.call_soon_threadsafe(stop.set)

    try:
        on_ready(RunningSimulators(host, loop, request_stop))
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await host.stop()
