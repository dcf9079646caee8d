"""The /track page, served by the gateway and driven in headless Chromium at phone width:
it follows an order live and shows the stage change a webhook announces, and asks again
for a subscription that a system's outage kept from starting (``static/live-retry.js``).

The demo systems here send their own webhooks to the gateway, and the gateway runs as
the demo does (demo token secret, auth disabled), so the page fills in the demo
customer's token by itself. Screenshots go to test-artifacts/ (not versioned).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from core.errors import (
    ForbiddenError,
    InputValidationError,
    NotFoundError,
    RequestDeadlineExceeded,
    TokenExpiredError,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.cli import DEMO_JWT_SECRET
from resolvers._breaker import CircuitOpen
from schema.error_codes import INTERNAL_ERROR, RATE_LIMITED
from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.gateway.chromium import Chromium, chromium_binary, in_ci
from tests.gateway.faulty_gateways import Faults
from tests.gateway.live_helpers import Gateway, bearer, cancel_upstream, free_port
from tests.gateway_fixtures import gateway_settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_CUSTOMER = "C-000001"
APP = "document.getElementById('app').dataset"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Gateway, RunningSimulators]]:
    """Demo systems that send their webhooks to a gateway set up as `supplygraph serve`."""
    port = free_port()
    systems = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port}"))
    settings = gateway_settings(systems, jwt_secret=SecretStr(DEMO_JWT_SECRET))
    try:
        with Gateway(settings, port=port) as gateway:
            yield gateway, systems
    finally:
        systems.stop()


@pytest.fixture
def browser() -> Iterator[Chromium]:
    binary = chromium_binary()
    if binary is None:
        if in_ci():
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    with Chromium(binary) as chromium:
        chromium.emulate_phone()
        yield chromium


def open_orders(systems: RunningSimulators) -> list[str]:
    """The demo customer's orders that can still be cancelled."""
    return sorted(
        order.id
        for order in systems.dataset.orders.values()
        if order.customer_id == DEMO_CUSTOMER and order.status in ("confirmed", "in_production")
    )


def follow_until_cancelled(browser: Chromium, gateway: Gateway, systems, order_id: str) -> str:
    """Opens the page on ``order_id``, cancels it in the CRM; the stage it showed first."""
    browser.wait_for(f"{APP}.state === 'live' && Number({APP}.updates) >= 1")
    before = browser.evaluate(f"{APP}.stage")
    assert browser.evaluate("document.getElementById('order-title').textContent") == (
        f"Order {order_id}"
    )
    cancel_upstream(systems, order_id)  # the CRM sends its webhook to the gateway
    browser.wait_for(f"{APP}.stage === 'CANCELLED'")
    return str(before)


def test_the_page_follows_an_order_over_a_websocket_and_shows_a_webhooks_stage_change(
    demo, browser
):
    gateway, systems = demo
    order_id = open_orders(systems)[0]
    browser.navigate(f"{gateway.url}/track?order={order_id}")
    before = follow_until_cancelled(browser, gateway, systems, order_id)
    assert before in ("ORDERED", "IN_PRODUCTION")
    assert browser.evaluate(f"{APP}.transport") == "websocket"
    assert browser.evaluate("document.getElementById('stage').textContent") == "Cancelled"
    timeline = browser.evaluate("document.getElementById('timeline').innerText")
    assert "Order cancelled" in timeline and f"Order {order_id} placed" in timeline
    # The demo customer's token was filled in, and its own orders offered.
    assert browser.evaluate("document.getElementById('token').value.split('.').length") == 3
    assert browser.wait_for("document.querySelectorAll('#my-orders button').length") >= 1
    # Nothing wider than the phone's 375 px.
    assert browser.evaluate("document.documentElement.scrollWidth") <= 375
    browser.screenshot(ARTIFACTS / "tracking-page.png")


def test_the_page_follows_an_order_over_server_sent_events_too(demo, browser):
    gateway, systems = demo
    order_id = open_orders(systems)[0]
    browser.navigate(f"{gateway.url}/track?order={order_id}&transport=sse")
    follow_until_cancelled(browser, gateway, systems, order_id)
    assert browser.evaluate(f"{APP}.transport") == "sse"
    browser.screenshot(ARTIFACTS / "tracking-page-sse.png")


def test_the_page_says_so_when_the_token_may_not_follow_the_order(demo, browser):
    gateway, systems = demo
    foreign = next(
        order.id for order in systems.dataset.orders.values() if order.customer_id != DEMO_CUSTOMER
    )
    messages = []
    # Another customer's order reads as an unknown one: the token learns nothing.
    for order_id in (foreign, "SO-999999"):
        browser.navigate(f"{gateway.url}/track?order={order_id}")
        browser.wait_for(f"{APP}.state === 'error'")
        messages.append(browser.evaluate("document.getElementById('error').textContent"))
        assert browser.evaluate("document.getElementById('result').hidden") is True
    assert messages == ["There is no such order for this token."] * 2


def test_the_demo_token_is_handed_out_only_by_a_demo_gateway(demo, simulators):
    gateway, _ = demo
    handed = httpx.get(f"{gateway.url}/track/demo-token").json()
    assert handed["customerId"] == DEMO_CUSTOMER
    with Gateway(
        gateway_settings(simulators, jwt_secret=SecretStr("a-real-secret-32-bytes-long!!"))
    ) as real:
        assert httpx.get(f"{real.url}/track/demo-token").status_code == 404
        page = httpx.get(f"{real.url}/track")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert httpx.get(f"{real.url}/track/track.js").status_code == 200
        assert httpx.get(f"{real.url}/track/secrets.txt").status_code == 404


# --- a subscription that a system's outage kept from starting


def placed_order(systems: RunningSimulators) -> str:
    """A new open order of the demo customer (the tests before may have cancelled its own)."""
    response = httpx.post(
        f"{systems.crm_url}/crm/v1/orders",
        headers=bearer(systems.config.crm_token),
        json={"customer_id": DEMO_CUSTOMER, "lines": [{"product_code": "P-1001", "quantity": 1}]},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def error_text(browser: Chromium) -> str:
    return str(browser.evaluate("document.getElementById('error').textContent"))


@pytest.mark.parametrize(
    ("transport", "pill"), [("websocket", "live · websocket"), ("sse", "live · event stream")]
)
def test_the_page_asks_again_for_the_order_while_the_crm_is_down_and_follows_it_once_back(
    demo, browser, transport, pill
):
    gateway, systems = demo
    order_id = placed_order(systems)
    faults = Faults(systems)
    try:
        faults.set("crm", down=True)
        browser.navigate(f"{gateway.url}/track?order={order_id}&transport={transport}")
        # Asked again at least twice: each try failed as the first did, and was retried.
        browser.wait_for(f"{APP}.state === 'retrying' && Number({APP}.liveRetries) >= 2")
        assert "Live updates are retrying." in error_text(browser)
        assert browser.evaluate(f"{APP}.updates") == "0"
        assert browser.evaluate("document.getElementById('result').hidden") is True
    finally:
        faults.clear()
    # Back without a reload, once the CRM answers (and the gateway's breaker lets it).
    browser.wait_for(f"{APP}.state === 'live' && Number({APP}.updates) >= 1", timeout_s=90)
    token = httpx.get(f"{gateway.url}/track/demo-token").json()["token"]
    answer = httpx.post(
        f"{gateway.url}/graphql",
        json={
            "query": "query($id: ID!) { orderTracking(orderId: $id) { stage } }",
            "variables": {"id": order_id},
        },
        headers={**bearer(token), "Cache-Control": "no-cache"},
    ).json()
    assert browser.evaluate(f"{APP}.stage") == answer["data"]["orderTracking"]["stage"]
    assert browser.evaluate("document.getElementById('order-title').textContent") == (
        f"Order {order_id}"
    )
    assert browser.evaluate("document.getElementById('error').hidden") is True
    assert browser.evaluate(f"{APP}.transport") == transport
    assert browser.evaluate("document.getElementById('live').textContent") == pill


def test_an_unknown_order_is_shown_and_never_asked_for_again(demo, browser):
    gateway, _ = demo
    browser.navigate(f"{gateway.url}/track?order=SO-999999")
    browser.wait_for(f"{APP}.state === 'error'")
    # Longer than any first retry's delay, measured by the page's own clock.
    first_delay_ms = browser.evaluate("liveRetry.FIRST_DELAY_MS")
    browser.evaluate(f"setTimeout(() => {{ window.waited = true; }}, {4 * first_delay_ms})")
    browser.wait_for("window.waited === true")
    assert browser.evaluate(f"{APP}.liveRetries") == "0"
    assert browser.evaluate(f"{APP}.state") == "error"
    assert error_text(browser) == "There is no such order for this token."


def test_the_pages_ask_again_only_for_the_codes_of_failures_that_pass(demo, browser):
    gateway, _ = demo
    browser.navigate(f"{gateway.url}/track")
    browser.wait_for("typeof liveRetry === 'object'")
    passing = {
        UpstreamUnavailable.code,
        CircuitOpen.code,
        UpstreamTimeout.code,
        RequestDeadlineExceeded.code,
        UpstreamRateLimited.code,
        RATE_LIMITED,
    }
    lasting = [
        NotFoundError.code,
        ForbiddenError.code,
        TokenExpiredError.code,
        InputValidationError.code,
        UpstreamRejected.code,
        UpstreamBadResponse.code,
        INTERNAL_ERROR,
    ]
    assert sorted(browser.evaluate("[...liveRetry.TRANSIENT_CODES]")) == sorted(passing)

    def transient(*codes: str) -> bool:
        errors = [{"message": "x", "extensions": {"code": code}} for code in codes]
        return bool(browser.evaluate(f"liveRetry.isTransient({json.dumps(errors)})"))

    assert all(transient(code) for code in passing)
    assert not any(transient(code) for code in lasting)
    # One lasting error among passing ones would fail the next try the same way.
    assert not transient(UpstreamUnavailable.code, NotFoundError.code)
    assert not transient()
