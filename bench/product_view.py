"""Benchmark the product view (50 products: demand, open plans, supply, coverage) and a
page of ``lowStock``, cold and warm, against the demo systems with upstream latency.

Starts the simulators (20 ms ± 5 ms per call by default) and two gateways in their own
processes (with and without the whole-answer cache) and prints, per scenario and mode:
upstream calls per request, p50/p99 latency, requests/s and gateway CPU per request.
Rows as in ``bench/run.py``: ``cold`` (``Cache-Control: no-cache``), ``warm: records``
(records from Redis, the answer built anew), ``warm: answers`` (the kept answer).

    .venv/bin/python bench/product_view.py [--requests 40] [--latency-ms 20] [--clients 1,8]
"""

from __future__ import annotations

import argparse
import os
import sys

from run import NO_CACHE, RUNS_OF_MODE, Row, Runs, Scenario, measure, run_load
from servers import free_port, process, run, simulators, upstream_env, wait_until_up

PRODUCT_VIEW = """
query ProductView($codes: [ID!]!) {
  products(codes: $codes) {
    code name sku
    demand { quantity requestedDate status order { id } }
    productionPlans { reference state quantity plannedFinish }
    inventory { warehouse available reorderPoint belowReorderPoint }
    openPurchaseOrders { quantity expectedAt supplier { name leadTimeDays } }
    coverage { availableToPromise openPurchaseQuantity plannedOutput openDemand net
               runsShortOn timeline { date balance } }
  }
}"""

LOW_STOCK = """
query LowStock {
  lowStock(first: 50) {
    totalCount
    edges { node { shortBy level { sku warehouse available reorderPoint }
                   product { code name } } }
  }
}"""

# Six sets of 50 products, taken in turn: the warm rows see each set again.
PRODUCT_SETS = [[f"P-{1001 + offset + k}" for k in range(50)] for offset in range(0, 300, 50)]


def scenarios() -> list[Scenario]:
    return [
        Scenario(
            "product view (50)",
            3,  # products; demand, plans, stock and purchase orders; suppliers
            lambda i: {
                "query": PRODUCT_VIEW,
                "variables": {"codes": PRODUCT_SETS[i % len(PRODUCT_SETS)]},
            },
        ),
        Scenario("low stock (50 rows)", 2, lambda i: {"query": LOW_STOCK}),  # catalogue; stock
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--clients", default="1,8")
    args = parser.parse_args()
    client_counts = [int(n) for n in args.clients.split(",")]
    rows: list[Row] = []
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        gateway_env = {
            **upstream_env(sim_urls),
            "GATEWAY_REDIS_URL": args.redis_url,
            "GATEWAY_CACHE_PREFIX": f"bench-pv-{os.getpid()}",
        }
        modes: tuple[tuple[str, dict[str, str], Runs], ...] = (
            ("answers", {}, RUNS_OF_MODE["batched"]),
            ("records", {"GATEWAY_RESPONSE_CACHE": "0"}, RUNS_OF_MODE["records"]),
        )
        for mode, extra_env, runs in modes:
            port = free_port()
            serve = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
            with process(f"serve-{mode}", serve, {**gateway_env, **extra_env}) as gateway:
                url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{url}/healthz")
                for scenario in scenarios():
                    for concurrency in client_counts:
                        run(run_load(url, scenario, 3, 1, NO_CACHE))  # open pools
                        for label, headers in runs:
                            if label.startswith("warm"):
                                # Each request once before, to fill the caches.
                                run(run_load(url, scenario, len(PRODUCT_SETS), 1))
                            row = measure(
                                url, gateway.pid, sim_urls, scenario, label,
                                args.requests, concurrency, args.latency_ms, headers,
                            )  # fmt: skip
                            rows.append(row)
                            print(row.markdown(), flush=True)
    print()
    print(
        f"upstream latency {args.latency_ms} ms ± {args.jitter_ms} ms; {os.cpu_count()} cores; "
        "CPU = gateway process CPU per request"
    )
    print(
        "| scenario | resolver | clients | upstream calls/req | p50 ms | p99 ms | req/s "
        "| gateway CPU ms/req | floor ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r.scenario, r.clients, r.mode)):
        print(row.markdown())


if __name__ == "__main__":
    main()
