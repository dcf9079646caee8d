"""Load the gateway with 1 and 2 uvicorn workers and watch its memory over a steady run.

Starts the demo systems (20 ms ± 5 ms per call) and, in turn, ``supplygraph serve
--workers 1`` and ``--workers 2`` in their own processes, all caching in one Redis. This
process is the client: a small asyncio httpx load of mixed operations (70 % mobile
order tracking over 500 orders, 20 % availability of 10 products, 10 % a 10-customer
dashboard), bounded by time and by request count. Per worker count it prints:

- a burst: as many requests as ``--clients`` concurrent clients get through in
  ``--burst-s`` seconds: requests/s, p50/p99 latency, errors;
- a steady run of ``--steady-s`` seconds at ``--steady-clients``: the same figures, and
  the resident memory (RSS) of the gateway's process tree (the ``serve`` process and its
  workers), sampled every second from /proc: at the start, the peak, at the end, and
  the growth over the second half of the run (flat means no leak at this load).

    .venv/bin/python bench/load.py [--burst-s 20] [--steady-s 60] [--clients 32]

The client shares the machine with the gateway and the demo systems: on a 2-core
machine the figures are for the three together, not for the gateway alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from servers import free_port, process, run, simulators, upstream_env, wait_until_up

MAX_REQUESTS_PER_PHASE = 200_000

TRACKING = """query Tracking($id: ID!) { orderTracking(orderId: $id) {
  stage progress estimatedDelivery
  order { id status total { amount currency } customer { name } }
  timeline { at system label } } }"""
AVAILABILITY = """query Availability($codes: [ID!]!) { products(codes: $codes) {
  code name availableToPromise inventory { warehouse available belowReorderPoint } } }"""
DASHBOARD = """query Dashboard { customers(first: 10) { edges { node { id name orders {
  id status lines { quantity product { code inventory { available } } } } } } } }"""

ORDER_IDS = [f"SO-{100001 + i * 7}" for i in range(500)]
CODES = [f"P-{1001 + i}" for i in range(300)]


def body_for(i: int) -> dict[str, object]:
    """The i-th request of the mix: 7 of 10 tracking, 2 availability, 1 dashboard."""
    slot = i % 10
    if slot < 7:
        return {"query": TRACKING, "variables": {"id": ORDER_IDS[(i * 31) % len(ORDER_IDS)]}}
    if slot < 9:
        codes = [CODES[(i * 10 + k) % len(CODES)] for k in range(10)]
        return {"query": AVAILABILITY, "variables": {"codes": codes}}
    return {"query": DASHBOARD}


def process_tree(root_pid: int) -> list[int]:
    """``root_pid`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def rss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


@dataclass
class Phase:
    workers: int
    name: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    # What the first few failures were: a status and body, or the client's exception.
    failures: list[str] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.failures) < 5:
            self.failures.append(what[:500])

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def markdown(self) -> str:
        count = len(self.latencies)
        cells = [
            str(self.workers), self.name, str(self.clients), f"{self.seconds:.0f}", str(count),
            f"{count / self.seconds:.0f}" if self.seconds else "-",
            f"{self.percentile(0.5):.1f}", f"{self.percentile(0.99):.1f}", str(self.errors),
        ]  # fmt: skip
        if self.rss:
            half = self.rss[len(self.rss) // 2]
            cells += [
                f"{self.rss[0]:.0f}", f"{max(self.rss):.0f}", f"{self.rss[-1]:.0f}",
                f"{self.rss[-1] - half:+.1f}",
            ]  # fmt: skip
        else:
            cells += ["-", "-", "-", "-"]
        return "| " + " | ".join(cells) + " |"


async def run_phase(
    url: str, phase: Phase, duration_s: float, sample_rss: Callable[[], float] | None
) -> None:
    deadline = time.monotonic() + duration_s
    counter = iter(range(MAX_REQUESTS_PER_PHASE))
    limits = httpx.Limits(max_connections=phase.clients, max_keepalive_connections=phase.clients)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:

        async def one_client() -> None:
            for i in counter:
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await client.post("/graphql", json=body_for(i))
                    if response.status_code != 200 or response.json().get("errors"):
                        phase.fail(f"HTTP {response.status_code}: {response.text}")
                except httpx.HTTPError as error:
                    phase.fail(f"client {type(error).__name__}: {error!r}")
                phase.latencies.append(time.perf_counter() - started)

        async def sampler() -> None:
            while sample_rss is not None and time.monotonic() < deadline:
                phase.rss.append(sample_rss())
                await asyncio.sleep(1.0)

        started = time.monotonic()
        sampling = asyncio.create_task(sampler())
        await asyncio.gather(*(one_client() for _ in range(phase.clients)))
        phase.seconds = time.monotonic() - started
        await sampling
        if sample_rss is not None:
            phase.rss.append(sample_rss())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--burst-s", type=float, default=20.0)
    parser.add_argument("--steady-s", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--steady-clients", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    python = sys.executable
    phases: list[Phase] = []
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        for workers in args.workers:
            port = free_port()
            env = {
                **upstream_env(sim_urls),
                "GATEWAY_REDIS_URL": args.redis_url,
                "GATEWAY_CACHE_PREFIX": f"load-{os.getpid()}-{workers}",
            }
            serve = [python, "-m", "gateway.cli", "serve", "--port", str(port)]
            with process(
                f"load-serve-{workers}", [*serve, "--workers", str(workers)], env
            ) as gateway:
                url = f"http://127.0.0.1:{port}"
                wait_until_up(f"{url}/readyz")
                # Every order, product and page once: the runs below read a warm cache
                # (stock and shipments expire within seconds and are re-read as they do).
                run(run_phase(url, Phase(workers, "warm-up", 16), 10.0, None))

                def sample() -> float:
                    return rss_mib(process_tree(gateway.pid))

                for name, clients, seconds in (
                    ("burst", args.clients, args.burst_s),
                    ("steady", args.steady_clients, args.steady_s),
                ):
                    phase = Phase(workers, name, clients)
                    run(run_phase(url, phase, seconds, sample))
                    phases.append(phase)
                    print(phase.markdown(), file=sys.stderr, flush=True)

    print(
        f"\nupstream latency {args.latency_ms:g} ms ± {args.jitter_ms:g} ms; "
        f"{os.cpu_count()} cores shared by client, gateway and demo systems; warm Redis cache; "
        "RSS of the gateway's "
        "process tree (serve + workers) sampled each second"
    )
    print(
        "| workers | phase | clients | s | requests | req/s | p50 ms | p99 ms | errors "
        "| RSS start MiB | RSS peak MiB | RSS end MiB | RSS 2nd half MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for phase in phases:
        print(phase.markdown())
    for phase in phases:
        for failure in phase.failures:
            print(f"failed in {phase.workers} worker(s), {phase.name}: {failure}")


if __name__ == "__main__":
    main()
