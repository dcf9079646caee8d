"""A webhook is marked seen only once it has been applied: one the gateway could not apply
(Redis unreachable, the CRM down while finding an order's customer) is answered 503 with
``Retry-After``, and the sender's retry of the same ``event_id`` is applied, not called a
duplicate."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import Gateway, secured_settings, token
from tests.gateway_fixtures import gateway_settings

PRODUCT = 'query { products(codes: ["P-1001"]) { code } }'


def deliver(url: str, system: str, event: str, keys: list[str], event_id: str) -> httpx.Response:
    body = json.dumps(
        {
            "event_id": event_id,
            "event": event,
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": keys,
            "data": {},
        }
    ).encode()
    digest = hmac.new(f"{system}-webhook-secret".encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{url}/webhooks/{system}",
        content=body,
        headers={"X-Signature": f"sha256={digest}", "Content-Type": "application/json"},
        timeout=30,
    )


def nothing_listening() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def assert_refused_for_a_retry(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"]["code"] == "NOT_APPLIED"


@pytest.fixture
def crm_faults(simulators: RunningSimulators) -> Iterator[str]:
    url = f"{simulators.crm_url}/_sim"
    httpx.post(f"{url}/reset", json={"faults": True}).raise_for_status()
    yield url
    httpx.post(f"{url}/reset", json={"faults": True}).raise_for_status()


def test_a_webhook_arriving_while_redis_is_unreachable_is_refused_and_its_retry_applied(
    simulators: RunningSimulators,
):
    prefix, event_id = f"sgtest-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    without_redis = gateway_settings(simulators, redis_url=nothing_listening(), cache_prefix=prefix)
    with Gateway(without_redis) as gateway:
        refused = deliver(gateway.url, "erp", "product.updated", ["P-1001"], event_id)
    assert_refused_for_a_retry(refused)

    # Redis answers again (here: a replica that reaches it, same cache).
    with Gateway(gateway_settings(simulators, cache_prefix=prefix)) as gateway:
        warm = httpx.post(f"{gateway.url}/graphql", json={"query": PRODUCT}, timeout=30)
        assert warm.status_code == 200, warm.text
        retried = deliver(gateway.url, "erp", "product.updated", ["P-1001"], event_id)
        again = deliver(gateway.url, "erp", "product.updated", ["P-1001"], event_id)

    assert retried.status_code == 202, retried.text
    assert retried.json() == {"status": "accepted", "event_id": event_id, "dropped": 1}
    assert again.json()["status"] == "duplicate"


def test_an_order_webhook_arriving_while_the_crm_is_down_is_refused_and_its_retry_applied(
    simulators: RunningSimulators, crm_faults: str
):
    # The order was never cached: finding whose lists it is in takes a CRM call.
    order_id, event_id = "SO-100777", uuid.uuid4().hex
    settings = gateway_settings(simulators, upstream_breaker_minimum_calls=1000)
    with Gateway(settings) as gateway:
        httpx.post(f"{crm_faults}/faults", json={"down": True}).raise_for_status()
        refused = deliver(gateway.url, "crm", "order.updated", [order_id], event_id)
        httpx.post(f"{crm_faults}/faults", json={"down": False}).raise_for_status()
        retried = deliver(gateway.url, "crm", "order.updated", [order_id], event_id)

    assert_refused_for_a_retry(refused)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "accepted"
    assert retried.json()["dropped"] == 1 + 7  # the order and its customer's seven lists


def test_deliveries_of_one_event_racing_each_other_are_all_acknowledged_and_marked_once(
    simulators: RunningSimulators,
):
    event_id = uuid.uuid4().hex
    with Gateway(gateway_settings(simulators)) as gateway, ThreadPoolExecutor(4) as pool:
        racing = list(
            pool.map(
                lambda _: deliver(gateway.url, "erp", "product.updated", ["P-1002"], event_id),
                range(4),
            )
        )
        later = deliver(gateway.url, "erp", "product.updated", ["P-1002"], event_id)

    # Any that got past the check applied it (a drop and a marker: twice is as once).
    assert {response.status_code for response in racing} == {202}
    assert {response.json()["status"] for response in racing} <= {"accepted", "duplicate"}
    assert later.json()["status"] == "duplicate"


def test_an_admin_drop_while_redis_is_unreachable_says_503_not_zero_dropped(
    simulators: RunningSimulators,
):
    without_redis = secured_settings(simulators, redis_url=nothing_listening())
    admin = {"Authorization": f"Bearer {token('admin')}"}
    with Gateway(without_redis) as gateway:
        refused = httpx.post(f"{gateway.url}/admin/cache/crm/drop", headers=admin, timeout=30)
    with Gateway(secured_settings(simulators)) as gateway:
        dropped = httpx.post(f"{gateway.url}/admin/cache/crm/drop", headers=admin, timeout=30)

    assert_refused_for_a_retry(refused)
    assert dropped.status_code == 200, dropped.text
    assert isinstance(dropped.json()["dropped"], int)
