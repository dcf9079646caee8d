"""Log lines: one JSON object each, with the request id, a slow-request line listing the
upstream calls, and never a token or a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.observability.logging_setup import (
    JsonFormatter,
    Redactor,
    TextFormatter,
    configure_logging,
    secrets_of,
)
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.request_context import RequestRecord
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.gateway_fixtures import JWT_SECRET, SimCounters, gateway_settings

QUERY = """query Slowish { customers(first: 3) { edges { node { id
    orders { id lines { product { code inventory { available } } } } } } } }"""


class CapturedLog:
    def __init__(self, redactor: Redactor) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter(redactor))
        self.handler.setLevel(logging.DEBUG)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def of_request(self, request_id: str, logger: str | None = None) -> list[dict[str, Any]]:
        return [
            entry
            for entry in self.entries()
            if entry.get("request_id") == request_id
            and (logger is None or entry["logger"] == logger)
        ]


@pytest.fixture
def captured_log() -> Iterator[CapturedLog]:
    every_secret = secrets_of(Settings(jwt_secret=SecretStr(JWT_SECRET)))
    captured = CapturedLog(Redactor(every_secret))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(previous_level)


def test_every_line_is_one_json_object_with_the_request_id(gateway_url, captured_log):
    response = httpx.post(
        f"{gateway_url}/graphql",
        json={"query": "query One { customers(first: 1) { edges { node { id } } } }"},
        headers={"X-Request-Id": "mobile-7f3a"},
    )

    assert response.status_code == 200
    assert all(line.startswith("{") for line in captured_log.text.splitlines())
    (access,) = captured_log.of_request("mobile-7f3a", "supplygraph.access")
    assert access["level"] == "info"
    assert access["msg"] == "POST /graphql 200"
    assert access["ts"].endswith("Z")
    assert {key: access[key] for key in ("method", "path", "status", "operation", "outcome")} == {
        "method": "POST", "path": "/graphql", "status": 200, "operation": "One", "outcome": "ok",
    }  # fmt: skip


def test_a_slow_request_logs_one_line_listing_its_upstream_calls(simulators, captured_log):
    counters = SimCounters(simulators)
    settings = gateway_settings(simulators, slow_request_ms=0)
    with ThreadedServer(create_app(settings)) as server:
        counters.reset()
        response = httpx.post(
            f"{server.url}/graphql", json={"query": QUERY}, headers={"X-Request-Id": "slow-1"}
        )

    assert response.status_code == 200
    (slow,) = captured_log.of_request("slow-1", "supplygraph.slow")
    assert slow["level"] == "warning"
    assert slow["operation"] == "Slowish"
    per_system: dict[str, int] = {}
    for call in slow["upstream_calls"]:
        assert set(call) == {"system", "operation", "calls", "total_ms", "outcomes"}
        per_system[call["system"]] = per_system.get(call["system"], 0) + call["calls"]
    seen_by_systems = {
        system: sum(figures["calls"] for figures in stats["operations"].values())
        for system, stats in counters.read().items()
    }
    assert per_system == {system: n for system, n in seen_by_systems.items() if n}


def test_a_request_under_the_threshold_logs_no_slow_line(simulators, captured_log):
    settings = gateway_settings(simulators, slow_request_ms=60_000)
    with ThreadedServer(create_app(settings)) as server:
        httpx.post(f"{server.url}/graphql", json={"query": QUERY}, headers={"X-Request-Id": "q-1"})

    assert captured_log.of_request("q-1", "supplygraph.access")
    assert not captured_log.of_request("q-1", "supplygraph.slow")


def test_no_token_or_secret_reaches_the_log(simulators, captured_log):
    wrong_upstream_token = "crm-token-that-the-crm-refuses"
    settings = gateway_settings(
        simulators,
        jwt_secret=JWT_SECRET,
        crm_token=wrong_upstream_token,
        slow_request_ms=0,
    ).model_copy(update={"auth_disabled": False})
    captured_log.handler.setFormatter(JsonFormatter(Redactor(secrets_of(settings))))
    good = issue_token(JWT_SECRET, "staff", "crm:read erp:read scm:read")
    forged = issue_token("another-secret-of-at-least-32-bytes!", "staff", "crm:read")
    with ThreadedServer(create_app(settings)) as server:
        for token in (good, forged):
            httpx.post(
                f"{server.url}/graphql",
                json={"query": '{ order(id: "SO-100001") { id status } }'},
                headers={"Authorization": f"Bearer {token}"},
            )
        httpx.post(f"{server.url}/webhooks/crm", content=b"{}", headers={"X-Signature": "x"})
    logging.getLogger("supplygraph.test").warning(
        "a careless line: Bearer %s token=%s", good, wrong_upstream_token,
        extra={"header": f"Authorization: Bearer {forged}", "jwt": JWT_SECRET},
    )  # fmt: skip

    logged = captured_log.text
    assert "crm" in logged and "401" in logged  # the failures were logged...
    for secret in (good, forged, wrong_upstream_token, JWT_SECRET, "crm-webhook-secret"):
        assert secret not in logged  # ...without a secret
    assert "[redacted]" in logged


def test_the_redactor_scrubs_bearer_tokens_jwts_and_key_values_without_being_told():
    redactor = Redactor()
    jwt = issue_token(JWT_SECRET, "someone", "crm:read")

    scrubbed = redactor.text(
        f"Authorization: Bearer abc.def-123 then {jwt} api_key=k-123 password: 'pw'"
    )

    assert "abc.def-123" not in scrubbed
    assert jwt not in scrubbed
    assert "k-123" not in scrubbed and "pw'" not in scrubbed


def test_a_streaming_response_is_never_logged_as_slow(captured_log):
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            yield b"data: one\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    app = Starlette(
        routes=[Route("/events", events)],
        middleware=[Middleware(ObservabilityMiddleware, slow_request_ms=0)],
    )
    with ThreadedServer(app) as server:
        response = httpx.get(f"{server.url}/events", headers={"X-Request-Id": "stream-1"})

    assert response.headers["X-Request-Id"] == "stream-1"
    assert captured_log.of_request("stream-1", "supplygraph.access")
    assert not captured_log.of_request("stream-1", "supplygraph.slow")


def test_a_long_lived_request_tallies_its_upstream_calls_in_bounded_memory():
    record = RequestRecord("ws-1")
    for n in range(10_000):
        record.count_upstream_call("scm", "shipmentsByOrder", "200" if n % 2 else "503", 1.5)

    assert record.upstream_call_count == 10_000
    assert record.upstream_by_time() == [
        {
            "system": "scm",
            "operation": "shipmentsByOrder",
            "calls": 10_000,
            "total_ms": 15_000.0,
            "outcomes": {"503": 5_000, "200": 5_000},
        }
    ]


def test_configuring_logging_leaves_one_json_handler_and_no_second_access_line():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    access = logging.getLogger("uvicorn.access")
    saved_access = (list(access.handlers), access.propagate)
    try:
        handler = configure_logging("warning", "json", ["a-configured-secret"])
        assert root.handlers == [handler]
        assert isinstance(handler.formatter, JsonFormatter)
        assert handler.formatter.redactor.secrets == ["a-configured-secret"]
        assert root.level == logging.WARNING
        assert not access.handlers and not access.propagate
        assert isinstance(configure_logging(log_format="text").formatter, TextFormatter)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        access.handlers[:] = saved_access[0]
        access.propagate = saved_access[1]
