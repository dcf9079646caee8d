from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from core.errors import UpstreamUnavailable
from gateway.settings import Settings
from resolvers.clients import SYSTEMS, build_clients
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fakes import FakeUpstream, json_response


def answer_anything(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/jsonrpc"):
        return json_response({"jsonrpc": "2.0", "result": []})
    if request.url.path.endswith("/graphql"):
        return json_response({"data": {"suppliers": []}})
    return json_response({"records": []})


async def test_built_clients_send_the_configured_credentials_to_the_configured_urls(http_over):
    upstream = FakeUpstream(answer_anything)
    settings = Settings(
        crm_url="http://crm.test/a",
        erp_url="http://erp.test/b/",
        scm_url="http://scm.test",
        crm_token=SecretStr("t-crm"),
        erp_api_key=SecretStr("k-erp"),
        scm_token=SecretStr("t-scm"),
    )
    clients = build_clients(settings, http_over(upstream))

    await clients.crm.orders_by_ids(["SO-1"])
    await clients.erp.partners_by_refs(["K1"])
    await clients.scm.suppliers_by_ids(["SUP-1"])

    crm, erp, scm = upstream.requests
    assert str(crm.url).startswith("http://crm.test/a/crm/v1/orders?")
    assert crm.headers["Authorization"] == "Bearer t-crm"
    assert str(erp.url) == "http://erp.test/b/jsonrpc"
    assert erp.headers["X-Api-Key"] == "k-erp"
    assert str(scm.url) == "http://scm.test/graphql"
    assert scm.headers["Authorization"] == "Bearer t-scm"


@pytest.mark.parametrize("missing", ["crm_url", "erp_url", "scm_url"])
def test_a_missing_upstream_url_is_refused(missing):
    complete = Settings(crm_url="http://a", erp_url="http://b", scm_url="http://c")
    settings = complete.model_copy(update={missing: None})
    with pytest.raises(ValueError, match=missing):
        build_clients(settings, httpx.AsyncClient())


def settings_for_all() -> Settings:
    return Settings(crm_url="http://crm.test", erp_url="http://erp.test", scm_url="http://scm.test")


async def test_breakers_reports_the_state_of_each_system(http_over, resilience):
    upstream = FakeUpstream(lambda request: httpx.Response(503))
    configs = dict.fromkeys(SYSTEMS, replace(resilience, max_read_retries=0))
    clients = build_clients(settings_for_all(), http_over(upstream), resilience=configs)
    assert clients.breakers() == {"crm": "closed", "erp": "closed", "scm": "closed"}

    for _ in range(resilience.breaker_minimum_calls):
        with pytest.raises(UpstreamUnavailable):
            await clients.erp.partners_by_refs(["K1"])

    assert clients.breakers() == {"crm": "closed", "erp": "open", "scm": "closed"}


async def test_each_system_gets_its_own_resilience(http_over, resilience, fake_time):
    upstream = FakeUpstream(lambda request: httpx.Response(503))
    configs = {
        "crm": replace(resilience, max_read_retries=0),
        "erp": replace(resilience, max_read_retries=1),
        "scm": replace(resilience, max_read_retries=3),
    }
    clients = build_clients(settings_for_all(), http_over(upstream), resilience=configs)

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


def test_resilience_for_an_unknown_system_is_refused():
    with pytest.raises(ValueError, match="wms"):
        build_clients(
            settings_for_all(), httpx.AsyncClient(), resilience={"wms": ResilienceConfig()}
        )


async def test_without_resilience_the_timeouts_of_the_settings_reach_every_request(http_over):
    upstream = FakeUpstream(answer_anything)
    settings = settings_for_all().model_copy(
        update={"upstream_connect_timeout_s": 1.5, "upstream_read_timeout_s": 4.0}
    )
    clients = build_clients(settings, http_over(upstream))

    await clients.crm.orders_by_ids(["SO-1"])
    await clients.erp.partners_by_refs(["K1"])
    await clients.scm.suppliers_by_ids(["SUP-1"])

    for request in upstream.requests:
        assert request.extensions["timeout"]["connect"] == 1.5
        # The 8 s deadline leaves more than 4 s, so the configured read timeout stands.
        assert request.extensions["timeout"]["read"] == 4.0
