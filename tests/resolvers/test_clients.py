from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from gateway.settings import Settings
from resolvers.clients import build_clients
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
