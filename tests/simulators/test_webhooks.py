"""Signed webhooks on order create and cancel, and from live activity."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator

import httpx
import pytest

from simulators.clock import SimClock
from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from simulators.webhooks import WebhookSender, WebhookTarget, sign
from tests.simulators.helpers import RFC3339_UTC, search_read
from tests.simulators.webhook_receiver import ReceivedWebhook, WebhookReceiver

SECRETS = {"crm": "crm-secret-for-test", "erp": "erp-secret-for-test", "scm": "scm-secret-for-test"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def signing_simulators(receiver: WebhookReceiver) -> Iterator[RunningSimulators]:
    """Simulators of their own that send webhooks to the receiver."""
    with start_in_thread(SimulatorConfig(webhook_url=receiver.url, webhook_secrets=SECRETS)) as s:
        yield s


@pytest.fixture
def crm_client(signing_simulators: RunningSimulators) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer crm-demo-token"}
    with httpx.Client(base_url=signing_simulators.crm_url, headers=headers) as client:
        yield client
    signing_simulators.reset(data=True)


@pytest.fixture(autouse=True)
def empty_inbox(receiver: WebhookReceiver) -> None:
    receiver.clear()


def assert_correctly_signed(webhook: ReceivedWebhook) -> None:
    expected = hmac.new(SECRETS[webhook.system].encode(), webhook.body, hashlib.sha256)
    assert webhook.signature is not None
    assert webhook.signature.startswith("sha256=")
    assert hmac.compare_digest(webhook.signature, f"sha256={expected.hexdigest()}")


def assert_contract_shape(webhook: ReceivedWebhook) -> None:
    payload = webhook.payload
    assert set(payload) == {"event_id", "event", "occurred_at", "keys", "data"}
    assert re.fullmatch(r"[0-9a-f]{32}", payload["event_id"])
    assert RFC3339_UTC.match(payload["occurred_at"])
    assert payload["keys"] and all(isinstance(key, str) for key in payload["keys"])
    assert isinstance(payload["data"], dict)


def test_placing_an_order_sends_a_signed_order_created_webhook(
    crm_client: httpx.Client, receiver: WebhookReceiver
) -> None:
    order = crm_client.post(
        "/crm/v1/orders",
        json={"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 3}]},
    ).json()
    (webhook,) = receiver.wait_for(lambda w: w.payload["event"] == "order.created")
    assert webhook.system == "crm"
    assert webhook.payload["keys"] == [order["id"]]
    assert_correctly_signed(webhook)
    assert_contract_shape(webhook)


def test_cancelling_an_order_sends_signed_order_and_production_webhooks(
    crm_client: httpx.Client, receiver: WebhookReceiver, signing_simulators: RunningSimulators
) -> None:
    order_id = next(
        o.id for o in signing_simulators.dataset.orders.values() if o.status == "in_production"
    )
    assert crm_client.post(f"/crm/v1/orders/{order_id}/cancel").status_code == 200
    (updated,) = receiver.wait_for(lambda w: w.payload["event"] == "order.updated")
    (production,) = receiver.wait_for(lambda w: w.payload["event"] == "production.updated")
    assert (updated.system, updated.payload["keys"]) == ("crm", [order_id])
    assert updated.payload["data"] == {"status": "cancelled"}
    assert (production.system, production.payload["keys"]) == ("erp", [order_id])
    for webhook in (updated, production):
        assert_correctly_signed(webhook)
        assert_contract_shape(webhook)


def test_a_live_tick_moves_orders_on_everywhere_and_sends_signed_webhooks(
    crm_client: httpx.Client, receiver: WebhookReceiver, signing_simulators: RunningSimulators
) -> None:
    report = signing_simulators.tick()
    assert report.orders, "one tick should move at least one order"
    assert set(report.orders.values()) >= {"in_production", "ready", "shipped"}
    received = receiver.received
    events = {(w.system, w.payload["event"]) for w in received}
    assert events >= {
        ("crm", "order.updated"),
        ("erp", "production.updated"),
        ("erp", "invoice.updated"),
        ("scm", "shipment.updated"),
    }
    for webhook in received:
        assert_correctly_signed(webhook)
        assert_contract_shape(webhook)
    updated_keys = {
        key for w in received if w.payload["event"] == "order.updated" for key in w.payload["keys"]
    }
    assert updated_keys == set(report.orders)

    ids = ",".join(report.orders)
    records = crm_client.get("/crm/v1/orders", params={"ids": ids}).json()["records"]
    assert {r["id"]: r["status"] for r in records} == report.orders
    shipped = [order_id for order_id, status in report.orders.items() if status == "shipped"]
    headers = {"X-Api-Key": "erp-demo-key"}
    with httpx.Client(base_url=signing_simulators.erp_url, headers=headers) as erp:
        invoices = search_read(erp, "account.move", [["sale_ref", "in", shipped]])
    assert {i["sale_ref"] for i in invoices if i["state"] == "posted"} == set(shipped)


def test_ticks_keep_moving_orders_until_they_are_delivered(
    crm_client: httpx.Client, signing_simulators: RunningSimulators
) -> None:
    delivered_before = sum(
        o.status == "delivered" for o in signing_simulators.dataset.orders.values()
    )
    for _ in range(6):
        signing_simulators.tick()
    delivered_after = sum(
        o.status == "delivered" for o in signing_simulators.dataset.orders.values()
    )
    assert delivered_after > delivered_before


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"event":"order.updated"}'
    digest = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert sign("secret", body) == f"sha256={digest}"


async def test_a_gateway_that_cannot_be_reached_is_logged_and_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = WebhookSender(WebhookTarget("http://127.0.0.1:9", SECRETS), SimClock(), timeout_s=2)
    sender.emit("crm", "order.updated", ["SO-100001"], {"status": "shipped"})
    await sender.aclose()
    assert (sender.delivered, sender.failed) == (0, 1)
    assert "failed" in caplog.text


def test_without_a_webhook_url_nothing_is_sent(
    simulators: RunningSimulators, receiver: WebhookReceiver
) -> None:
    assert simulators.config.webhook_url is None
    simulators.tick()
    simulators.reset(data=True)
    assert receiver.received == []
