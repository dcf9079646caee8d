"""SIGTERM stops the gateway even with subscriptions open: event streams end (without
``complete``, so clients reconnect elsewhere), WebSockets close with 1012 (service
restart), a request in flight is still answered, and one that outlasts the grace period
is cut so that the process exits. Before this, one open event stream held the process
past SIGTERM for good."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.gateway.faulty_gateways import Faults
from tests.gateway.gateway_process import EXIT_TIMEOUT_S, gateway_process, upstream_env
from tests.gateway_fixtures import REDIS_URL

STOCK_ALERTS = "subscription { stockAlerts { sku warehouse kind } }"
# uvicorn shuts down gracefully, then raises the signal it caught again: the exit status
# is that of SIGTERM.
STOPPED_BY_SIGTERM = -signal.SIGTERM
SLOW_QUERY = '{ products(codes: ["P-1001"]) { code name } }'


@pytest.fixture
def gateway_env(simulators: Any) -> dict[str, str]:
    return {
        **upstream_env(simulators),
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_REDIS_URL": REDIS_URL,
        "GATEWAY_CACHE_PREFIX": f"sgstop-{uuid.uuid4().hex[:8]}",
    }


def in_thread(work: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``work`` in a thread; the returned function waits for its result (or error)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result() -> Any:
        thread.join(EXIT_TIMEOUT_S)
        assert not thread.is_alive(), "still running"
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return result


def test_sigterm_ends_event_streams_and_closes_websockets_and_the_process_exits(gateway_env):
    with gateway_process(gateway_env) as (process, url):
        opened = threading.Event()

        def read_event_stream() -> str:
            with httpx.stream(
                "GET",
                f"{url}/graphql/stream",
                params={"query": STOCK_ALERTS},
                headers={"Accept": "text/event-stream"},
                timeout=EXIT_TIMEOUT_S,
            ) as response:
                assert response.status_code == 200
                opened.set()
                return "".join(response.iter_text())

        stream = in_thread(read_event_stream)
        with connect(
            url.replace("http://", "ws://") + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
        ) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert '"connection_ack"' in str(socket.recv(timeout=10))
            subscribe = {"id": "1", "type": "subscribe", "payload": {"query": STOCK_ALERTS}}
            socket.send(json.dumps(subscribe))
            assert opened.wait(10)

            process.send_signal(signal.SIGTERM)

            assert process.wait(timeout=EXIT_TIMEOUT_S) == STOPPED_BY_SIGTERM
            # Ended as a stream ends, not as a subscription does: EventSource reconnects.
            assert "event: complete" not in stream()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    socket.recv(timeout=EXIT_TIMEOUT_S)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012


@pytest.fixture
def slow_erp(simulators: Any) -> Iterator[Faults]:
    faults = Faults(simulators)
    faults.clear()
    faults.set("erp", latency_ms=1500)
    yield faults
    faults.clear()


def answer_after_sigterm(
    process: Any, url: str, started: Callable[[], bool]
) -> Callable[[], httpx.Response]:
    """Send the slow query, SIGTERM the gateway once the ERP has it, and wait for the answer."""
    answer = in_thread(
        lambda: httpx.post(
            f"{url}/graphql",
            json={"query": SLOW_QUERY},
            headers={"Cache-Control": "no-cache"},
            timeout=EXIT_TIMEOUT_S,
        )
    )
    for _ in range(1_000):
        if started():
            break
        assert process.poll() is None, "the gateway exited"
        time.sleep(0.02)
    else:
        raise AssertionError("the query never reached the ERP")
    process.send_signal(signal.SIGTERM)
    return answer


def test_a_request_in_flight_at_sigterm_is_still_answered(gateway_env, slow_erp):
    with gateway_process(gateway_env) as (process, url):
        before = slow_erp.requests_to("erp")

        answer = answer_after_sigterm(process, url, lambda: slow_erp.requests_to("erp") > before)

        response = answer()
        assert response.status_code == 200
        assert response.json()["data"]["products"][0]["code"] == "P-1001"
        assert process.wait(timeout=EXIT_TIMEOUT_S) == STOPPED_BY_SIGTERM


def test_a_request_that_outlasts_the_grace_period_is_cut_and_the_process_exits(
    gateway_env, slow_erp, tmp_path: Path
):
    slow_erp.set("erp", latency_ms=4000)
    log = tmp_path / "gateway.log"
    env = {**gateway_env, "GATEWAY_HTTP_GRACEFUL_SHUTDOWN_S": "1"}
    with gateway_process(env, log=log) as (process, url):
        before = slow_erp.requests_to("erp")

        answer = answer_after_sigterm(process, url, lambda: slow_erp.requests_to("erp") > before)

        assert process.wait(timeout=EXIT_TIMEOUT_S) == STOPPED_BY_SIGTERM
        # Cut before its answer began: uvicorn answers 500 rather than leave the client
        # waiting on a connection that would close unanswered.
        assert answer().status_code == 500
    assert "timeout graceful shutdown exceeded" in log.read_text()
