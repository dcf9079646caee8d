"""Real ``httpx.AsyncClient``s over ``httpx.MockTransport``: the clients' whole stack runs,
only the network is replaced by a function that answers and remembers each request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from resolvers.call_log import UpstreamCallLog
from resolvers.crm import CrmClient
from resolvers.erp import ErpClient
from resolvers.scm import ScmClient
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
def crm_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient], call_log: UpstreamCallLog
) -> Callable[[FakeUpstream], CrmClient]:
    return lambda upstream: CrmClient(http_over(upstream), BASE_URL, CRM_TOKEN, call_log=call_log)


@pytest.fixture
def erp_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient], call_log: UpstreamCallLog
) -> Callable[[FakeUpstream], ErpClient]:
    return lambda upstream: ErpClient(
        http_over(upstream), BASE_URL, ERP_API_KEY, call_log=call_log
    )


@pytest.fixture
def scm_for(
    http_over: Callable[[FakeUpstream], httpx.AsyncClient], call_log: UpstreamCallLog
) -> Callable[[FakeUpstream], ScmClient]:
    return lambda upstream: ScmClient(http_over(upstream), BASE_URL, SCM_TOKEN, call_log=call_log)
