"""Benchmark the finance views: the 12-month summary and a page of orders with finance.

Starts the simulators (20 ms ± 5 ms per call) and two gateways in their own processes
(one keeping whole answers, one without, for ``warm: records``) and prints, per
scenario and mode, upstream calls per request, p50/p99 latency and the gateway's CPU
per request. Modes as in ``run.py``: ``cold`` (``Cache-Control: no-cache``), ``warm:
records`` (records from the Redis entity cache, answer built anew), ``warm: answers``.

    .venv/bin/python bench/finance.py [--requests 20] [--latency-ms 20] [--jitter-ms 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from run import NO_CACHE, RUNS_OF_MODE, Row, Runs, Scenario, measure, run_load
from servers import (
    free_port,
    percentile,
    process,
    run,
    simulators,
    upstream_env,
    wait_until_up,
)

FIGURES = """revenue { amount } productionCost { amount } purchaseCost { amount }
  standardCost { amount } profit { amount } marginPercent orderCount linesWithUnknownCost"""

SUMMARY = f"""
query FinanceSummary($by: FinanceGrouping!) {{
  financeSummary(from: "2025-12-01T00:00:00Z", to: "2026-12-01T00:00:00Z", groupBy: $by) {{
    cancelledOrderCount total {{ {FIGURES} }} groups {{ key figures {{ {FIGURES} }} }}
  }}
}}"""

ORDER_PAGE = """
query OrdersWithFinance {
  orderList(createdFrom: "2026-10-01T00:00:00Z", first: 50) { edges { node {
    id total { amount } customer { name }
    finance { profit { amount } marginPercent lines { productCode costBasis cost { amount } } }
  } } }
}"""


def scenarios() -> list[Scenario]:
    return [
        # Feed pages (months side by side), then plans + products, then purchase orders.
        Scenario("finance 12 months by month", 3, lambda i: {
            "query": SUMMARY, "variables": {"by": "MONTH"}}),
        Scenario("finance 12 months by product", 3, lambda i: {
            "query": SUMMARY, "variables": {"by": "PRODUCT"}}),
        Scenario("50 orders with finance", 3, lambda i: {"query": ORDER_PAGE}),
    ]  # fmt: skip


async def direct_summary_calls(sim_urls: list[str]) -> float:
    """The summary's upstream calls made by a bare client, each level as soon as the one
    before it is in (the floor the gateway's cold summary is measured against); seconds."""
    crm, erp, scm = sim_urls
    end = datetime(2026, 12, 1, tzinfo=UTC)
    async with httpx.AsyncClient(timeout=60.0) as client:
        began = time.perf_counter()

        async def month(low: datetime, high: datetime) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            cursor = None
            while True:
                params: dict[str, Any] = {
                    "limit": 200,
                    "created_from": low.isoformat(),
                    "created_to": high.isoformat(),
                }
                if cursor:
                    params["cursor"] = cursor
                answer = await client.get(
                    f"{crm}/crm/v1/orders",
                    params=params,
                    headers={"Authorization": "Bearer crm-demo-token"},
                )
                body = answer.json()
                found += body["records"]
                cursor = body.get("next_cursor")
                if not cursor:
                    return found

        # Month by month, side by side, as the gateway cuts the period (schema/order_feed.py).
        firsts = [
            datetime(2025 + (11 + n) // 12, (11 + n) % 12 + 1, 1, tzinfo=UTC) for n in range(12)
        ]
        windows = zip(firsts, [*firsts[1:], end], strict=True)
        months = await asyncio.gather(*(month(a, b) for a, b in windows))
        orders = [o for m in months for o in m if o["status"] != "cancelled"]
        ids = [o["id"] for o in orders]
        codes = sorted({line["product_code"] for o in orders for line in o["lines"]})

        async def search(model: str, field: str, values: list[str]) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            while True:
                params = {
                    "model": model,
                    "method": "search_read",
                    "limit": 500,
                    "offset": len(found),
                    "domain": [[field, "in", values]],
                }
                body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": params}
                answer = await client.post(
                    f"{erp}/jsonrpc", json=body, headers={"X-Api-Key": "erp-demo-key"}
                )
                page = answer.json()["result"]
                found += page
                if len(page) < 500:
                    return found

        plan_chunks = [ids[i : i + 200] for i in range(0, len(ids), 200)]
        code_chunks = [codes[i : i + 200] for i in range(0, len(codes), 200)]
        pages = await asyncio.gather(
            *(search("mrp.production", "sale_ref", chunk) for chunk in plan_chunks),
            *(search("product.product", "default_code", chunk) for chunk in code_chunks),
        )
        records = [record for page in pages for record in page]
        products = {p["default_code"]: p for p in records if "default_code" in p}
        live = {
            (p["sale_ref"], p["product_code"])
            for p in records
            if "sale_ref" in p and p["state"] != "cancel"
        }
        bought = [
            products[line["product_code"]]["scm_sku"]
            for o in orders
            for line in o["lines"]
            if (o["id"], line["product_code"]) not in live
        ]
        skus = sorted({sku for sku in bought if sku})
        query = "query($s: [String!]!) { purchaseOrders(skus: $s, openOnly: false) { id } }"
        await client.post(
            f"{scm}/graphql",
            json={"query": query, "variables": {"s": skus}},
            headers={"Authorization": "Bearer scm-demo-token"},
        )
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    rows: list[Row] = []
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        direct = [run(direct_summary_calls(sim_urls)) for _ in range(max(args.requests // 2, 5))]
        direct_p50_ms = percentile(direct, 0.5) * 1000
        gateway_env = {
            **upstream_env(sim_urls),
            "GATEWAY_REDIS_URL": args.redis_url,
            "GATEWAY_CACHE_PREFIX": f"bench-finance-{os.getpid()}",
        }
        modes: tuple[tuple[str, dict[str, str], Runs], ...] = (
            ("batched", {}, RUNS_OF_MODE["batched"]),
            ("records", {"GATEWAY_RESPONSE_CACHE": "0"}, RUNS_OF_MODE["records"]),
        )
        for mode, extra_env, runs in modes:
            port = free_port()
            gateway_args = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
            with process(f"serve-finance-{mode}", gateway_args, {**gateway_env, **extra_env}) as gw:
                url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{url}/healthz")
                for scenario in scenarios():
                    run(run_load(url, scenario, 2, 1, NO_CACHE))  # open pools, fill the cache
                    for label, headers in runs:
                        if label.startswith("warm"):
                            run(run_load(url, scenario, 2, 1))
                        row = measure(
                            url, gw.pid, sim_urls, scenario, label, args.requests, 1,
                            args.latency_ms, headers,
                        )  # fmt: skip
                        rows.append(row)
                        print(row.markdown(), flush=True)
    print()
    print(f"upstream latency {args.latency_ms} ms ± {args.jitter_ms} ms; {os.cpu_count()} cores")
    print(
        "| scenario | resolver | clients | upstream calls/req | p50 ms | p99 ms | req/s "
        "| gateway CPU ms/req | floor ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r.scenario, r.mode)):
        print(row.markdown())
    print()
    print(
        f"12-month summary's upstream calls made directly by a bare client: p50 "
        f"{direct_p50_ms:.1f} ms (the floor on this machine, simulators' own work included)"
    )


if __name__ == "__main__":
    main()
