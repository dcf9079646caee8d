"""Every system, every fault, a one-order and a dashboard query (issue 13's fault suite).

One gateway for the module, with a 1.5 s request deadline. Per case, one system is
faulted through the simulators' knobs and the query is asked past the cache (so the
fault is met, while what the gateway reads is still written to the cache). Then:

* the answer came within the request deadline (plus a margin for completing it);
* it is a 200 whose errors are all the faulted system's, with the fault's code, and
  whose data is the true answer except where those errors nulled it;
* once the fault is cleared, the same query read through the cache gives the true
  answer, with no errors: nothing wrong was written while the fault lasted.

The gateway keeps no whole answers (an earlier case's kept answer would hide the
records under it) and its breakers never open (they have their own tests; here an open
breaker would turn one case's fault into the next one's).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.systems import SYSTEMS
from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway.faulty_gateways import Faults, Gateway
from tests.gateway_fixtures import gateway_settings

REQUEST_DEADLINE_S = 1.5
# Completing the answer once the deadline passed: a dashboard's fields, on a busy machine.
COMPLETION_MARGIN_S = 1.2

FAULTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "down": ({"down": True}, {"UPSTREAM_UNAVAILABLE"}),
    "slow past the deadline": ({"latency_ms": 4000}, {"UPSTREAM_TIMEOUT"}),
    "500": ({"error_rate": 1.0}, {"UPSTREAM_UNAVAILABLE"}),
    "429": ({"rate_limit_rate": 1.0, "retry_after_s": 30}, {"UPSTREAM_RATE_LIMITED"}),
    "garbage": ({"garbage_rate": 1.0}, {"UPSTREAM_BAD_RESPONSE"}),
    "half failing": ({"error_rate": 0.5}, {"UPSTREAM_UNAVAILABLE"}),
}

ONE_ORDER = """query ($id: ID!) { order(id: $id) {
  id status total { amount currency }
  customer { id name account { number } }
  lines { quantity product { code name inventory { warehouse available } } }
  productionPlans { reference state } invoices { number } shipments { trackingNumber status }
} }"""

DASHBOARD = """{ customers(first: 5) { edges { node { id name account { number } orders {
  id status lines { quantity product { code inventory { available } } }
  productionPlans { state } shipments { status } } } } } }"""

QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "one order": (ONE_ORDER, {"id": "SO-100001"}),
    "dashboard": (DASHBOARD, {}),
}

Path = tuple[str | int, ...]


@pytest.fixture(scope="module")
def suite_gateway(simulators: Any) -> Iterator[Gateway]:
    settings = gateway_settings(
        simulators,
        request_deadline_s=REQUEST_DEADLINE_S,
        upstream_backoff_base_s=0.01,
        upstream_backoff_max_s=0.05,
        upstream_breaker_minimum_calls=1_000_000,
        response_cache=False,
    )
    with ThreadedServer(create_app(settings)) as server:
        yield Gateway(server.url)


@pytest.fixture(scope="module")
def knobs(simulators: Any) -> Iterator[Faults]:
    faults = Faults(simulators)
    faults.clear()
    yield faults
    faults.clear()


@pytest.fixture(scope="module")
def truths(suite_gateway: Gateway) -> dict[str, Any]:
    """Each query's answer with no fault, read past the cache (nothing here changes data)."""
    truths = {}
    for name, (query, variables) in QUERIES.items():
        answer = suite_gateway.answer(query, variables)
        assert "errors" not in answer, answer["errors"]
        truths[name] = answer["data"]
    return truths


def assert_true_but_where_errors_nulled(answer: Any, truth: Any, errors: list[Path]) -> None:
    """``answer`` equals ``truth`` except for nulls at or above a field that failed."""

    def walk(got: Any, want: Any, path: Path) -> None:
        if got is None and want is not None:
            assert any(error[: len(path)] == path for error in errors), f"null without error {path}"
        elif isinstance(want, dict):
            assert isinstance(got, dict) and got.keys() == want.keys(), path
            for key in want:
                walk(got[key], want[key], (*path, key))
        elif isinstance(want, list):
            assert isinstance(got, list) and len(got) == len(want), path
            for index, (got_item, want_item) in enumerate(zip(got, want, strict=True)):
                walk(got_item, want_item, (*path, index))
        else:
            assert got == want, (path, got, want)

    walk(answer, truth, ())


@pytest.mark.parametrize("query_name", sorted(QUERIES))
@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("system", SYSTEMS)
def test_a_faulted_system_costs_at_most_the_deadline_and_leaves_nothing_wrong_cached(
    suite_gateway: Gateway, knobs: Faults, truths, system, fault, query_name
):
    query, variables = QUERIES[query_name]
    fault_knobs, codes = FAULTS[fault]
    knobs.set(system, **fault_knobs)
    try:
        started = time.monotonic()
        response = suite_gateway.post(query, variables)
        took_s = time.monotonic() - started
    finally:
        knobs.clear()
    after = suite_gateway.answer(query, variables, use_cache=True)
    truth = truths[query_name]

    assert took_s < REQUEST_DEADLINE_S + COMPLETION_MARGIN_S, took_s
    assert response.status_code == 200, response.text
    faulted = response.json()
    errors = faulted.get("errors") or []
    if fault != "half failing":
        assert errors, "a system failing every call must show in the answer"
    for error in errors:
        assert error["extensions"]["code"] in codes, error
        assert error["extensions"]["system"] == system, error
    assert_true_but_where_errors_nulled(
        faulted["data"], truth, [tuple(error["path"]) for error in errors]
    )
    if system != "crm":
        # Partial data: the CRM's own fields all came.
        assert faulted["data"] is not None
    assert after == {"data": truth}
