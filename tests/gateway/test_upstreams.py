"""The upstream clients as the settings configure them (``gateway.upstreams``)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from gateway.settings import Settings
from gateway.upstreams import clients_from_settings, upstream_access
from tests.resolvers.fakes import FakeUpstream
from tests.resolvers.test_clients import (
    answer_anything,
    ask_each_system,
    assert_each_system_asked_as_configured,
)


def settings_for_all(**changes: object) -> Settings:
    complete = Settings(
        crm_url="http://crm.test", erp_url="http://erp.test", scm_url="http://scm.test"
    )
    return Settings.model_validate({**complete.model_dump(), **changes})


def over(upstream: FakeUpstream) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(upstream))


async def test_the_configured_credentials_reach_the_configured_urls():
    upstream = FakeUpstream(answer_anything)
    settings = Settings(
        crm_url="http://crm.test/a",
        erp_url="http://erp.test/b/",
        scm_url="http://scm.test",
        crm_token=SecretStr("t-crm"),
        erp_api_key=SecretStr("k-erp"),
        scm_token=SecretStr("t-scm"),
    )
    async with over(upstream) as http:
        await ask_each_system(clients_from_settings(settings, http))

    assert_each_system_asked_as_configured(upstream)


@pytest.mark.parametrize("missing", ["crm_url", "erp_url", "scm_url"])
def test_a_missing_upstream_url_is_refused_naming_the_setting(missing):
    settings = settings_for_all().model_copy(update={missing: None})
    with pytest.raises(ValueError, match=missing):
        upstream_access(settings)


def test_per_system_overrides_change_only_their_system():
    access = upstream_access(
        settings_for_all(upstream_deadline_s=8.0, upstream_resilience={"erp": {"deadline_s": 12}})
    )

    assert {system: a.resilience.deadline_s for system, a in access.items()} == {
        "crm": 8.0,
        "erp": 12.0,
        "scm": 8.0,
    }


def test_overrides_for_an_unknown_system_are_refused():
    with pytest.raises(ValueError, match="wms"):
        upstream_access(settings_for_all(upstream_resilience={"wms": {"deadline_s": 1}}))


async def test_the_timeouts_of_the_settings_reach_every_request():
    upstream = FakeUpstream(answer_anything)
    settings = settings_for_all(upstream_connect_timeout_s=1.5, upstream_read_timeout_s=4.0)
    async with over(upstream) as http:
        clients = clients_from_settings(settings, http)
        await clients.crm.orders_by_ids(["SO-1"])
        await clients.erp.partners_by_refs(["K1"])
        await clients.scm.suppliers_by_ids(["SUP-1"])

    assert len(upstream.requests) == 3
    for request in upstream.requests:
        assert request.extensions["timeout"]["connect"] == 1.5
        # The 8 s deadline leaves more than 4 s, so the configured read timeout stands.
        assert request.extensions["timeout"]["read"] == 4.0
