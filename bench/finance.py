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
import os
import sys

from run import NO_CACHE, Row, Scenario, measure, run_load
from servers import free_port, process, run, simulators, upstream_env, wait_until_up

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    rows: list[Row] = []
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        gateway_env = {
            **upstream_env(sim_urls),
            "GATEWAY_REDIS_URL": args.redis_url,
            "GATEWAY_CACHE_PREFIX": f"bench-finance-{os.getpid()}",
        }
        modes = (
            ("batched", {}, [("cold", NO_CACHE), ("warm: answers", None)]),
            ("records", {"GATEWAY_RESPONSE_CACHE": "0"}, [("warm: records", None)]),
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


if __name__ == "__main__":
    main()
