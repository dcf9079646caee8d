"""Delivery semantics of the event log: an upstream down then back (retried, then done
once), a run that keeps failing (dead letter, replayed by an admin after the fix), an
entry that is no event at all, and an event the log could not take (503, sent again)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.flows.helpers import ADMIN, FlowWorld, eventually, flow_world
from tests.gateway_fixtures import REDIS_URL


@pytest.fixture(scope="module")
def world() -> Iterator[FlowWorld]:
    with flow_world(flows_max_attempts=4) as running:
        yield running


@pytest.fixture
def healthy_afterwards(world: FlowWorld) -> Iterator[FlowWorld]:
    try:
        yield world
    finally:
        world.faults("erp", down=False, error_rate=0.0)


def dead_letters(world: FlowWorld) -> list[dict[str, Any]]:
    response = httpx.get(f"{world.url}/admin/flows/dead-letters", headers=ADMIN, timeout=30)
    assert response.status_code == 200, response.text
    letters: list[dict[str, Any]] = response.json()["dead_letters"]
    return letters


def test_a_flow_whose_upstream_is_down_is_retried_and_done_once_it_is_back() -> None:
    with flow_world(flows_max_attempts=1000) as world:
        world.faults("erp", down=True)
        order_id = world.place_order_at_crm("C-000001", [("P-1001", 100_000)])

        def failures() -> list[dict[str, Any]]:
            runs = world.flow_runs("order-to-production", "failed")
            return [run for run in runs if order_id in run["event"]["keys"]]

        eventually(lambda: len(failures()) >= 2 or None)
        world.faults("erp", down=False)

        [production] = eventually(lambda: world.productions_of(order_id))
        assert production["origin"] == f"{order_id}/1"
        # The run is recorded a moment after its write reached the ERP.
        [done] = eventually(
            lambda: [
                run
                for run in world.flow_runs("order-to-production", "succeeded")
                if order_id in run["event"]["keys"]
            ]
        )
        assert done["attempt"] > len(failures()) >= 2
        assert all("UPSTREAM_UNAVAILABLE" in (run["error"] or "") for run in failures())
        assert world.productions_of(order_id) == [production]


def test_an_event_that_keeps_failing_goes_to_the_dead_letters_and_an_admin_replays_it(
    healthy_afterwards: FlowWorld,
) -> None:
    world = healthy_afterwards
    world.faults("erp", error_rate=1.0)
    po = world.graphql(
        "mutation($input: PurchaseOrderInput!) { createPurchaseOrder(input: $input) { id } }",
        {"input": {"sku": "SKU-1001-A", "quantity": 3, "reference": f"dl-{uuid.uuid4().hex}"}},
    )["createPurchaseOrder"]
    world.graphql(
        'mutation($id: ID!) { receivePurchaseOrder(id: $id, warehouse: "Lyon") { status } }',
        {"id": po["id"]},
    )

    def letter() -> list[dict[str, Any]]:
        return [
            letter
            for letter in dead_letters(world)
            if letter["flow"] == "receipt-to-stock" and po["id"] in letter["data"]
        ]

    [found] = eventually(letter)
    assert found["attempts"] == "4"
    assert "UPSTREAM_UNAVAILABLE" in found["error"]
    world.faults("erp", error_rate=0.0)
    moves = [["origin", "=", po["id"]]]
    assert world.erp_records("stock.move", moves, ["id"]) == [], "dead: nothing booked"

    replayed = httpx.post(
        f"{world.url}/admin/flows/dead-letters/{found['id']}/replay", headers=ADMIN, timeout=30
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["run"]["status"] == "succeeded"
    assert len(world.erp_records("stock.move", moves, ["id"])) == 1
    assert letter() == []
    statuses = {
        run["status"]
        for run in world.flow_runs("receipt-to-stock")
        if po["id"] in run["event"]["data"].get("ids", [])
    }
    assert {"failed", "dead", "succeeded"} <= statuses

    again = httpx.post(
        f"{world.url}/admin/flows/dead-letters/{found['id']}/replay", headers=ADMIN, timeout=30
    )
    assert again.status_code == 404


def test_replaying_dead_letters_needs_the_admin_scope(world: FlowWorld) -> None:
    assert httpx.get(f"{world.url}/admin/flows/dead-letters").status_code == 401
    response = httpx.post(f"{world.url}/admin/flows/dead-letters/1-0/replay")
    assert response.status_code == 401


def test_an_entry_that_is_no_domain_event_goes_to_the_dead_letters_at_once(
    world: FlowWorld,
) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        entry_id = client.xadd(f"{world.prefix}:flows:events", {"junk": "1"})
    finally:
        client.close()

    def letters() -> list[dict[str, Any]]:
        found = [letter for letter in dead_letters(world) if letter["entry_id"] == entry_id]
        return found if len(found) == 3 else []

    found = eventually(letters)
    assert {letter["flow"] for letter in found} == {
        "order-to-production",
        "production-to-purchasing",
        "receipt-to-stock",
    }
    assert all(letter["attempts"] == "1" for letter in found)
    assert all("not a domain event" in letter["error"] for letter in found)


def test_a_webhook_the_event_log_cannot_take_is_refused_and_taken_when_sent_again(
    world: FlowWorld,
) -> None:
    stream = f"{world.prefix}:flows:events"
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.delete(stream)
        client.set(stream, "not a stream")  # XADD now fails (WRONGTYPE)
        event_id = uuid.uuid4().hex
        refused = deliver(world, event_id)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "NOT_APPLIED"

        client.delete(stream)
        accepted = deliver(world, event_id)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "accepted"
        assert deliver(world, event_id).json()["status"] == "duplicate"
        entries = client.xrange(stream)
        assert entries is not None
        ids = [fields["event_id"] for _, fields in entries if fields is not None]
        assert ids.count(event_id) == 1
    finally:
        client.close()


def deliver(world: FlowWorld, event_id: str) -> httpx.Response:
    import hashlib
    import hmac
    import json

    body = json.dumps(
        {
            "event_id": event_id,
            "event": "stock.changed",
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": ["SKU-1001-A"],
            "data": {},
        }
    ).encode()
    digest = hmac.new(b"scm-webhook-secret", body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{world.url}/webhooks/scm",
        content=body,
        headers={"X-Signature": f"sha256={digest}", "Content-Type": "application/json"},
        timeout=30,
    )
