"""Clients for the three simulators, with the demo credentials, and a restore fixture."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulators.runner import RunningSimulators


@pytest.fixture(scope="session")
def crm(simulators: RunningSimulators) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {simulators.config.crm_token}"}
    with httpx.Client(base_url=simulators.crm_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def erp(simulators: RunningSimulators) -> Iterator[httpx.Client]:
    headers = {"X-Api-Key": simulators.config.erp_api_key}
    with httpx.Client(base_url=simulators.erp_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def scm(simulators: RunningSimulators) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {simulators.config.scm_token}"}
    with httpx.Client(base_url=simulators.scm_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def restore_data(simulators: RunningSimulators) -> Iterator[None]:
    """For tests that change data: afterwards, the seeded dataset again (shared by all)."""
    yield
    response = httpx.post(f"{simulators.crm_url}/_sim/reset", json={"data": True})
    response.raise_for_status()


@pytest.fixture
def restore_faults(simulators: RunningSimulators) -> Iterator[None]:
    """For tests that inject faults: afterwards, no faults on any system."""
    yield
    for url in (simulators.crm_url, simulators.erp_url, simulators.scm_url):
        httpx.post(f"{url}/_sim/reset", json={"faults": True}).raise_for_status()
