"""Cross-origin calls (GATEWAY_CORS_ORIGINS): preflights answered, credentials only for
origins named one by one, nothing for an origin not listed; and a real browser on
another origin reads an answer only when the gateway allows its origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.errors import ConfigurationError
from gateway.app import create_app
from tests.gateway.chromium import Chromium, chromium_binary, in_ci
from tests.gateway.live_helpers import Gateway, free_port
from tests.gateway_fixtures import gateway_settings

APP_ORIGIN = "https://app.example.com"
QUERY = {"query": '{ order(id: "SO-105798") { id status } }'}


def preflight(
    url: str, origin: str, headers: str = "authorization, content-type"
) -> httpx.Response:
    return httpx.options(
        f"{url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.fixture(scope="module")
def listed(simulators) -> Iterator[Gateway]:
    settings = gateway_settings(simulators, cors_origins=f"{APP_ORIGIN}, http://localhost:3000")
    with Gateway(settings) as gateway:
        yield gateway


def test_a_listed_origin_gets_its_preflight_answered_with_credentials_allowed(listed):
    answer = preflight(listed.url, APP_ORIGIN)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert answer.headers["access-control-max-age"] == "600"


def test_a_listed_origins_answers_and_refusals_carry_the_cors_headers(listed):
    headers = {"Origin": APP_ORIGIN, "Accept": "application/json"}
    answer = httpx.post(f"{listed.url}/graphql", json=QUERY, headers=headers)
    assert answer.status_code == 200 and answer.json()["data"]["order"]["id"] == "SO-105798"
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
    # A refusal too: the browser app can read why it was refused.
    refused = httpx.post(
        f"{listed.url}/graphql",
        content=b"{",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == APP_ORIGIN


def test_an_origin_not_listed_gets_no_cors_headers(listed):
    answer = preflight(listed.url, "https://evil.example.net")
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    post = httpx.post(
        f"{listed.url}/graphql", json=QUERY, headers={"Origin": "https://evil.example.net"}
    )
    assert "access-control-allow-origin" not in post.headers


def test_any_origin_is_allowed_without_credentials(simulators):
    with Gateway(gateway_settings(simulators, cors_origins="*")) as gateway:
        answer = preflight(gateway.url, "https://anyone.example.org")
        post = httpx.post(
            f"{gateway.url}/graphql",
            json=QUERY,
            headers={"Origin": "https://anyone.example.org", "Cookie": "session=1"},
        )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    assert post.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in post.headers


def test_without_the_setting_a_preflight_is_refused_as_before(simulators):
    with Gateway(gateway_settings(simulators)) as gateway:
        answer = preflight(gateway.url, APP_ORIGIN)
    assert answer.status_code == 405
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("*, https://app.example.com", "not both"),
        ("https://app.example.com/", "is not an origin"),
        ("app.example.com", "is not an origin"),
    ],
)
def test_an_unusable_origin_list_stops_the_gateway_being_built(simulators, setting, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        create_app(gateway_settings(simulators, cors_origins=setting))


FETCH = """
fetch(%r, {
  method: "POST",
  headers: {"Content-Type": "application/json", "X-Request-Id": "from-another-origin"},
  body: JSON.stringify(%s),
}).then(r => r.json()).then(b => "data:" + b.data.order.id, e => "failed:" + e.message)
"""


def fetch_from(browser: Chromium, page: str, endpoint: str) -> Any:
    browser.navigate(page)
    browser.wait_for("document.readyState === 'complete'")
    answer = browser.call(
        "Runtime.evaluate",
        expression=FETCH % (endpoint, json.dumps(QUERY)),
        awaitPromise=True,
        returnByValue=True,
    )
    return answer["result"]["value"]


def test_a_browser_on_another_origin_reads_answers_only_from_a_gateway_that_lists_it(simulators):
    binary = chromium_binary()
    if binary is None:
        if in_ci():
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    port = free_port()
    # The page comes from http://app.test:port (the browser maps the name to 127.0.0.1),
    # the gateway answers on 127.0.0.1: two origins. JSON and X-Request-Id make the
    # browser send a preflight first. /healthz: a page with no CSP of its own.
    page = f"http://app.test:{port}/healthz"
    allowing = gateway_settings(
        simulators, cors_origins=f"http://app.test:{port}", auth_disabled=True
    )
    with Chromium(binary, extra_flags=("--host-resolver-rules=MAP app.test 127.0.0.1",)) as browser:
        with Gateway(allowing, port=port) as gateway:
            assert fetch_from(browser, page, f"{gateway.url}/graphql") == "data:SO-105798"
        with Gateway(gateway_settings(simulators), port=port) as gateway:
            refused = fetch_from(browser, page, f"{gateway.url}/graphql")
    assert refused.startswith("failed:")
