"""A gateway in a process of its own, started as production starts it (``supplygraph
serve``), for tests that need what only a process has: signals, workers, SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import free_port

STARTUP_TIMEOUT_S = 60.0
# Past the gateway's own graceful shutdown (10 s by default): a process still running then
# is a hang, and the test says so rather than wait on it.
EXIT_TIMEOUT_S = 30.0


def upstream_env(simulators: RunningSimulators) -> dict[str, str]:
    """The variables that point a gateway at these simulators."""
    return {
        "GATEWAY_CRM_URL": simulators.crm_url,
        "GATEWAY_ERP_URL": simulators.erp_url,
        "GATEWAY_SCM_URL": simulators.scm_url,
    }


@contextmanager
def gateway_process(
    env: Mapping[str, str | None],
    *,
    port: int | None = None,
    args: Sequence[str] = (),
    log: Path | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``supplygraph serve`` with these variables added to the environment (None: taken
    out of it); its process and URL once /readyz answers. Stopped on leaving (SIGTERM,
    then SIGKILL if it hangs, which fails the test)."""
    port = port or free_port()
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), *args]
    output: IO[bytes] | int = subprocess.DEVNULL if log is None else log.open("wb")
    merged = {**os.environ, "GATEWAY_LOG_LEVEL": "warning", **env}
    process = subprocess.Popen(
        command,
        env={name: value for name, value in merged.items() if value is not None},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, url)
        yield process, url
    finally:
        hung = stop(process)
        if not isinstance(output, int):
            output.close()
        assert not hung, f"the gateway ignored SIGTERM for {EXIT_TIMEOUT_S} s"


def wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the gateway exited"
        assert time.monotonic() < deadline, "the gateway did not come up"
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, and SIGKILL if it is still running after ``EXIT_TIMEOUT_S``; whether it hung."""
    if process.poll() is not None:
        return False
    process.terminate()
    try:
        process.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True
    return False
