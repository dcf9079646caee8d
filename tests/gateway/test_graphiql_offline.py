"""GraphiQL as a person opens it: served by the gateway from the package, in a Chromium
that can resolve no host but 127.0.0.1 (so any CDN fetch would fail), it runs the
example dashboard with the demo's staff token and shows the schema in the Docs pane.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gateway.cli import DEMO_JWT_SECRET
from gateway.graphiql_page import ASSETS_DIR
from simulators.runner import RunningSimulators
from tests.gateway.chromium import CdpError, Chromium, chromium_binary, in_ci
from tests.gateway.live_helpers import Gateway
from tests.gateway_fixtures import gateway_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Every name resolves to nothing, except the gateway's own address.
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
ATTEMPTS = 3
ATTEMPT_TIMEOUT_S = 15.0
RESULT = "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"


@pytest.fixture(scope="module")
def demo_gateway(simulators: RunningSimulators) -> Iterator[Gateway]:
    """Set up as `supplygraph serve` sets up the demo: demo secret, auth off."""
    settings = gateway_settings(
        simulators, jwt_secret=SecretStr(DEMO_JWT_SECRET), auth_disabled=True
    )
    with Gateway(settings) as gateway:
        yield gateway


@pytest.fixture
def offline_browser() -> Iterator[Chromium]:
    binary = chromium_binary()
    if binary is None:
        if in_ci():
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    with Chromium(binary, timeout_s=60, extra_flags=OFFLINE) as chromium:
        chromium.call(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield chromium


def click(browser: Chromium, element: str, timeout_s: float | None = None) -> None:
    """A real mouse click (pressed and released) in the middle of ``element``, a JS
    expression, once it is there (within ``timeout_s``): GraphiQL's menus open on the
    pointer going down, not on ``click()``."""
    browser.wait_for(f"!!({element})", timeout_s=timeout_s)
    box = browser.evaluate(
        f"(r => [r.x + r.width / 2, r.y + r.height / 2])(({element}).getBoundingClientRect())"
    )
    for kind in ("mousePressed", "mouseReleased"):
        browser.call(
            "Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1
        )


def retried(browser: Chromium, act: Callable[[], object], outcome: str) -> Any:
    """``outcome``'s value once ``act`` brought it about; ``act`` is tried again if not:
    a click that lands while a menu is still sliding in does nothing."""
    for _ in range(ATTEMPTS - 1):
        try:
            act()
            return browser.wait_for(outcome, timeout_s=ATTEMPT_TIMEOUT_S)
        except CdpError:
            browser.call("Input.dispatchKeyEvent", type="keyDown", key="Escape")
            browser.call("Input.dispatchKeyEvent", type="keyUp", key="Escape")
    act()
    return browser.wait_for(outcome)


def by_text(selector: str, text: str) -> str:
    return (
        f"[...document.querySelectorAll({selector!r})].find(e => e.textContent.trim() === {text!r})"
    )


def test_graphiql_runs_the_example_dashboard_and_shows_the_docs_with_no_network(
    demo_gateway, offline_browser
):
    browser = offline_browser
    # First, that the browser really is offline: a CDN's name does not resolve.
    browser.navigate("https://unpkg.com/react@18.2.0/umd/react.production.min.js")
    browser.wait_for("document.readyState === 'complete'")
    assert "react" not in browser.evaluate("document.body.innerText").lower()

    browser.navigate(f"{demo_gateway.url}/graphql")
    browser.wait_for("!!document.querySelector('.graphiql-execute-button')")
    editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
    assert "query Dashboard" in browser.wait_for(f"{editor}.getValue()")
    # The demo's staff token sits in the Headers pane (the tools' second editor).
    headers = browser.evaluate(
        "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1].CodeMirror.getValue()"
    )
    assert re.search(r'"Authorization": "Bearer [\w-]+\.[\w-]+\.[\w-]+"', headers)

    # Several operations: the ▶ button asks which one to run; the first is the dashboard.
    def run_the_dashboard() -> None:
        click(browser, "document.querySelector('.graphiql-execute-button')")
        # A click on a page still settling may open no menu: then the next try clicks again.
        click(browser, by_text("[role=menuitem]", "Dashboard"), timeout_s=ATTEMPT_TIMEOUT_S)

    answer = retried(browser, run_the_dashboard, f"{RESULT}.includes('\"customers\"') && {RESULT}")
    assert '"errors"' not in answer
    assert '"lifetimeValue"' in answer and '"orders"' in answer

    # The Docs pane lists the schema's root types, and a type's fields.
    def show_the_query_type() -> None:
        # Each step only if still needed: a retry must not undo what the last try did
        # (on a loaded machine the pane or the schema may simply have come late).
        if not browser.evaluate("!!document.querySelector('.graphiql-doc-explorer')"):
            click(browser, "document.querySelector('[aria-label=\"Show Documentation Explorer\"]')")
        query_link = by_text(".graphiql-doc-explorer a", "Query")
        if browser.evaluate(f"!!({query_link})"):
            click(browser, query_link)

    docs = retried(
        browser,
        show_the_query_type,
        "(t => t.includes('orderTracking') && t)"
        "(document.querySelector('.graphiql-doc-explorer')?.innerText || '')",
    )
    assert "customers" in docs and "CustomerConnection" in docs

    # The explorer plugin is there and lists the query's root fields.
    click(browser, "document.querySelector('[aria-label=\"Show GraphiQL Explorer\"]')")
    explorer = browser.wait_for(
        "(e => e && e.innerText.includes('orderTracking') && e.innerText)"
        "(document.querySelector('.graphiql-explorer-root'))"
    )
    assert "customers" in explorer

    # Everything the page loaded came from the gateway.
    loaded = browser.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    assert loaded and all(url.startswith(demo_gateway.url) for url in loaded), loaded
    browser.screenshot(ARTIFACTS / "graphiql-offline.png")


def test_the_graphiql_page_references_no_host_but_its_own(demo_gateway):
    page = httpx.get(f"{demo_gateway.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(not re.match(r"\w+:", s) or s == "data:," for s in sources)
    for source in sources:
        if source.startswith("graphiql/"):
            asset = httpx.get(f"{demo_gateway.url}/{source}")
            assert asset.status_code == 200, source
    # The licences of what is vendored are shipped and served beside it.
    for licence in (
        "LICENSE.graphiql",
        "LICENSE.react",
        "LICENSE.react-dom",
        "LICENSE.plugin-explorer",
    ):
        assert (ASSETS_DIR / licence).exists()
        assert httpx.get(f"{demo_gateway.url}/graphiql/{licence}").status_code == 200
    assert httpx.get(f"{demo_gateway.url}/graphiql/index.html").status_code == 404
    assert httpx.get(f"{demo_gateway.url}/graphiql/..%2Fsettings.py").status_code == 404


def test_a_gateway_with_its_own_secret_prefills_no_token(simulators):
    settings = gateway_settings(simulators, jwt_secret=SecretStr("a-real-secret-32-bytes-long!!"))
    with Gateway(settings) as gateway:
        page = httpx.get(f"{gateway.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "query Dashboard" in page.text
    assert "Bearer" not in page.text


def test_with_graphiql_off_neither_the_page_nor_its_assets_are_served(simulators):
    with Gateway(gateway_settings(simulators, graphiql=False)) as gateway:
        page = httpx.get(f"{gateway.url}/graphql", headers={"Accept": "text/html"})
        asset = httpx.get(f"{gateway.url}/graphiql/graphiql.min.js")
    assert "query Dashboard" not in page.text and "<script" not in page.text
    assert page.status_code == asset.status_code == 404


def test_the_root_path_links_to_graphiql_tracking_metrics_and_readiness(demo_gateway):
    index = httpx.get(f"{demo_gateway.url}/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    links = set(re.findall(r'href="([^"]+)"', index.text))
    assert {"/graphql", "/track", "/metrics", "/readyz"} <= links
    for link in links:
        assert httpx.get(
            f"{demo_gateway.url}{link}", headers={"Accept": "text/html"}
        ).status_code in (200, 503)


def test_every_file_the_page_needs_is_in_the_packages_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["gateway"]
    for path in ASSETS_DIR.iterdir():
        relative = path.relative_to(ROOT / "gateway").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative
