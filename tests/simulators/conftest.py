"""Clients for the three simulators, with the demo credentials, and a restore fixture."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.simulators.webhook_receiver import WebhookReceiver


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


# --- simulators that send webhooks, for the version 2 writes ------------------------------
WRITE_SECRETS = {"crm": "crm-write-secret", "erp": "erp-write-secret", "scm": "scm-write-secret"}


@dataclass(frozen=True)
class Writers:
    """Clients for simulators of their own that sign webhooks to ``inbox``."""

    simulators: RunningSimulators
    inbox: WebhookReceiver
    crm: httpx.Client
    erp: httpx.Client
    scm: httpx.Client


@pytest.fixture(scope="session")
def inbox() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def writing_simulators(inbox: WebhookReceiver) -> Iterator[RunningSimulators]:
    config = SimulatorConfig(webhook_url=inbox.url, webhook_secrets=WRITE_SECRETS)
    with start_in_thread(config) as running:
        yield running


@pytest.fixture
def writers(writing_simulators: RunningSimulators, inbox: WebhookReceiver) -> Iterator[Writers]:
    """Fresh counters and an empty inbox; afterwards the seeded data and no faults again."""
    sims, config = writing_simulators, writing_simulators.config
    sims.reset(data=False)
    sims.drain_webhooks()
    inbox.clear()
    with (
        httpx.Client(
            base_url=sims.crm_url, headers={"Authorization": f"Bearer {config.crm_token}"}
        ) as crm,
        httpx.Client(base_url=sims.erp_url, headers={"X-Api-Key": config.erp_api_key}) as erp,
        httpx.Client(
            base_url=sims.scm_url, headers={"Authorization": f"Bearer {config.scm_token}"}
        ) as scm,
    ):
        yield Writers(sims, inbox, crm, erp, scm)
    sims.drain_webhooks()  # so none of this test's webhooks lands in the next one's inbox
    sims.reset(data=True, faults=True)
