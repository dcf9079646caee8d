"""Benchmark the cross-system flows: events/s through the event log, flow latency p50/p99.

Starts the simulators (20 ms ± 5 ms per call; their webhooks go to the gateway) and one
gateway with Redis, each in its own process, then

1. posts ``--events`` signed ``stock.changed`` webhooks (16 at a time; no flow acts on
   them, so this is the log itself: verify, append, three consumer groups read and ack)
   and times them until every group has acknowledged the last one;
2. places ``--orders`` orders beyond stock in the CRM, one at a time, and reads each
   flow run's ``lagMs`` (from the event's append to the run's end) from ``flowRuns``.

    .venv/bin/python bench/flows.py [--events 2000] [--orders 40] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis
from servers import free_port, percentile, process, run, upstream_env, wait_until_up

REDIS_URL = "redis://127.0.0.1:6379/14"
RUNS = """query($flow: String, $after: String) { flowRuns(flow: $flow, status: "succeeded",
  first: 100, after: $after) { edges { node { lagMs durationMs } }
  pageInfo { hasNextPage endCursor } } }"""


def signed(event_id: str, sku: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "event_id": event_id,
            "event": "stock.changed",
            "occurred_at": "2026-11-25T10:00:00Z",
            "keys": [sku],
            "data": {},
        }
    ).encode()
    digest = hmac.new(b"scm-webhook-secret", body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": f"sha256={digest}", "Content-Type": "application/json"}


async def post_events(url: str, count: int, concurrency: int = 16) -> int:
    """Posts ``count`` events; a 503 is sent again, as the systems do. Returns the 503s."""
    refused = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(count):
        queue.put_nowait(number)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                nonlocal refused
                body, headers = signed(uuid.uuid4().hex, f"SKU-{1001 + number % 300}-A")
                while True:
                    response = await client.post("/webhooks/scm", content=body, headers=headers)
                    if response.status_code != 503:
                        break
                    refused += 1
                    await asyncio.sleep(0.2)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return refused


def all_consumed(client: redis.Redis, stream: str) -> bool:
    groups = client.xinfo_groups(stream)
    return bool(groups) and all(group["pending"] == 0 and group.get("lag") == 0 for group in groups)


def lags(url: str, flow: str) -> list[float]:
    found: list[float] = []
    after = None
    while True:
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": RUNS, "variables": {"flow": flow, "after": after}},
            timeout=30,
        ).json()["data"]["flowRuns"]
        found += [edge["node"]["lagMs"] for edge in answer["edges"]]
        if not answer["pageInfo"]["hasNextPage"]:
            return found
        after = answer["pageInfo"]["endCursor"]


def place_orders(crm_url: str, count: int) -> list[str]:
    orders = []
    for number in range(count):
        response = httpx.post(
            f"{crm_url}/crm/v1/orders",
            headers={"Authorization": "Bearer crm-demo-token"},
            json={
                "customer_id": "C-000001",
                "lines": [{"product_code": f"P-{1010 + number % 200}", "quantity": 100_000}],
            },
            timeout=30,
        )
        response.raise_for_status()
        orders.append(response.json()["id"])
        time.sleep(0.05)
    return orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    gateway_port = free_port()
    url = f"http://127.0.0.1:{gateway_port}"
    ports = [free_port() for _ in range(3)]
    sims = [f"http://127.0.0.1:{port}" for port in ports]
    prefix = f"sgbench-{uuid.uuid4().hex[:8]}"
    sim_args = [
        sys.executable, "-m", "gateway.cli", "simulators",
        "--crm-port", str(ports[0]), "--erp-port", str(ports[1]), "--scm-port", str(ports[2]),
        "--latency-ms", str(args.latency_ms), "--jitter-ms", str(args.latency_ms / 4),
        "--webhook-url", url,
    ]  # fmt: skip
    gateway_env = {
        **upstream_env(sims),
        "GATEWAY_REDIS_URL": REDIS_URL,
        "GATEWAY_CACHE_PREFIX": prefix,
        "GATEWAY_FLOWS_POLL_MS": "1000",
    }
    gateway_args = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(gateway_port)]
    with process("simulators", sim_args, {}), process("gateway-flows", gateway_args, gateway_env):
        for sim in sims:
            wait_until_up(f"{sim}/_sim/stats")
        wait_until_up(f"{url}/healthz")
        client = redis.Redis.from_url(REDIS_URL)
        stream = f"{prefix}:flows:events"
        started = time.perf_counter()
        refused = run(post_events(url, args.events))
        posted = time.perf_counter() - started
        while not all_consumed(client, stream):
            time.sleep(0.01)
        consumed = time.perf_counter() - started
        print(
            f"event log: {args.events} events, {args.events / posted:.0f} events/s accepted "
            f"(webhook verified, applied, appended), {args.events / consumed:.0f} events/s "
            f"through 3 consumer groups ({consumed:.2f} s; {refused} 503s sent again)"
        )

        orders = place_orders(sims[0], args.orders)
        deadline = time.monotonic() + 120
        while len(lags(url, "order-to-production")) < len(orders):
            assert time.monotonic() < deadline, "the flows did not finish"
            time.sleep(0.5)
        time.sleep(3)  # the purchasing runs the production orders started
        for flow in ("order-to-production", "production-to-purchasing"):
            values = lags(url, flow)
            print(
                f"flow {flow}: {len(values)} runs, lag p50 {percentile(values, 0.5):.1f} ms, "
                f"p99 {percentile(values, 0.99):.1f} ms (event appended → run done; upstream "
                f"{args.latency_ms:.0f} ms per call)"
            )
        client.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
