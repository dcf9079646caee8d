"""The cold latency of tracking and availability against their floors, in alternating rounds.

On a shared 2-core machine the speed of everything drifts by a few percent from minute to
minute, as much as the margin this comparison is about. So one gateway and the
simulators are started once, and each round measures, back to back, the scenario's
calls made directly (``floor.measure_direct``) and the gateway answering it cold
(``Cache-Control: no-cache``). It prints each round's p50s and, over the rounds, the
median and the range of the gateway's p50 against the nominal floor (levels x latency)
and against the direct calls.

    .venv/bin/python bench/floor_rounds.py [--rounds 5] [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from floor import measure_direct
from run import NO_CACHE, Scenario, run_load, scenarios, variables_of
from servers import free_port, percentile, process, run, simulators, upstream_env, wait_until_up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100, help="per round and side")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    args = parser.parse_args()
    chosen = [s for s in scenarios() if s.name in ("mobile tracking", "availability")]
    rows: dict[str, list[tuple[float, float]]] = {s.name: [] for s in chosen}
    with simulators(args.latency_ms, args.jitter_ms) as sim_urls:
        port = free_port()
        env = {
            **upstream_env(sim_urls),
            "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/13",
            "GATEWAY_CACHE_PREFIX": f"bench-{os.getpid()}",
        }
        serve = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
        with process("serve-rounds", serve, env):
            url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{url}/healthz")
            for scenario in chosen:
                run(run_load(url, scenario, 5, 1, NO_CACHE))  # open the pools
            for round_number in range(1, args.rounds + 1):
                for scenario in chosen:
                    direct, gateway = one_round(url, sim_urls, scenario, args.requests)
                    rows[scenario.name].append((direct, gateway))
                    print(
                        f"round {round_number} {scenario.name}: direct p50 {direct:.1f} ms, "
                        f"gateway cold p50 {gateway:.1f} ms",
                        flush=True,
                    )
    print()
    print(f"upstream latency {args.latency_ms} ms ± {args.jitter_ms} ms; {args.rounds} rounds")
    print(
        "| scenario | nominal floor ms | direct p50 ms (median) | gateway cold p50 ms "
        "(median, range) | cold / nominal | cold / direct |"
    )
    print("|---|---|---|---|---|---|")
    for scenario in chosen:
        nominal = scenario.levels * args.latency_ms
        directs = [direct for direct, _ in rows[scenario.name]]
        colds = [cold for _, cold in rows[scenario.name]]
        ratios = [cold / direct for direct, cold in rows[scenario.name]]
        cold = statistics.median(colds)
        print(
            f"| {scenario.name} | {nominal:.0f} | {statistics.median(directs):.1f} "
            f"| {cold:.1f} ({min(colds):.1f} to {max(colds):.1f}) "
            f"| {cold / nominal:.2f}x ({min(colds) / nominal:.2f} to {max(colds) / nominal:.2f}) "
            f"| {statistics.median(ratios):.2f}x |"
        )


def one_round(
    url: str, sim_urls: list[str], scenario: Scenario, requests: int
) -> tuple[float, float]:
    """p50 in ms of the direct calls, then of the gateway answering cold."""
    direct = run(measure_direct(sim_urls, scenario.name, requests, variables_of(scenario)))
    cold, _, errors = run(run_load(url, scenario, requests, 1, NO_CACHE))
    if errors:
        raise SystemExit(f"{errors} {scenario.name} requests failed")
    return percentile(direct, 0.5) * 1000, percentile(cold, 0.5) * 1000


if __name__ == "__main__":
    main()
