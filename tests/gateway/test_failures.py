"""Partial answers when an upstream fails, driven by the simulators' fault knobs.

Each test gets its own gateway (its own breakers and an empty cache, so nothing is served
stale) that gives up fast: a 1 s deadline, one retry, millisecond backoff. A failed
system nulls exactly the fields it answers, each with an error carrying ``path``,
``extensions.code`` and ``extensions.system``; the other systems' fields come in full,
and the HTTP status stays 200.

``orderTracking`` is the one place where a non-null field needs two systems: ``stage``
and ``progress`` are derived from the ERP's production plans and the SCM's shipments.
The gateway keeps the contract's nullability rather than guessing: with either system
failing, a stage computed from the CRM alone could tell a customer "ORDERED" about an
order that is already in transit. So the non-null ``stage`` fails, ``orderTracking``
(nullable) becomes null with the upstream's error, and the client can still ask for
``order`` itself, which the CRM answers.
"""

from __future__ import annotations

import copy
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from schema.error_codes import INTERNAL_MESSAGE
from tests.contract_client import ContractClient
from tests.gateway.faulty_gateways import Faults
from tests.gateway_fixtures import NO_CACHE, SimCounters, gateway_settings

SECRETS = ("crm-demo-token", "erp-demo-key", "scm-demo-token")

GIVES_UP_FAST: dict[str, Any] = {
    "upstream_deadline_s": 1.0,
    "upstream_read_timeout_s": 1.0,
    "upstream_connect_timeout_s": 0.5,
    "upstream_max_read_retries": 1,
    "upstream_backoff_base_s": 0.01,
    "upstream_backoff_max_s": 0.02,
    # The breaker has its own test; here it must not turn a timeout into an open circuit.
    "upstream_breaker_minimum_calls": 1000,
}

ORDER_ID = "SO-100001"
PRODUCT_CODE = "P-1101"  # has an SCM sku, so its stock fields fail with the SCM

EVERYTHING = """
query Everything($order: ID!, $code: ID!, $tracking: String!) {
  order(id: $order) {
    id status total { amount currency }
    customer { id name account { number } }
    lines { lineNo quantity product { code name sku availableToPromise inventory { warehouse } } }
    productionPlans { reference state }
    invoices { number }
    shipments { trackingNumber status }
  }
  product(code: $code) { code name sku availableToPromise inventory { warehouse } }
  shipment(trackingNumber: $tracking) { trackingNumber status order { id } }
}
"""

Path = tuple[str | int, ...]


class Gateway:
    """A gateway of one test, and every answer it gave (checked for leaked secrets)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.bodies: list[str] = []

    def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**NO_CACHE, **headers},
            timeout=30.0,
        )
        self.bodies.append(response.text)
        return response

    def answer(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def faults(simulators: Any) -> Iterator[Faults]:
    knobs = Faults(simulators)
    knobs.clear()
    yield knobs
    knobs.clear()


@pytest.fixture
def start_gateway(simulators: Any) -> Iterator[Callable[..., Gateway]]:
    servers: list[ThreadedServer] = []
    gateways: list[Gateway] = []

    def start(**overrides: Any) -> Gateway:
        settings = gateway_settings(simulators, **{**GIVES_UP_FAST, **overrides})
        server = ThreadedServer(create_app(settings)).start()
        servers.append(server)
        gateways.append(Gateway(server.url))
        return gateways[-1]

    yield start
    for server in servers:
        server.stop()
    for gateway in gateways:
        for body in gateway.bodies:
            for secret in SECRETS:
                assert secret not in body, f"an upstream credential leaked: {body[:300]}"


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway()


@pytest.fixture(scope="module")
def everything_variables(simulators: Any) -> dict[str, str]:
    client = ContractClient(simulators.crm_url, simulators.erp_url, simulators.scm_url)
    try:
        [shipment, *_] = client.shipments_of_orders([ORDER_ID])
    finally:
        client.close()
    return {"order": ORDER_ID, "code": PRODUCT_CODE, "tracking": shipment["trackingNumber"]}


def nulled(data: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    expected = copy.deepcopy(data)
    for path in paths:
        parent: Any = expected
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = None
    return expected


def fields_of(system: str, data: dict[str, Any]) -> list[Path]:
    """The topmost fields of ``EVERYTHING`` that ``system`` answers, given a full answer."""
    order, product, shipment = data["order"], data["product"], data["shipment"]
    if system == "crm":
        return [("order",), ("shipment", "order")]
    if system == "erp":
        paths: list[Path] = [("order", "productionPlans"), ("order", "invoices"), ("product",)]
        if order["customer"]["account"] is not None:
            paths.append(("order", "customer", "account"))
        paths += [("order", "lines", i, "product") for i in range(len(order["lines"]))]
        return paths
    paths = [("order", "shipments"), ("shipment",)]
    with_sku: list[tuple[Path, dict[str, Any]]] = [
        (("order", "lines", i, "product"), line["product"]) for i, line in enumerate(order["lines"])
    ]
    with_sku.append((("product",), product))
    for prefix, item in with_sku:
        if item is not None and item["sku"]:
            paths += [(*prefix, "availableToPromise"), (*prefix, "inventory")]
    assert shipment is not None
    return paths


def errors_by_path(body: dict[str, Any]) -> dict[Path, dict[str, Any]]:
    errors = body.get("errors") or []
    by_path = {tuple(error["path"]): error for error in errors}
    assert len(by_path) == len(errors), "one error per failed field"
    return by_path


def assert_only_system_failed(
    failed: dict[str, Any], full: dict[str, Any], system: str, code: str
) -> None:
    assert not full.get("errors"), full["errors"]
    paths = fields_of(system, full["data"])
    assert failed["data"] == nulled(full["data"], paths)
    errors = errors_by_path(failed)
    assert set(errors) == set(paths)
    for error in errors.values():
        assert error["extensions"]["code"] == code, error
        assert error["extensions"]["system"] == system, error
        assert isinstance(error["message"], str) and error["message"]


FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "down": ({"down": True}, "UPSTREAM_UNAVAILABLE"),
    "http 500": ({"error_rate": 1.0}, "UPSTREAM_UNAVAILABLE"),
    "429 past the deadline": (
        {"rate_limit_rate": 1.0, "retry_after_s": 30},
        "UPSTREAM_RATE_LIMITED",
    ),
    "garbage body": ({"garbage_rate": 1.0}, "UPSTREAM_BAD_RESPONSE"),
    "slower than the deadline": ({"latency_ms": 2500}, "UPSTREAM_TIMEOUT"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("system", ["crm", "erp", "scm"])
def test_a_failing_system_nulls_only_its_own_fields_with_a_coded_error(
    gateway, faults, everything_variables, system, fault
):
    knobs, code = FAULTS[fault]
    faults.set(system, **knobs)
    failed = gateway.answer(EVERYTHING, everything_variables)
    faults.clear()
    full = gateway.answer(EVERYTHING, everything_variables)
    assert_only_system_failed(failed, full, system, code)


TRACKING = """query ($id: ID!) {
  orderTracking(orderId: $id) { stage progress order { id } }
  order(id: $id) { id status }
}"""


@pytest.mark.parametrize("system", ["erp", "scm"])
def test_order_tracking_is_null_with_the_error_when_erp_or_scm_fails(gateway, faults, system):
    faults.set(system, down=True)
    body = gateway.answer(TRACKING, {"id": ORDER_ID})
    # The nullability the contract gives: stage is non-null, so orderTracking goes null.
    assert body["data"]["orderTracking"] is None
    assert body["data"]["order"]["id"] == ORDER_ID
    tracking_errors = [e for e in body["errors"] if e["path"][0] == "orderTracking"]
    assert tracking_errors
    for error in tracking_errors:
        assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "system": system}


ROOTS = """query ($order: ID!, $code: ID!, $tracking: String!) {
  order(id: $order) { id }
  product(code: $code) { code }
  shipment(trackingNumber: $tracking) { trackingNumber }
}"""


def assert_every_root_failed(body: dict[str, Any], code: str) -> None:
    assert body["data"] == {"order": None, "product": None, "shipment": None}
    errors = errors_by_path(body)
    assert {path: e["extensions"] for path, e in errors.items()} == {
        ("order",): {"code": code, "system": "crm"},
        ("product",): {"code": code, "system": "erp"},
        ("shipment",): {"code": code, "system": "scm"},
    }


@pytest.mark.parametrize("accept", ["application/graphql-response+json", "application/json"])
def test_with_all_three_systems_down_the_answer_is_200_with_coded_errors(
    gateway, faults, everything_variables, accept
):
    for system in ("crm", "erp", "scm"):
        faults.set(system, down=True)
    response = gateway.post(ROOTS, everything_variables, accept=accept)
    assert response.status_code == 200
    assert_every_root_failed(response.json(), "UPSTREAM_UNAVAILABLE")

    # `customers` is non-null: its failure nulls `data` itself, still as a 200.
    response = gateway.post("{ customers(first: 2) { edges { cursor } } }", accept=accept)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["customers"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "system": "crm"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_systems_are_reported_like_systems_that_are_down(
    start_gateway, everything_variables
):
    dead = f"http://127.0.0.1:{closed_port()}"
    gateway = start_gateway(crm_url=dead, erp_url=dead, scm_url=dead)
    assert_every_root_failed(gateway.answer(ROOTS, everything_variables), "UPSTREAM_UNAVAILABLE")


ONE_ORDER = '{ order(id: "SO-100001") { id } }'


def test_the_breaker_opens_after_repeated_failures_and_closes_after_the_cool_down(
    start_gateway, faults, simulators
):
    cooldown_s = 3.0  # far longer than the two quick queries that must see it open
    gateway = start_gateway(
        upstream_breaker_minimum_calls=2, upstream_breaker_cooldown_s=cooldown_s
    )
    counters = SimCounters(simulators)
    faults.set("crm", down=True)
    counters.reset()
    first = gateway.answer(ONE_ORDER)
    second = gateway.answer(ONE_ORDER)
    # Two reads, each one attempt and one retry: both failed, so the breaker opens.
    assert counters.read()["crm"]["requests"] == 4
    for failed in (first, second):
        assert failed["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"

    faults.clear()  # the CRM is back, but the breaker does not know yet
    counters.reset()
    while_open = gateway.answer(ONE_ORDER)
    assert counters.read()["crm"]["requests"] == 0
    assert while_open["data"] == {"order": None}
    [error] = while_open["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "system": "crm"}
    assert "circuit open" in error["message"]

    time.sleep(cooldown_s)
    recovered = gateway.answer(ONE_ORDER)
    assert recovered == {"data": {"order": {"id": "SO-100001"}}}
    assert counters.read()["crm"]["requests"] == 1


LIFETIME_VALUE = """{ order(id: "SO-100001") {
  id customer { id name lifetimeValue { amount } }
} }"""


def test_an_unexpected_exception_is_masked_as_internal_error_without_details(gateway, monkeypatch):
    def broken_money(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Traceback (most recent call last): boom with crm-demo-token and erp-demo-key"
        )

    # The gateway runs in this process: the resolver's helper is patched in place.
    monkeypatch.setattr("schema.customers.money", broken_money)
    response = gateway.post(LIFETIME_VALUE)
    assert response.status_code == 200
    body = response.json()
    customer = body["data"]["order"]["customer"]
    assert customer["lifetimeValue"] is None
    assert customer["id"] and customer["name"]
    [error] = body["errors"]
    assert error["path"] == ["order", "customer", "lifetimeValue"]
    assert error["message"] == INTERNAL_MESSAGE
    assert error["extensions"] == {"code": "INTERNAL_ERROR"}
    for detail in ("Traceback", "RuntimeError", "boom", "crm-demo-token", "erp-demo-key"):
        assert detail not in response.text
