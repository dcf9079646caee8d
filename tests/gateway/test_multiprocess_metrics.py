"""``supplygraph serve --workers 2``: one /metrics for both worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.cache.private_redis import free_port
from tests.gateway.scrape import by_label, scrape

BATCH = 20


@pytest.fixture
def two_workers(simulators, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "GATEWAY_CRM_URL": simulators.crm_url,
        "GATEWAY_ERP_URL": simulators.erp_url,
        "GATEWAY_SCM_URL": simulators.scm_url,
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    env.pop("GATEWAY_REDIS_URL", None)
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the gateway exited"
            assert time.monotonic() < deadline, "the gateway did not come up"
            time.sleep(0.1)
        yield url, metrics_dir
    finally:
        process.terminate()
        process.wait(timeout=20)


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
