"""``supplygraph serve --workers 2``: one /metrics for both worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.gateway.gateway_process import gateway_process, upstream_env
from tests.gateway.scrape import by_label, scrape

BATCH = 20


@pytest.fixture
def two_workers(simulators, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    metrics_dir = tmp_path / "metrics"
    env = {
        **upstream_env(simulators),
        "GATEWAY_AUTH_DISABLED": "1",
        # No Redis: each worker's in-process cache, and no flows to start.
        "GATEWAY_REDIS_URL": None,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    with gateway_process(env, args=["--workers", "2"]) as (_, url):
        yield url, metrics_dir


def test_several_workers_report_one_sum_of_their_metrics(two_workers):
    url, metrics_dir = two_workers
    query = {"query": 'query Spread { products(codes: ["P-1001"]) { code } }'}

    def ask(_: int) -> int:
        # A new connection each time, so that either worker may accept it.
        with httpx.Client(timeout=30) as client:
            return client.post(f"{url}/graphql", json=query).status_code

    def writers() -> set[str]:
        return {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}

    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Until both workers have served some (the kernel picks who accepts), at most 10x.
        for _ in range(10):
            assert list(pool.map(ask, range(BATCH))) == [200] * BATCH
            sent += BATCH
            if len(writers()) == 2:
                break

    assert len(writers()) == 2
    for _ in range(3):  # each scrape may be answered by either worker: the same sum
        counted = by_label(
            scrape(url), "supplygraph_graphql_requests_total", "outcome", operation="Spread"
        )
        assert counted == {"ok": sent}
