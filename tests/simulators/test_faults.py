"""Fault knobs: latency, errors, rate limits, outages and garbage, per system."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import httpx
import pytest

from simulators.faults import Fault, FaultInjector, FaultSettings
from simulators.runner import RunningSimulators

pytestmark = pytest.mark.usefixtures("restore_faults")

SYSTEMS = ["crm", "erp", "scm"]


def base_url(simulators: RunningSimulators, system: str) -> str:
    return {"crm": simulators.crm_url, "erp": simulators.erp_url, "scm": simulators.scm_url}[system]


def contract_request(simulators: RunningSimulators, system: str) -> httpx.Response:
    """One well-formed, authorised request to a system's contract API."""
    config, url = simulators.config, base_url(simulators, system)
    if system == "crm":
        return httpx.get(
            f"{url}/crm/v1/customers",
            params={"ids": "C-000001"},
            headers={"Authorization": f"Bearer {config.crm_token}"},
        )
    if system == "erp":
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {"model": "res.partner", "method": "search_read", "limit": 1},
        }
        return httpx.post(f"{url}/jsonrpc", json=body, headers={"X-Api-Key": config.erp_api_key})
    return httpx.post(
        f"{url}/graphql",
        json={"query": '{ suppliers(ids: ["SUP-001"]) { id } }'},
        headers={"Authorization": f"Bearer {config.scm_token}"},
    )


def set_faults(simulators: RunningSimulators, system: str, **settings: Any) -> dict[str, Any]:
    response = httpx.post(f"{base_url(simulators, system)}/_sim/faults", json=settings)
    assert response.status_code == 200, response.text
    current: dict[str, Any] = response.json()
    return current


def test_fault_settings_start_empty_and_partial_updates_merge(
    simulators: RunningSimulators,
) -> None:
    url = f"{simulators.crm_url}/_sim/faults"
    assert httpx.get(url).json() == {
        "latency_ms": 0,
        "jitter_ms": 0,
        "error_rate": 0.0,
        "rate_limit_rate": 0.0,
        "retry_after_s": 1.0,
        "down": False,
        "garbage_rate": 0.0,
    }
    set_faults(simulators, "crm", latency_ms=20, jitter_ms=5)
    merged = set_faults(simulators, "crm", error_rate=0.25)
    assert (merged["latency_ms"], merged["jitter_ms"], merged["error_rate"]) == (20, 5, 0.25)
    assert httpx.get(url).json() == merged


@pytest.mark.parametrize(
    "settings",
    [{"error_rate": 1.5}, {"latency_ms": -1}, {"down": "yes"}, {"colour": "red"}, [1, 2]],
)
def test_invalid_fault_settings_are_rejected_and_change_nothing(
    simulators: RunningSimulators, settings: Any
) -> None:
    url = f"{simulators.erp_url}/_sim/faults"
    before = httpx.get(url).json()
    response = httpx.post(url, json=settings)
    assert response.status_code == 400
    assert httpx.get(url).json() == before


@pytest.mark.parametrize("system", SYSTEMS)
def test_latency_is_applied_to_contract_requests_which_still_succeed(
    simulators: RunningSimulators, system: str, sim_stats: Any
) -> None:
    simulators.reset(data=False)
    set_faults(simulators, system, latency_ms=30, jitter_ms=10)
    assert contract_request(simulators, system).status_code == 200
    assert sim_stats(system)["requests"] == 1


def test_latency_draws_stay_within_latency_plus_or_minus_jitter() -> None:
    injector = FaultInjector(FaultSettings(latency_ms=20, jitter_ms=5), seed=42, system="crm")
    delays = [injector.delay_seconds() for _ in range(200)]
    assert all(0.015 <= delay <= 0.025 for delay in delays)
    assert len(set(delays)) > 100
    assert FaultInjector(FaultSettings(), seed=42, system="crm").delay_seconds() == 0


def test_fault_draws_are_deterministic_for_a_seed() -> None:
    def draws() -> list[Fault | None]:
        injector = FaultInjector(FaultSettings(error_rate=0.3), seed=42, system="erp")
        return [injector.draw() for _ in range(50)]

    assert draws() == draws()
    assert set(draws()) == {None, Fault.SERVER_ERROR}


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_error_rate_of_one_answers_500(simulators: RunningSimulators, system: str) -> None:
    set_faults(simulators, system, error_rate=1.0)
    response = contract_request(simulators, system)
    assert response.status_code == 500
    if system == "crm":
        assert response.json()["error"]["code"] == "INTERNAL"


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_rate_limit_rate_of_one_answers_429_with_retry_after(
    simulators: RunningSimulators, system: str
) -> None:
    set_faults(simulators, system, rate_limit_rate=1.0, retry_after_s=3)
    response = contract_request(simulators, system)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    if system == "crm":
        assert response.json()["error"]["code"] == "RATE_LIMITED"


@pytest.mark.parametrize("system", SYSTEMS)
def test_down_answers_503(simulators: RunningSimulators, system: str) -> None:
    set_faults(simulators, system, down=True)
    assert contract_request(simulators, system).status_code == 503
    set_faults(simulators, system, down=False)
    assert contract_request(simulators, system).status_code == 200


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_garbage_rate_of_one_answers_200_with_a_body_that_is_not_json(
    simulators: RunningSimulators, system: str
) -> None:
    set_faults(simulators, system, garbage_rate=1.0)
    response = contract_request(simulators, system)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_faults_on_one_system_leave_the_others_alone(simulators: RunningSimulators) -> None:
    set_faults(simulators, "crm", down=True)
    assert contract_request(simulators, "erp").status_code == 200
    assert contract_request(simulators, "scm").status_code == 200


def test_a_partial_error_rate_fails_some_requests_and_not_others(
    simulators: RunningSimulators,
) -> None:
    set_faults(simulators, "scm", error_rate=0.5)
    codes = {contract_request(simulators, "scm").status_code for _ in range(30)}
    assert codes == {200, 500}


def test_the_sim_routes_work_while_the_system_is_down(simulators: RunningSimulators) -> None:
    set_faults(simulators, "erp", down=True)
    assert httpx.get(f"{simulators.erp_url}/_sim/stats").status_code == 200


def test_reset_with_faults_true_clears_them(simulators: RunningSimulators) -> None:
    set_faults(simulators, "crm", down=True, latency_ms=50)
    httpx.post(f"{simulators.crm_url}/_sim/reset", json={"faults": True})
    assert httpx.get(f"{simulators.crm_url}/_sim/faults").json()["down"] is False
    assert contract_request(simulators, "crm").status_code == 200


def test_faulty_requests_still_count_as_requests(
    simulators: RunningSimulators, sim_stats: Any
) -> None:
    simulators.reset(data=False)
    set_faults(simulators, "crm", error_rate=1.0)
    for _ in range(3):
        contract_request(simulators, "crm")
    assert sim_stats("crm")["requests"] == 3


def test_a_caller_that_hangs_up_before_its_body_arrives_is_no_error_of_the_system(
    simulators: RunningSimulators, crm: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    # What a gateway does when its deadline cuts a call short: the head is sent, the body
    # never is, and the connection closes.
    host, port = simulators.crm_url.removeprefix("http://").split(":")
    head = (
        "POST /crm/v1/orders HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {simulators.config.crm_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
    )

    def requests_counted() -> int:
        return int(httpx.get(f"{simulators.crm_url}/_sim/stats").json()["requests"])

    before = requests_counted()
    with caplog.at_level(logging.ERROR):
        with socket.create_connection((host, int(port))) as caller:
            caller.sendall(head.encode())
            # Until the request is in the handler (counted), then hang up.
            for _ in range(500):
                if requests_counted() > before:
                    break
                time.sleep(0.01)
        # The system is still there and answers the next caller.
        assert crm.get("/crm/v1/orders", params={"ids": "SO-100001"}).status_code == 200

    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
