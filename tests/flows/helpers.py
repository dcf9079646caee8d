"""A world for the flow tests: demo systems that send their webhooks to a gateway whose
flows run with short poll, claim and backoff times, over the real Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from gateway.auth import issue_token
from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.gateway.live_helpers import Gateway, free_port
from tests.gateway_fixtures import JWT_SECRET, REDIS_URL

T = TypeVar("T")

# Generous: flows run within a second here; CI machines are slow.
FLOW_TIMEOUT_S = 30.0

FAST_FLOWS: dict[str, Any] = {
    "flows_poll_ms": 100,
    "flows_claim_idle_ms": 1500,
    "flows_backoff_base_s": 0.05,
    "flows_backoff_max_s": 0.3,
    "flows_max_attempts": 4,
    # An upstream outage must not leave the breaker refusing the retries for long.
    "upstream_breaker_cooldown_s": 0.2,
    "upstream_max_read_retries": 0,
}

ADMIN = {"Authorization": "Bearer " + issue_token(JWT_SECRET, "operator", "admin")}


def flow_gateway_settings(sims: RunningSimulators, prefix: str, **overrides: Any) -> dict[str, Any]:
    return {
        "crm_url": sims.crm_url,
        "erp_url": sims.erp_url,
        "scm_url": sims.scm_url,
        "auth_disabled": True,
        "jwt_secret": JWT_SECRET,
        "redis_url": REDIS_URL,
        "redis_timeout_s": 1.0,
        "cache_prefix": prefix,
        **FAST_FLOWS,
        **overrides,
    }


@dataclass
class FlowWorld:
    sims: RunningSimulators
    gateway: Gateway
    prefix: str

    @property
    def url(self) -> str:
        return self.gateway.url

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Cache-Control": "no-cache"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert not body.get("errors"), body["errors"]
        return dict(body["data"])

    def faults(self, system: str, **knobs: Any) -> None:
        url = {"crm": self.sims.crm_url, "erp": self.sims.erp_url, "scm": self.sims.scm_url}
        httpx.post(f"{url[system]}/_sim/faults", json=knobs).raise_for_status()

    def erp_records(self, model: str, domain: list[Any], fields: list[str]) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.sims.erp_url}/jsonrpc",
            headers={"X-Api-Key": self.sims.config.erp_api_key},
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "call",
                "params": {
                    "model": model,
                    "method": "search_read",
                    "domain": domain,
                    "fields": fields,
                },
            },
            timeout=30,
        )
        result: list[dict[str, Any]] = response.json()["result"]
        return result

    def productions_of(self, order_id: str) -> list[dict[str, Any]]:
        return self.erp_records(
            "mrp.production",
            [["sale_ref", "=", order_id]],
            ["id", "name", "origin", "product_code", "product_qty", "state"],
        )

    def purchase_orders_of(self, sku: str) -> list[dict[str, Any]]:
        answer = self.graphql(
            "query($sku: String!) { purchaseOrders(skus: [$sku], openOnly: false) "
            "{ id sku quantity status reference } }",
            {"sku": sku},
        )
        orders: list[dict[str, Any]] = answer["purchaseOrders"]
        return orders

    def flow_runs(self, flow: str, status: str | None = None) -> list[dict[str, Any]]:
        answer = self.graphql(
            "query($flow: String, $status: String) { flowRuns(flow: $flow, status: $status, "
            "first: 100) { edges { node { id flow status attempt error event "
            "steps { step outcome detail } } } } }",
            {"flow": flow, "status": status},
        )
        return [edge["node"] for edge in answer["flowRuns"]["edges"]]

    def place_order_at_crm(self, customer_id: str, lines: list[tuple[str, int]]) -> str:
        """An order placed in the CRM itself (its order.created webhook reaches the gateway)."""
        response = httpx.post(
            f"{self.sims.crm_url}/crm/v1/orders",
            headers={"Authorization": f"Bearer {self.sims.config.crm_token}"},
            json={
                "customer_id": customer_id,
                "lines": [{"product_code": code, "quantity": qty} for code, qty in lines],
            },
            timeout=30,
        )
        assert response.status_code == 201, response.text
        order_id: str = response.json()["id"]
        return order_id

    def erp_calls(self, operation: str) -> int:
        stats = httpx.get(f"{self.sims.erp_url}/_sim/stats").json()
        figures = stats["operations"].get(operation)
        return int(figures["calls"]) if figures else 0


def eventually(probe: Callable[[], T | None], timeout_s: float = FLOW_TIMEOUT_S) -> T:
    """``probe()``'s first answer that is not None (nor empty), polling until the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, "the flows did not get there in time"
        time.sleep(0.05)


@contextmanager
def flow_world(**overrides: Any) -> Iterator[FlowWorld]:
    from gateway.settings import Settings

    port = free_port()
    sims = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port}"))
    prefix = f"sgflows-{uuid.uuid4().hex[:8]}"
    try:
        settings = Settings(**flow_gateway_settings(sims, prefix, **overrides))
        with Gateway(settings, port=port) as gateway:
            yield FlowWorld(sims, gateway, prefix)
    finally:
        sims.stop()
