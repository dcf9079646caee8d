"""Starting and stopping the simulators: in a thread, in the foreground, with live activity."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from simulators.runner import RunningSimulators, SimulatorConfig, serve_forever, start_in_thread


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sim/stats", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_start_in_thread_serves_three_systems_on_free_ports_until_stopped() -> None:
    with start_in_thread(SimulatorConfig()) as running:
        urls = [running.crm_url, running.erp_url, running.scm_url]
        assert len(set(urls)) == 3
        assert all(url.startswith("http://127.0.0.1:") for url in urls)
        assert all(answers(url) for url in urls)
        systems = [httpx.get(f"{url}/_sim/stats").json()["system"] for url in urls]
        assert systems == ["crm", "erp", "scm"]
    assert not any(answers(url) for url in urls)


def test_serve_forever_reports_ready_and_returns_once_stopped() -> None:
    ready: list[RunningSimulators] = []
    announced = threading.Event()

    def on_ready(running: RunningSimulators) -> None:
        ready.append(running)
        announced.set()

    thread = threading.Thread(
        target=lambda: asyncio.run(serve_forever(SimulatorConfig(), on_ready)), daemon=True
    )
    thread.start()
    assert announced.wait(30)
    running = ready[0]
    assert answers(running.crm_url) and answers(running.erp_url) and answers(running.scm_url)
    running.stop()
    thread.join(15)
    assert not thread.is_alive()
    assert not answers(running.crm_url)


def test_a_port_already_taken_is_an_error_at_start() -> None:
    with start_in_thread(SimulatorConfig()) as running:
        taken = int(running.crm_url.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            start_in_thread(SimulatorConfig(crm_port=taken))


def test_live_activity_moves_orders_on_by_itself_and_config_latency_is_the_default() -> None:
    config = SimulatorConfig(live_activity=True, live_interval_s=0.02, latency_ms=15)
    with start_in_thread(config) as running:
        statuses = {o.id: o.status for o in running.dataset.orders.values()}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(o.status != statuses[o.id] for o in running.dataset.orders.values()):
                break
            time.sleep(0.02)
        else:
            pytest.fail("live activity moved no order")
        faults_url = f"{running.crm_url}/_sim/faults"
        assert httpx.get(faults_url).json()["latency_ms"] == 15
        httpx.post(faults_url, json={"latency_ms": 0})
        httpx.post(f"{running.crm_url}/_sim/reset", json={"faults": True})
        assert httpx.get(faults_url).json()["latency_ms"] == 15
