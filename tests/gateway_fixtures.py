"""Fixtures for tests that talk to a real gateway over HTTP, in front of the simulators."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.contract_client import ContractClient

GraphQL = Callable[..., dict[str, Any]]


REDIS_URL = "redis://127.0.0.1:6379/14"


def gateway_settings(simulators: Any, **overrides: Any) -> Settings:
    """A gateway in front of the simulators, caching in the real Redis under its own prefix."""
    values: dict[str, Any] = {
        "crm_url": simulators.crm_url,
        "erp_url": simulators.erp_url,
        "scm_url": simulators.scm_url,
        "auth_disabled": True,
        "redis_url": REDIS_URL,
        # Simulators, gateway and test share one process here: allow for GIL waits.
        "redis_timeout_s": 1.0,
        "cache_prefix": f"sgtest-{uuid.uuid4().hex[:8]}",
        # The flows write to the systems; tests of them turn them on (tests/flows), others
        # share the session's systems and count their calls.
        "flows_enabled": False,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def gateway_url(simulators: Any) -> Iterator[str]:
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server.url


@pytest.fixture(scope="session")
def http(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def graphql_response(http: httpx.Client) -> GraphQL:
    """POST a query; return the whole GraphQL response body (data and errors)."""

    def send(
        query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"query": query, "variables": variables or {}}
        response = http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    return send


@pytest.fixture
def graphql(graphql_response: GraphQL) -> GraphQL:
    """POST a query that must succeed; return its ``data``."""

    def send(
        query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = graphql_response(query, variables, headers)
        assert not body.get("errors"), body["errors"]
        return dict(body["data"])

    return send


NO_CACHE = {"Cache-Control": "no-cache"}


@pytest.fixture
def uncached_graphql(graphql: GraphQL) -> GraphQL:
    """Like ``graphql``, but past the cache: every answer is read from the upstreams."""

    def send(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return graphql(query, variables, NO_CACHE)

    return send


@pytest.fixture(scope="session")
def upstream(simulators: Any) -> Iterator[ContractClient]:
    client = ContractClient(simulators.crm_url, simulators.erp_url, simulators.scm_url)
    yield client
    client.close()


class SimCounters:
    def __init__(self, simulators: Any) -> None:
        self.urls = {
            "crm": simulators.crm_url,
            "erp": simulators.erp_url,
            "scm": simulators.scm_url,
        }

    def reset(self) -> None:
        for url in self.urls.values():
            httpx.post(f"{url}/_sim/reset", json={}).raise_for_status()

    def read(self) -> dict[str, dict[str, Any]]:
        return {system: httpx.get(f"{url}/_sim/stats").json() for system, url in self.urls.items()}


@pytest.fixture
def sim_counters(simulators: Any) -> SimCounters:
    return SimCounters(simulators)


JWT_SECRET = "test-jwt-secret-of-sufficient-length-32b"


@pytest.fixture(scope="session")
def secured_gateway_url(simulators: Any) -> Iterator[str]:
    """A gateway that demands bearer tokens (HS256 with ``JWT_SECRET``)."""
    settings = gateway_settings(simulators, jwt_secret=JWT_SECRET).model_copy(
        update={"auth_disabled": False}
    )
    with ThreadedServer(create_app(settings)) as server:
        yield server.url
