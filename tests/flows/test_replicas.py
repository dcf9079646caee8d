"""Two gateway processes share the flows' work; one is killed (SIGKILL) in the middle of
its runs: the other claims what it held, and every order still gets exactly one
production order per short line and every production order exactly one purchase order
(counted in the systems' own records)."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import redis

from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.flows.helpers import FLOW_TIMEOUT_S, FlowWorld, eventually
from tests.gateway.gateway_process import gateway_process, upstream_env
from tests.gateway.live_helpers import free_port
from tests.gateway.scrape import scrape, total
from tests.gateway_fixtures import REDIS_URL

ORDERS = 4


def replica(
    stack: ExitStack, sims: RunningSimulators, port: int, prefix: str
) -> subprocess.Popen[bytes]:
    env = {
        **upstream_env(sims),
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_REDIS_URL": REDIS_URL,
        "GATEWAY_REDIS_TIMEOUT_S": "1.0",
        "GATEWAY_CACHE_PREFIX": prefix,
        "GATEWAY_FLOWS_POLL_MS": "100",
        "GATEWAY_FLOWS_CLAIM_IDLE_MS": "1500",
        "GATEWAY_FLOWS_BACKOFF_BASE_S": "0.05",
        "GATEWAY_FLOWS_BACKOFF_MAX_S": "0.3",
        "GATEWAY_UPSTREAM_READ_TIMEOUT_S": "20",
        "GATEWAY_UPSTREAM_DEADLINE_S": "30",
    }
    process, _ = stack.enter_context(gateway_process(env, port=port))
    return process


@pytest.fixture
def two_replicas() -> Iterator[tuple[FlowWorld, subprocess.Popen[bytes], str]]:
    port_a, port_b = free_port(), free_port()
    sims = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port_b}"))
    prefix = f"sgflows-{uuid.uuid4().hex[:8]}"
    try:
        with ExitStack() as stack:
            replica_a = replica(stack, sims, port_a, prefix)
            replica(stack, sims, port_b, prefix)
            world = FlowWorld(sims, _Remote(f"http://127.0.0.1:{port_b}"), prefix)  # type: ignore[arg-type]
            yield world, replica_a, f"http://127.0.0.1:{port_b}"
    finally:
        sims.stop()


class _Remote:
    """Stands in for an in-process Gateway: only its URL is used."""

    def __init__(self, url: str) -> None:
        self.url = url


def pending_at(client: redis.Redis, prefix: str, pid: int) -> int:
    consumers: list[dict[str, Any]] = client.xinfo_consumers(
        f"{prefix}:flows:events", "flow:order-to-production"
    )
    names = [
        (name.decode() if isinstance(name, bytes) else str(name), int(consumer["pending"]))
        for consumer in consumers
        for name in [consumer["name"]]
    ]
    return sum(pending for name, pending in names if f"-{pid}-" in name)


def test_a_replica_killed_mid_flow_loses_nothing_and_nothing_is_done_twice(two_replicas) -> None:
    world, replica_a, url_b = two_replicas
    # Slow ERP: each run takes seconds, so the kill lands in the middle of some.
    world.faults("erp", latency_ms=500)
    # One product each: a product's purchase orders cover each other's shortfalls.
    products = sorted(
        (p for p in world.sims.dataset.products.values() if p.scm_sku and p.active),
        key=lambda p: p.default_code,
    )[:ORDERS]
    orders = [
        world.place_order_at_crm("C-000001", [(product.default_code, 100_000)])
        for product in products
    ]

    client = redis.Redis.from_url(REDIS_URL)
    try:
        eventually(lambda: pending_at(client, world.prefix, replica_a.pid) > 0 or None)
    finally:
        client.close()
    replica_a.send_signal(signal.SIGKILL)
    replica_a.wait(timeout=20)
    world.faults("erp", latency_ms=0)

    def all_produced() -> dict[str, list[dict[str, Any]]] | None:
        found = {order_id: world.productions_of(order_id) for order_id in orders}
        return found if all(found.values()) else None

    productions = eventually(all_produced, timeout_s=FLOW_TIMEOUT_S * 2)
    time.sleep(2)  # Anything still claimed and re-run would show now.
    for order_id in orders:
        assert [p["origin"] for p in world.productions_of(order_id)] == [f"{order_id}/1"]

    references = {found[0]["name"] for found in productions.values()}
    skus = [product.scm_sku for product in products if product.scm_sku]

    def all_bought() -> list[dict[str, Any]] | None:
        bought = [
            po
            for sku in skus
            for po in world.purchase_orders_of(sku)
            if po["reference"] in references
        ]
        return bought if {po["reference"] for po in bought} == references else None

    eventually(all_bought, timeout_s=FLOW_TIMEOUT_S * 2)
    time.sleep(1)  # A second PO of a plan, were one made, would show now.
    bought = all_bought() or []
    assert sorted(po["reference"] for po in bought) == sorted(references), "one PO per plan"

    claimed = total(scrape(url_b), "supplygraph_flow_claimed_total")
    assert claimed >= 1, "the survivor took over what the killed replica held"
