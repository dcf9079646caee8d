"""Gateways of one test each in front of simulators with faults injected.

Each gateway has its own breakers and an empty cache prefix; ``faults`` sets the
simulators' knobs (``/_sim/faults``) and clears them before and after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import NO_CACHE, gateway_settings


class Gateway:
    def __init__(self, url: str) -> None:
        self.url = url

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        use_cache: bool = False,
        **headers: str,
    ) -> httpx.Response:
        """Past the cache (``Cache-Control: no-cache``) unless ``use_cache``."""
        return httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**({} if use_cache else NO_CACHE), **headers},
            timeout=60.0,
        )

    def answer(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        use_cache: bool = False,
        **headers: str,
    ) -> dict[str, Any]:
        response = self.post(query, variables, use_cache=use_cache, **headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


class Faults:
    def __init__(self, simulators: Any) -> None:
        self.urls = {
            "crm": simulators.crm_url,
            "erp": simulators.erp_url,
            "scm": simulators.scm_url,
        }

    def set(self, system: str, **knobs: Any) -> None:
        httpx.post(f"{self.urls[system]}/_sim/faults", json=knobs).raise_for_status()

    def clear(self) -> None:
        for url in self.urls.values():
            httpx.post(f"{url}/_sim/reset", json={"faults": True}).raise_for_status()

    def requests_to(self, system: str) -> int:
        return int(httpx.get(f"{self.urls[system]}/_sim/stats").json()["requests"])

    def reset_counters(self) -> None:
        for url in self.urls.values():
            httpx.post(f"{url}/_sim/reset", json={}).raise_for_status()


@pytest.fixture
def sim_faults(simulators: Any) -> Iterator[Faults]:
    knobs = Faults(simulators)
    knobs.clear()
    yield knobs
    knobs.clear()


@pytest.fixture
def gateway_of_test(simulators: Any) -> Iterator[Callable[..., Gateway]]:
    """``gateway_of_test(**settings)``: a gateway of this test, stopped after it."""
    servers: list[ThreadedServer] = []

    def start(**overrides: Any) -> Gateway:
        server = ThreadedServer(create_app(gateway_settings(simulators, **overrides))).start()
        servers.append(server)
        return Gateway(server.url)

    yield start
    for server in servers:
        server.stop()
