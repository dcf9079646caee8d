"""Real ``httpx.AsyncClient``s over ``httpx.MockTransport``: the clients' whole stack runs,
only the network is replaced by a function that answers and remembers each request.

Clients run on ``FakeTime``: a retry's backoff is recorded, not waited for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from resolvers.call_log import UpstreamCallLog
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.resilience import ResilienceConfig
from resolvers.scm import ScmClient
from tests.resolvers.fake_time import FakeTime
from tests.resolvers.fakes import BASE_URL, CRM_TOKEN, ERP_API_KEY, SCM_TOKEN, FakeUpstream


@pytest.fixture
async def http_over() -> AsyncIterator[Callable[[FakeUpstream], httpx.AsyncClient]]:
    """Makes AsyncClients whose transport is a ``FakeUpstream``; closes them afterwards."""
    opened: list[httpx.AsyncClient] = []

    def make(upstream: FakeUpstream) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
def call_log() -> UpstreamCallLog:
    return UpstreamCallLog()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def resilience(fake_time: FakeTime) -> ResilienceConfig:
    """The default resilience, on fake time and with reproducible jitter."""
    return ResilienceConfig(clock=fake_time.clock, sleep=fake_time.sleep, random_seed=7)


@pytest.fixture
def crm_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient],
    call_log: UpstreamCallLog,
    resilience: ResilienceConfig,
) -> Callable[..., CrmClient]:
    def make(upstream: FakeUpstream, config: ResilienceConfig | None = None) -> CrmClient:
        return CrmClient(
            http_over(upstream),
            BASE_URL,
            CRM_TOKEN,
            call_log=call_log,
            resilience=config or resilience,
        )

    return make


@pytest.fixture
def erp_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient],
    call_log: UpstreamCallLog,
    resilience: ResilienceConfig,
) -> Callable[..., ErpClient]:
    def make(upstream: FakeUpstream, config: ResilienceConfig | None = None) -> ErpClient:
        return ErpClient(
            http_over(upstream),
            BASE_URL,
            ERP_API_KEY,
            call_log=call_log,
            resilience=config or resilience,
        )

    return make


@pytest.fixture
def scm_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient],
    call_log: UpstreamCallLog,
    resilience: ResilienceConfig,
) -> Callable[..., ScmClient]:
    def make(upstream: FakeUpstream, config: ResilienceConfig | None = None) -> ScmClient:
        return ScmClient(
            http_over(upstream),
            BASE_URL,
            SCM_TOKEN,
            call_log=call_log,
            resilience=config or resilience,
        )

    return make
