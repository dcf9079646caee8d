"""Starting the simulators and gateways that the bench scripts measure, as subprocesses.

Each server runs in a process of its own so that the gateway's CPU can be read from /proc
and the load client does not share its interpreter; their output goes to bench/results/.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from simulators.serving import new_event_loop

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(name: str, args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess logging to bench/results/<name>-<pid>.log, ended (or killed) on exit."""
    log = ROOT / "bench" / "results" / f"{name}-{os.getpid()}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("ab") as sink:
        proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=sink, stderr=sink)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def simulators(latency_ms: float, jitter_ms: float) -> Iterator[list[str]]:
    """The demo CRM, ERP and SCM with that latency; yields their base URLs."""
    ports = [free_port() for _ in range(3)]
    args = [
        sys.executable, "-m", "gateway.cli", "simulators",
        "--crm-port", str(ports[0]), "--erp-port", str(ports[1]), "--scm-port", str(ports[2]),
        "--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms),
    ]  # fmt: skip
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with process("simulators", args, {}):
        for url in urls:
            wait_until_up(f"{url}/_sim/stats")
        yield urls


def upstream_env(sim_urls: list[str]) -> dict[str, str]:
    """A gateway's environment pointing at the simulators, without auth."""
    return {
        "GATEWAY_CRM_URL": sim_urls[0],
        "GATEWAY_ERP_URL": sim_urls[1],
        "GATEWAY_SCM_URL": sim_urls[2],
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_LOG_LEVEL": "warning",
    }


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the loop the gateway and the simulators use (uvloop when there),
    so that the clients' own overhead weighs on the figures as little as theirs does."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coroutine)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
