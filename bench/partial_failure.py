"""How many answers carry errors while one system fails a share of its calls.

Starts the demo systems and one gateway in this process (in-process cache, answers not
kept), sets the SCM to fail ``--error-rate`` of its calls with a 500, and sends
``--requests`` one-order queries that read the SCM twice (shipments and stock), one after
the other, each past the cache. Prints the share of answers with errors, with the
gateway's breaker and with it effectively off. A breaker that opens on a few failures
in a row turns a half-failing system into a mostly failing one; retries alone fail a
read only when every attempt fails.

    .venv/bin/python bench/partial_failure.py [--requests 200] [--error-rate 0.5]
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from simulators.runner import SimulatorConfig, start_in_thread

QUERY = """query ($id: ID!) { order(id: $id) {
  id shipments { trackingNumber } lines { product { code inventory { warehouse } } }
} }"""

BREAKER_OFF: dict[str, Any] = {
    "upstream_breaker_minimum_calls": 1_000_000,
}


def share_with_errors(sims: Any, requests: int, **settings: Any) -> float:
    config = Settings(
        crm_url=sims.crm_url,
        erp_url=sims.erp_url,
        scm_url=sims.scm_url,
        auth_disabled=True,
        response_cache=False,
        **settings,
    )
    with ThreadedServer(create_app(config)) as server, httpx.Client(timeout=60) as client:
        failed = 0
        for number in range(requests):
            body = client.post(
                f"{server.url}/graphql",
                json={"query": QUERY, "variables": {"id": f"SO-{100001 + number % 500}"}},
                headers={"Cache-Control": "no-cache"},
            ).json()
            failed += bool(body.get("errors"))
    return failed / requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--error-rate", type=float, default=0.5)
    args = parser.parse_args()
    sims = start_in_thread(SimulatorConfig())
    try:
        httpx.post(
            f"{sims.scm_url}/_sim/faults", json={"error_rate": args.error_rate}
        ).raise_for_status()
        with_breaker = share_with_errors(sims, args.requests)
        without = share_with_errors(sims, args.requests, **BREAKER_OFF)
    finally:
        sims.stop()
    print(f"SCM failing {args.error_rate:.0%} of calls, {args.requests} requests:")
    print(f"  answers with errors, with the breaker: {with_breaker:.1%}")
    print(f"  answers with errors, breaker off:      {without:.1%}")


if __name__ == "__main__":
    main()
