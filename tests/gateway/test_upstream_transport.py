"""Either upstream transport gives the same answers, at the same upstream cost."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.runtime import upstream_http_client
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.gateway.test_upstream_calls import DASHBOARD, calls_by_operation
from tests.gateway_fixtures import gateway_settings


def cold_answer(simulators, sim_counters, transport: str) -> tuple[dict[str, Any], dict[str, int]]:
    settings = gateway_settings(simulators, upstream_transport=transport)
    with ThreadedServer(create_app(settings)) as server:
        sim_counters.reset()
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": DASHBOARD},
            headers={"Cache-Control": "no-cache"},
            timeout=30.0,
        )
    assert response.status_code == 200
    return response.json(), calls_by_operation(sim_counters.read())


def test_the_dashboard_answers_alike_over_either_transport(simulators, sim_counters):
    over_httpcore, httpcore_calls = cold_answer(simulators, sim_counters, "httpcore")
    over_keepalive, keepalive_calls = cold_answer(simulators, sim_counters, "keepalive")

    assert "errors" not in over_keepalive
    assert over_keepalive == over_httpcore
    assert keepalive_calls == httpcore_calls


@pytest.mark.parametrize("transport", ["keepalive", "httpcore"])
async def test_a_cookie_an_upstream_sets_never_rides_along_on_later_calls(transport):
    # The upstream client is shared by every user's requests.
    cookies_seen: list[str | None] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            cookie = [line for line in head.split("\r\n") if line.startswith("cookie:")]
            cookies_seen.append(cookie[0] if cookie else None)
            writer.write(
                b"HTTP/1.1 200 OK\r\nSet-Cookie: session=alice; Path=/\r\n"
                b"Content-Length: 2\r\n\r\nok"
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(crm_url="http://127.0.0.1", upstream_transport=transport)
    client = upstream_http_client(settings)
    try:
        for _ in range(3):
            assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
        assert len(client.cookies) == 0  # nothing kept, not merely nothing sent
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
        for _ in range(10):  # the handler sees the client hang up and closes its side
            await asyncio.sleep(0.01)

    assert cookies_seen == [None, None, None]
