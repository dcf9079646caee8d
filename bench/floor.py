"""The upstream floor of a scenario, measured: its calls made directly, level by level.

The nominal floor (levels x configured latency) leaves out what the simulators and the
loopback HTTP themselves cost on this machine. A bare keep-alive client making the same
calls a scenario needs, each call as soon as the answer it depends on is in (the
customer right after the order, not after the order's whole level), is the best any
gateway could do here; the gateway's cold latency divided by this says how much it adds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from simulators.config import SimulatorConfig

# The credentials the demo systems start with (bench/servers.py starts them so).
DEMO = SimulatorConfig()

SUPPLIERS = "query($i: [ID!]!) { suppliers(ids: $i) { id name onTimeRate } }"
STOCK = "query($s: [String!]!) { stockLevels(skus: $s) { sku warehouse onHand reserved } }"
PURCHASES = "query($s: [String!]!) { purchaseOrders(skus: $s) { id supplierId quantity } }"
SHIPMENTS = "query($r: [String!]!) { shipmentsByOrder(orderRefs: $r) { id status eta } }"


class Direct:
    def __init__(self, crm_url: str, erp_url: str, scm_url: str) -> None:
        self.crm = httpx.AsyncClient(
            base_url=f"{crm_url}/crm/v1", headers={"Authorization": f"Bearer {DEMO.crm_token}"}
        )
        self.erp = httpx.AsyncClient(base_url=erp_url, headers={"X-Api-Key": DEMO.erp_api_key})
        self.scm = httpx.AsyncClient(
            base_url=scm_url, headers={"Authorization": f"Bearer {DEMO.scm_token}"}
        )

    async def close(self) -> None:
        for client in (self.crm, self.erp, self.scm):
            await client.aclose()

    async def crm_records(self, path: str, ids: list[str]) -> list[dict[str, Any]]:
        answer = await self.crm.get(path, params={"ids": ",".join(ids)})
        return list(answer.json()["records"])

    async def search_read(self, model: str, domain: list[Any]) -> list[dict[str, Any]]:
        params = {"model": model, "method": "search_read", "domain": domain}
        body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": params}
        return list((await self.erp.post("/jsonrpc", json=body)).json()["result"])

    async def scm_query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = await self.scm.post("/graphql", json={"query": query, "variables": variables})
        return dict(answer.json()["data"])

    async def tracking(self, order_id: str) -> None:
        async def order_then_customer() -> None:
            orders = await self.crm_records("/orders", [order_id])
            await self.crm_records("/customers", [orders[0]["customer_id"]])

        await asyncio.gather(
            order_then_customer(),
            self.search_read("mrp.production", [["sale_ref", "in", [order_id]]]),
            self.search_read("account.move", [["sale_ref", "in", [order_id]]]),
            self.scm_query(SHIPMENTS, {"r": [order_id]}),
        )

    async def availability(self, codes: list[str]) -> None:
        products = await self.search_read("product.product", [["default_code", "in", codes]])
        skus = [p["scm_sku"] for p in products if p.get("scm_sku")]

        async def purchases_then_suppliers() -> None:
            purchases = await self.scm_query(PURCHASES, {"s": skus})
            supplier_ids = sorted({po["supplierId"] for po in purchases["purchaseOrders"]})
            if supplier_ids:
                await self.scm_query(SUPPLIERS, {"i": supplier_ids})

        await asyncio.gather(self.scm_query(STOCK, {"s": skus}), purchases_then_suppliers())


async def measure_direct(
    sim_urls: list[str], scenario: str, count: int, variables_of: Callable[[int], dict[str, Any]]
) -> list[float]:
    """Latencies of ``count`` direct runs of the scenario's calls, one at a time."""
    direct = Direct(*sim_urls)
    run: Callable[[dict[str, Any]], Awaitable[None]] = {
        "mobile tracking": lambda v: direct.tracking(v["id"]),
        "availability": lambda v: direct.availability(v["codes"]),
    }[scenario]
    latencies: list[float] = []
    try:
        for i in range(count + 3):
            started = time.perf_counter()
            await run(variables_of(i))
            if i >= 3:  # the first open the connections
                latencies.append(time.perf_counter() - started)
    finally:
        await direct.close()
    return latencies
