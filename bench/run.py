"""Benchmark the gateway against the demo systems with realistic upstream latency.

Starts the simulators (20 ms ± 5 ms per call by default) and three gateways in their
own processes — the real one, the same without its whole-answer cache, and a naive one
(one upstream call per parent object, no batching) — then runs three scenarios at 1 and
16 concurrent clients and prints, per scenario: upstream calls per request, p50/p99
latency, requests/s and the gateway's CPU time per response. Rows: ``naive``; ``cold``
(``Cache-Control: no-cache``: every record fetched upstream); ``warm: records`` (records
from the Redis entity cache, answer built anew); ``warm: answers`` (the kept answer).

    .venv/bin/python bench/run.py [--requests 200] [--latency-ms 20] [--jitter-ms 5]
        [--only dashboard,availability] [--no-naive] [--clients 1,16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from floor import measure_direct
from servers import (
    free_port,
    percentile,
    process,
    run,
    simulators,
    upstream_env,
    wait_until_up,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

DASHBOARD = """
query Dashboard {
  customers(first: 50) { edges { node { id name orders {
    id status lines { quantity product { code inventory { available } } }
    productionPlans { state } shipments { status } } } } }
}"""

TRACKING = """
query Tracking($id: ID!) {
  orderTracking(orderId: $id) {
    stage progress estimatedDelivery
    order { id status total { amount currency } customer { name } }
    timeline { at system label }
  }
}"""

AVAILABILITY = """
query Availability($codes: [ID!]!) {
  products(codes: $codes) {
    code name availableToPromise
    inventory { warehouse available belowReorderPoint }
    openPurchaseOrders { quantity expectedAt supplier { name onTimeRate } }
  }
}"""


@dataclass
class Scenario:
    name: str
    levels: int  # sequential upstream round trips the query needs at least
    body: Callable[[int], dict[str, object]]


def scenarios() -> list[Scenario]:
    order_ids = [f"SO-{100001 + i * 7}" for i in range(500)]
    codes = [f"P-{1001 + i}" for i in range(300)]
    return [
        Scenario("dashboard", 4, lambda i: {"query": DASHBOARD}),
        Scenario(
            "mobile tracking",
            2,
            lambda i: {"query": TRACKING, "variables": {"id": order_ids[i % len(order_ids)]}},
        ),
        Scenario(
            "availability",
            3,
            lambda i: {
                "query": AVAILABILITY,
                "variables": {"codes": [codes[(i * 10 + k) % len(codes)] for k in range(10)]},
            },
        ),
    ]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def upstream_calls(sim_urls: list[str]) -> int:
    total = 0
    for url in sim_urls:
        stats = httpx.get(f"{url}/_sim/stats").json()
        total += sum(op["calls"] for op in stats["operations"].values())
    return total


def reset_counters(sim_urls: list[str]) -> None:
    for url in sim_urls:
        httpx.post(f"{url}/_sim/reset", json={})


async def run_load(
    url: str,
    scenario: Scenario,
    requests: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    async with httpx.AsyncClient(timeout=600.0, headers=headers) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                started = time.perf_counter()
                response = await client.post(f"{url}/graphql", json=scenario.body(i))
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or response.json().get("errors"):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, errors


@dataclass
class Row:
    scenario: str
    mode: str
    clients: int
    calls_per_request: float
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    cpu_ms: float
    floor_ms: float
    errors: int

    def markdown(self) -> str:
        return (
            f"| {self.scenario} | {self.mode} | {self.clients} | {self.calls_per_request:.1f} | "
            f"{self.p50_ms:.1f} | {self.p99_ms:.1f} | {self.requests_per_s:.1f} | "
            f"{self.cpu_ms:.1f} | {self.floor_ms:.0f} | {self.errors} |"
        )


def measure(
    url: str,
    pid: int,
    sim_urls: list[str],
    scenario: Scenario,
    mode: str,
    count: int,
    concurrency: int,
    latency_ms: float,
    headers: dict[str, str] | None = None,
) -> Row:
    reset_counters(sim_urls)
    cpu_before = cpu_seconds(pid)
    latencies, elapsed, errors = run(run_load(url, scenario, count, concurrency, headers))
    cpu = cpu_seconds(pid) - cpu_before
    return Row(
        scenario=scenario.name,
        mode=mode,
        clients=concurrency,
        calls_per_request=upstream_calls(sim_urls) / count,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        requests_per_s=count / elapsed,
        cpu_ms=cpu / count * 1000,
        floor_ms=scenario.levels * latency_ms,
        errors=errors,
    )


NO_CACHE = {"Cache-Control": "no-cache"}
# The runs measured on one gateway: a row label and the headers its requests carry.
Runs = list[tuple[str, dict[str, str] | None]]
RUNS_OF_MODE: dict[str, Runs] = {
    "naive": [("naive", NO_CACHE)],
    "batched": [("cold", NO_CACHE), ("warm: answers", None)],
    "records": [("warm: records", None)],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive resolver")
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrency levels")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    chosen = [s for s in scenarios() if not only or s.name in only]
    client_counts = [int(n) for n in args.clients.split(",")]
    modes: tuple[tuple[str, dict[str, str]], ...] | None = (
        (("batched", {}), ("records", {"GATEWAY_RESPONSE_CACHE": "0"})) if args.no_naive else None
    )

    python = sys.executable
    rows: list[Row] = []
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        gateway_env = {
            **upstream_env(sim_urls),
            "GATEWAY_REDIS_URL": args.redis_url,
            "GATEWAY_CACHE_PREFIX": f"bench-{os.getpid()}",
        }
        naive_env = {
            # bench/naive_gateway.py: no batching, no memo, no prefetch, no kept answers.
            "GATEWAY_RESPONSE_CACHE": "0",
            # Thousands of single calls queue for connections: give them time to finish.
            "GATEWAY_UPSTREAM_DEADLINE_S": "120",
            "GATEWAY_UPSTREAM_READ_TIMEOUT_S": "120",
            "GATEWAY_UPSTREAM_CONNECT_TIMEOUT_S": "60",
            # A deep queue of waiters makes httpcore's pool slow: let them all connect.
            "GATEWAY_UPSTREAM_MAX_CONNECTIONS": "1000",
        }
        direct_p50_ms: dict[str, float] = {}
        for scenario in chosen:
            if scenario.name in ("mobile tracking", "availability"):
                variables = variables_of(scenario)
                count = max(args.requests // 4, 20)
                latencies = run(measure_direct(sim_urls, scenario.name, count, variables))
                direct_p50_ms[scenario.name] = percentile(latencies, 0.5) * 1000
        records_only = {"GATEWAY_RESPONSE_CACHE": "0"}
        all_modes: tuple[tuple[str, dict[str, str]], ...] = (
            ("naive", naive_env),
            ("batched", {}),
            ("records", records_only),
        )
        for mode, extra_env in modes or all_modes:
            port = free_port()
            entry = "bench.naive_gateway" if mode == "naive" else "gateway.cli"
            gateway_args = [python, "-m", entry, "serve", "--port", str(port)]
            with process(f"serve-{mode}", gateway_args, {**gateway_env, **extra_env}) as gateway:
                url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{url}/healthz")
                # The naive dashboard floods the upstreams (and may trip breakers): last.
                for scenario in sorted(chosen, key=lambda s: s.name == "dashboard"):
                    for concurrency in client_counts:
                        count = args.requests if concurrency > 1 else max(args.requests // 4, 20)
                        if scenario.name == "dashboard":
                            count = max(count // 4, 10)
                            if mode == "naive":
                                # ~2,500 single calls per request: a few show the point.
                                if concurrency > 1:
                                    continue
                                count = 1
                        if not (mode == "naive" and scenario.name == "dashboard"):
                            run(run_load(url, scenario, 3, 1, NO_CACHE))  # open pools
                        runs = RUNS_OF_MODE[mode]
                        for label, headers in runs:
                            if label.startswith("warm"):
                                # The same requests once more, to fill the cache first.
                                run(run_load(url, scenario, count, concurrency))
                            row = measure(
                                url, gateway.pid, sim_urls, scenario, label, count,
                                concurrency, args.latency_ms, headers,
                            )  # fmt: skip
                            rows.append(row)
                            print(row.markdown(), flush=True)
    print()
    print(
        f"upstream latency {args.latency_ms} ms ± {args.jitter_ms} ms; {os.cpu_count()} cores; "
        "floor = query levels x upstream latency; CPU = gateway process CPU per request"
    )
    print(
        "| scenario | resolver | clients | upstream calls/req | p50 ms | p99 ms | req/s "
        "| gateway CPU ms/req | floor ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r.scenario, r.clients, r.mode)):
        print(row.markdown())
    print()
    print("Against the floor, one client: the same upstream calls made directly, level by level")
    print("| scenario | nominal floor ms | direct calls p50 ms | gateway cold p50 ms "
          "| cold / nominal | cold / direct |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for row in rows:
        if row.mode == "cold" and row.clients == 1 and row.scenario in direct_p50_ms:
            direct = direct_p50_ms[row.scenario]
            print(
                f"| {row.scenario} | {row.floor_ms:.0f} | {direct:.1f} | {row.p50_ms:.1f} "
                f"| {row.p50_ms / row.floor_ms:.2f}x | {row.p50_ms / direct:.2f}x |"
            )


def variables_of(scenario: Scenario) -> Callable[[int], dict[str, Any]]:
    def variables(i: int) -> dict[str, Any]:
        found = scenario.body(i).get("variables")
        return dict(found) if isinstance(found, dict) else {}

    return variables


if __name__ == "__main__":
    main()
