"""Fixtures shared by every test directory: the demo upstream systems, started once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread


@pytest.fixture(scope="session")
def simulators() -> Iterator[RunningSimulators]:
    """CRM, ERP and SCM simulators with the default config, on free loopback ports."""
    running = start_in_thread(SimulatorConfig())
    yield running
    running.stop()


@pytest.fixture
def sim_stats(simulators: RunningSimulators) -> Callable[[str], dict[str, Any]]:
    """``sim_stats("crm")`` reads a system's ``/_sim/stats``; ``simulators.reset()`` zeroes."""
    urls = {"crm": simulators.crm_url, "erp": simulators.erp_url, "scm": simulators.scm_url}

    def read(system: str) -> dict[str, Any]:
        response = httpx.get(f"{urls[system]}/_sim/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    return read
