"""Helpers for the tests of writes, subscriptions and the tracking page."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.pubsub import FanOut
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from simulators.runner import RunningSimulators
from tests.gateway_fixtures import JWT_SECRET, gateway_settings

# Generous: a subscriber hears of a change well within a second; CI machines are slow.
EVENT_TIMEOUT_S = 15.0
READ_SCOPES = "crm:read erp:read scm:read"
STAFF_SCOPES = f"{READ_SCOPES} orders:write"

TRACKING_SUBSCRIPTION = """subscription Track($id: ID!) {
  orderTrackingUpdated(orderId: $id) {
    stage progress estimatedDelivery order { id status } timeline { system label }
  }
}"""


def token(scopes: str = STAFF_SCOPES, *, subject: str = "tester", **claims: Any) -> str:
    return issue_token(JWT_SECRET, subject, scopes, **claims)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def secured_settings(simulators: RunningSimulators, **overrides: Any) -> Settings:
    """A gateway in front of ``simulators`` that demands tokens signed with JWT_SECRET."""
    return gateway_settings(simulators, jwt_secret=JWT_SECRET, auth_disabled=False, **overrides)


class Gateway:
    """A gateway app served on loopback, with its app at hand (for its runtime)."""

    def __init__(self, settings: Settings, port: int = 0) -> None:
        self.settings = settings
        self.app: Starlette = create_app(settings)
        self.server = ThreadedServer(self.app, port=port)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/graphql"

    @property
    def fan_out(self) -> FanOut:
        """The subscribers this process holds (read across threads: a count only)."""
        fan_out: FanOut = self.app.state.runtime.order_events.fan_out
        return fan_out

    def __enter__(self) -> Gateway:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()


async def wait_until(condition: Callable[[], bool], timeout_s: float = EVENT_TIMEOUT_S) -> None:
    """Returns once ``condition()`` holds; fails the test if it does not in time."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_graphql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def send_webhook(url: str, system: str, event: str, keys: list[str]) -> httpx.Response:
    """A signed webhook as the system would send it (the demo secrets)."""
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "event": event,
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": keys,
            "data": {},
        }
    ).encode()
    digest = hmac.new(f"{system}-webhook-secret".encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{url}/webhooks/{system}",
        content=body,
        headers={"X-Signature": f"sha256={digest}", "Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    return response


def cancel_upstream(simulators: RunningSimulators, order_id: str) -> None:
    """Cancel an order in the CRM itself, as someone in the back office would."""
    response = httpx.post(
        f"{simulators.crm_url}/crm/v1/orders/{order_id}/cancel",
        headers=bearer(simulators.config.crm_token),
    )
    assert response.status_code == 200, response.text


def order_with_status(simulators: RunningSimulators, status: str, skip: int = 0) -> Any:
    """An order of the simulators' data in ``status`` (read only)."""
    orders = sorted(
        (order for order in simulators.dataset.orders.values() if order.status == status),
        key=lambda order: order.id,
    )
    return orders[skip]


def crm_calls(simulators: RunningSimulators, operation: str) -> int:
    stats = httpx.get(f"{simulators.crm_url}/_sim/stats").json()
    figures = stats["operations"].get(operation)
    return int(figures["calls"]) if figures else 0


def crm_requests(simulators: RunningSimulators) -> int:
    """Every request the CRM received, failed ones included."""
    return int(httpx.get(f"{simulators.crm_url}/_sim/stats").json()["requests"])


@contextlib.contextmanager
def restored_after(simulators: RunningSimulators) -> Iterator[RunningSimulators]:
    """The simulators' data as seeded again afterwards (orders placed or cancelled)."""
    try:
        yield simulators
    finally:
        simulators.reset(data=True)


@contextlib.asynccontextmanager
async def websocket_session(
    gateway: Gateway,
    token_value: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[AsyncClientSession]:
    """A gql client over graphql-transport-ws; the token in the connection_init payload."""
    transport = WebsocketsTransport(
        url=gateway.ws_url,
        init_payload=bearer(token_value) if token_value else {},
        headers=headers,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        close_timeout=2,
    )
    async with Client(transport=transport, execute_timeout=EVENT_TIMEOUT_S) as session:
        yield session


@contextlib.asynccontextmanager
async def tracking_updates(
    session: AsyncClientSession, order_id: str
) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """The subscription's results, closed on leaving (gql waits for open ones)."""
    request = GraphQLRequest(TRACKING_SUBSCRIPTION, variable_values={"id": order_id})
    updates = session.subscribe(request)
    try:
        yield updates
    finally:
        await updates.aclose()
