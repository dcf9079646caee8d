from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from core.errors import UpstreamUnavailable
from resolvers.clients import UpstreamAccess, UpstreamClients, build_clients
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fakes import FakeUpstream, json_response


def answer_anything(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/jsonrpc"):
        return json_response({"jsonrpc": "2.0", "result": []})
    if request.url.path.endswith("/graphql"):
        return json_response({"data": {"suppliers": []}})
    return json_response({"records": []})


async def ask_each_system(clients: UpstreamClients) -> None:
    await clients.crm.orders_by_ids(["SO-1"])
    await clients.erp.partners_by_refs(["K1"])
    await clients.scm.suppliers_by_ids(["SUP-1"])


def assert_each_system_asked_as_configured(upstream: FakeUpstream) -> None:
    """At the URLs and with the credentials both tests configure (one through
    ``build_clients``, one through the settings)."""
    crm, erp, scm = upstream.requests
    assert str(crm.url).startswith("http://crm.test/a/crm/v1/orders?")
    assert crm.headers["Authorization"] == "Bearer t-crm"
    assert str(erp.url) == "http://erp.test/b/jsonrpc"
    assert erp.headers["X-Api-Key"] == "k-erp"
    assert str(scm.url) == "http://scm.test/graphql"
    assert scm.headers["Authorization"] == "Bearer t-scm"


def access_to(
    host: str, resilience: ResilienceConfig, credential: str = "secret"
) -> UpstreamAccess:
    return UpstreamAccess(f"http://{host}", credential, resilience)


async def test_built_clients_send_the_given_credentials_to_the_given_urls(http_over, resilience):
    upstream = FakeUpstream(answer_anything)
    clients = build_clients(
        http_over(upstream),
        crm=UpstreamAccess("http://crm.test/a", "t-crm", resilience),
        erp=UpstreamAccess("http://erp.test/b/", "k-erp", resilience),
        scm=UpstreamAccess("http://scm.test", "t-scm", resilience),
    )

    await ask_each_system(clients)

    assert_each_system_asked_as_configured(upstream)


def test_an_access_never_shows_its_credential():
    access = UpstreamAccess("http://crm.test", "t-very-secret", ResilienceConfig())

    assert "t-very-secret" not in repr(access)
    assert "http://crm.test" in repr(access)


async def test_breakers_reports_the_state_of_each_system(http_over, resilience):
    upstream = FakeUpstream(lambda request: httpx.Response(503))
    once = replace(resilience, max_read_retries=0)
    clients = build_clients(
        http_over(upstream),
        crm=access_to("crm.test", once),
        erp=access_to("erp.test", once),
        scm=access_to("scm.test", once),
    )
    assert clients.breakers() == {"crm": "closed", "erp": "closed", "scm": "closed"}

    for _ in range(resilience.breaker_minimum_calls):
        with pytest.raises(UpstreamUnavailable):
            await clients.erp.partners_by_refs(["K1"])

    assert clients.breakers() == {"crm": "closed", "erp": "open", "scm": "closed"}


async def test_each_system_gets_its_own_resilience(http_over, resilience, fake_time):
    upstream = FakeUpstream(lambda request: httpx.Response(503))
    clients = build_clients(
        http_over(upstream),
        crm=access_to("crm.test", replace(resilience, max_read_retries=0)),
        erp=access_to("erp.test", replace(resilience, max_read_retries=1)),
        scm=access_to("scm.test", replace(resilience, max_read_retries=3)),
    )

    for call in (
        clients.crm.orders_by_ids(["SO-1"]),
        clients.erp.partners_by_refs(["K1"]),
        clients.scm.suppliers_by_ids(["SUP-1"]),
    ):
        with pytest.raises(UpstreamUnavailable):
            await call

    hosts = [request.url.host for request in upstream.requests]
    assert hosts.count("crm.test") == 1
    assert hosts.count("erp.test") == 2
    assert hosts.count("scm.test") == 4
