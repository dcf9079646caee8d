"""The files the gateway's own pages share (``gateway.page_files``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.page_files import LIVE_RETRY, THEME
from simulators.runner import RunningSimulators
from tests.gateway.live_helpers import Gateway
from tests.gateway_fixtures import gateway_settings


@pytest.fixture(scope="module")
def gateway(simulators: RunningSimulators) -> Iterator[Gateway]:
    with Gateway(gateway_settings(simulators)) as served:
        yield served


def test_the_tracking_and_reports_pages_take_their_colours_from_one_shared_file(gateway):
    theme = httpx.get(f"{gateway.url}/theme.css", headers={"Accept-Encoding": "identity"})
    assert theme.status_code == 200 and theme.headers["content-type"].startswith("text/css")
    assert theme.content == THEME.read_bytes() and "--accent" in theme.text
    for page in ("/track", "/reports"):
        html = httpx.get(f"{gateway.url}{page}").text
        assert '<link rel="stylesheet" href="/theme.css">' in html, page
    for sheet in ("/track/track.css", "/reports/reports.css"):
        # Each page's own sheet uses the shared colours and no longer defines them.
        css = httpx.get(f"{gateway.url}{sheet}").text
        assert "var(--accent)" in css or "var(--ink)" in css, sheet
        assert "--accent:" not in css, sheet


def test_both_pages_load_one_shared_script_for_retrying_live_updates_before_their_own(gateway):
    script = httpx.get(f"{gateway.url}/live-retry.js", headers={"Accept-Encoding": "identity"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert script.content == LIVE_RETRY.read_bytes() and "window.liveRetry" in script.text
    for page, own in (("/track", "/track/track.js"), ("/reports", "/reports/reports.js")):
        html = httpx.get(f"{gateway.url}{page}").text
        # Deferred scripts run in document order: the helper is there when the page's runs.
        shared = html.index('<script src="/live-retry.js" defer></script>')
        assert shared < html.index(f'<script src="{own}" defer></script>'), page
        assert "liveRetry." in httpx.get(f"{gateway.url}{own}").text, own
