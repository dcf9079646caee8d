"""The /reports page, served by the gateway and driven in headless Chromium at laptop and
phone width: every chart shows what the graph answers over HTTP, filters and drill-downs
live in the URL, a drill-down reaches /track, and a stock change and an order change
arrive without a reload.

The demo systems here send their own webhooks to the gateway, whose flows run, and which
verifies tokens with the demo's published secret and demands them (auth on): the page
must fetch the staff demo token and send it. Screenshots go to test-artifacts/reports/
(not versioned), or to $REPORTS_ARTIFACTS.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from gateway.cli import DEMO_JWT_SECRET
from gateway.reports_page import ASSETS_DIR
from schema.low_stock import MAX_LOW_STOCK_PAGE
from simulators.runner import RunningSimulators, SimulatorConfig, start_in_thread
from tests.flows.helpers import FAST_FLOWS, FLOW_TIMEOUT_S
from tests.gateway.chromium import Chromium, chromium_binary, in_ci
from tests.gateway.faulty_gateways import Faults
from tests.gateway.live_helpers import Gateway, bearer, cancel_upstream, free_port
from tests.gateway.test_stock_alerts import watched_level
from tests.gateway_fixtures import gateway_settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("REPORTS_ARTIFACTS", ROOT / "test-artifacts" / "reports"))
APP = "document.getElementById('app').dataset"
STAGES_VALUES = "JSON.parse(document.getElementById('stages-chart').dataset.values || '{}')"
CHARTS = ("finance", "customers", "stages", "products", "flows")
LAPTOP = (1366, 768)
PHONE = (390, 844)
# The page's own tables (reports.js), restated: the test checks the page against them.
TOP_CUSTOMERS = 10
PRODUCTS_SHOWN = 12
STATUS_STAGE = {
    "CONFIRMED": "ORDERED",
    "IN_PRODUCTION": "IN_PRODUCTION",
    "READY": "READY_TO_SHIP",
    "SHIPPED": "IN_TRANSIT",
    "DELIVERED": "DELIVERED",
    "CANCELLED": "CANCELLED",
}
FOLLOWED = {"CONFIRMED", "IN_PRODUCTION", "READY", "SHIPPED"}
FLOW_OUTCOMES = {"succeeded": "ok", "skipped": "ok", "failed": "retried", "dead": "dead"}


class Demo:
    def __init__(self, gateway: Gateway, systems: RunningSimulators) -> None:
        self.gateway = gateway
        self.systems = systems
        self.token = httpx.get(f"{gateway.url}/reports/demo-token").json()["token"]

    @property
    def url(self) -> str:
        return self.gateway.url

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**bearer(self.token), "Cache-Control": "no-cache"},
            timeout=30,
        )
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return dict(body["data"])


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """Demo systems whose webhooks reach a gateway with the demo secret and its flows on."""
    port = free_port()
    systems = start_in_thread(SimulatorConfig(webhook_url=f"http://127.0.0.1:{port}"))
    settings = gateway_settings(
        systems,
        jwt_secret=SecretStr(DEMO_JWT_SECRET),
        auth_disabled=False,
        flows_enabled=True,
        **FAST_FLOWS,
    )
    try:
        with Gateway(settings, port=port) as gateway:
            world = Demo(gateway, systems)
            place_order_and_let_the_flows_run(world)
            yield world
    finally:
        systems.stop()


def place_order_and_let_the_flows_run(demo: Demo) -> None:
    """An order placed in the CRM starts the flows; the runs they leave fill the chart."""
    response = httpx.post(
        f"{demo.systems.crm_url}/crm/v1/orders",
        headers=bearer(demo.systems.config.crm_token),
        json={"customer_id": "C-000002", "lines": [{"product_code": "P-1001", "quantity": 2}]},
    )
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + FLOW_TIMEOUT_S
    seen, steady = -1, 0
    while steady < 5:  # the same count five polls in a row: the flows are done
        assert time.monotonic() < deadline, "the flows never settled"
        runs = len(flow_runs(demo))
        steady = steady + 1 if runs == seen and runs > 0 else 0
        seen = runs
        time.sleep(0.2)


def flow_runs(demo: Demo) -> list[dict[str, Any]]:
    query = """query($after: String) { flowRuns(first: 100, after: $after) {
      edges { node { flow status } } pageInfo { hasNextPage endCursor } } }"""
    runs, _ = every_node(demo, query, "flowRuns", {}, max_pages=5)
    return runs


def every_node(
    demo: Demo,
    query: str,
    field: str,
    variables: dict[str, Any],
    *,
    max_pages: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The nodes of a connection, page after page (``after`` and ``pageInfo``), up to
    ``max_pages``; and the last page read."""
    nodes: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        page = demo.graphql(query, {**variables, "after": after})[field]
        nodes += [edge["node"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"] or pages == max_pages:
            return nodes, page
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
def browser() -> Iterator[Chromium]:
    binary = chromium_binary()
    if binary is None:
        if in_ci():
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("needs Debian's chromium package (apt-get install chromium)")
    with Chromium(binary, timeout_s=60) as chromium:
        # Screenshots as wide as the page: no scrollbar taking 15 px of it.
        chromium.call("Emulation.setScrollbarsHidden", hidden=True)
        yield chromium


def size(browser: Chromium, width_height: tuple[int, int]) -> None:
    width, height = width_height
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1 if width > 600 else 2,
        mobile=width <= 600,
    )


def open_page(browser: Chromium, url: str) -> None:
    browser.navigate(url)
    browser.wait_for(f"{APP}.state === 'ready' || {APP}.state === 'error'")
    error = browser.evaluate("document.getElementById('error').textContent")
    assert browser.evaluate(f"{APP}.state") == "ready", error


def shown(browser: Chromium, chart: str) -> dict[str, Any]:
    values = browser.evaluate(f"document.getElementById('{chart}-chart').dataset.values")
    return dict(json.loads(values))


def month_start(now: datetime, months_back: int) -> datetime:
    index = now.year * 12 + now.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


# --- what the graph answers, over HTTP


def expected_finance(demo: Demo, months: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    period = {
        "from": month_start(now, months - 1).isoformat(),
        "to": month_start(now, -1).isoformat(),
    }
    series = ("revenue", "productionCost", "purchaseCost", "profit")
    fields = " ".join(f"{name} {{ amount }}" for name in series)
    summary = demo.graphql(
        f"""query($from: DateTime!, $to: DateTime!) {{ financeSummary(from: $from, to: $to,
        groupBy: MONTH) {{ groups {{ key figures {{ {fields} }} }} }} }}""",
        period,
    )["financeSummary"]
    expected: dict[str, Any] = {"months": [group["key"] for group in summary["groups"]]}
    for name in series:
        expected[name] = [group["figures"][name]["amount"] for group in summary["groups"]]
    return expected


def top_customers(demo: Demo, segment: str | None = None) -> list[dict[str, Any]]:
    query = """query($segment: CustomerSegment, $after: String) {
      customers(first: 200, after: $after, segment: $segment) { edges { node { id segment
      lifetimeValue { amount } } } pageInfo { hasNextPage endCursor } } }"""
    everyone, _ = every_node(demo, query, "customers", {"segment": segment})

    def value(customer: dict[str, Any]) -> float:
        return float(customer["lifetimeValue"]["amount"]) if customer["lifetimeValue"] else 0.0

    return sorted(everyone, key=lambda customer: (-value(customer), customer["id"]))[:TOP_CUSTOMERS]


def expected_stages(demo: Demo, customer_ids: list[str]) -> dict[str, list[int]]:
    """Per customer and stage, their latest 50 orders: open ones at the stage orderTracking
    answers, the others at their status's."""
    orders_of = {
        customer_id: demo.graphql(
            "query($id: ID!) { customer(id: $id) { orders(first: 50) { id status } } }",
            {"id": customer_id},
        )["customer"]["orders"]
        for customer_id in customer_ids
    }
    stage: dict[str, str] = {}
    for orders in orders_of.values():
        for order in orders:
            if order["status"] in FOLLOWED:
                tracking = demo.graphql(
                    "query($id: ID!) { orderTracking(orderId: $id) { stage } }", {"id": order["id"]}
                )["orderTracking"]
                stage[order["id"]] = tracking["stage"]
            else:
                stage[order["id"]] = STATUS_STAGE[order["status"]]
    return {
        key: [
            sum(1 for order in orders_of[customer_id] if stage[order["id"]] == key)
            for customer_id in customer_ids
        ]
        for key in STATUS_STAGE.values()
    }


def followed_orders(demo: Demo, customer_ids: list[str]) -> list[str]:
    found: list[str] = []
    for customer_id in customer_ids:
        orders = demo.graphql(
            "query($id: ID!) { customer(id: $id) { orders(first: 50) { id status } } }",
            {"id": customer_id},
        )["customer"]["orders"]
        found += [order["id"] for order in orders if order["status"] in FOLLOWED]
    return found


def low_stock(demo: Demo, warehouse: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Every row below its reorder point, page by page (they come in sku order, so the
    furthest below can be on any page), and the last page's totalCount."""
    query = f"""query($warehouse: String, $after: String) {{
      lowStock(first: {MAX_LOW_STOCK_PAGE}, after: $after, warehouse: $warehouse) {{
        totalCount edges {{ node {{ shortBy level {{ warehouse available reorderPoint }}
        product {{ code coverage {{ availableToPromise openPurchaseQuantity openDemand }} }} }} }}
        pageInfo {{ hasNextPage endCursor }} }} }}"""
    rows, last = every_node(demo, query, "lowStock", {"warehouse": warehouse})
    return rows, int(last["totalCount"])


def expected_products(demo: Demo, warehouse: str | None = None) -> dict[str, Any]:
    rows, total = low_stock(demo, warehouse)
    furthest: dict[str, int] = {}
    coverage: dict[str, dict[str, int]] = {}
    below: dict[str, list[str]] = {}
    for node in rows:
        code, level = node["product"]["code"], node["level"]
        short = level["reorderPoint"] - level["available"]
        furthest[code] = max(furthest.get(code, 0), short)
        coverage[code] = node["product"]["coverage"]
        below.setdefault(code, []).append(level["warehouse"])
    codes = sorted(furthest, key=lambda code: (-furthest[code], code))[:PRODUCTS_SHOWN]
    expected: dict[str, Any] = {"codes": codes, "totalCount": total}
    for key in ("openDemand", "availableToPromise", "openPurchaseQuantity"):
        expected[key] = [coverage[code][key] for code in codes]
    expected["below"] = {code: sorted(below[code]) for code in codes}
    return expected


def furthest_below(demo: Demo) -> str:
    """The product of the row furthest below its reorder point, by the graph's shortBy."""
    rows, _ = low_stock(demo)
    furthest = min(rows, key=lambda row: (-row["shortBy"], row["product"]["code"]))
    return str(furthest["product"]["code"])


def products_chart_settles_on_the_graph(browser: Chromium, demo: Demo) -> dict[str, Any]:
    """The chart once the page has read the graph again after the alerts: the SCM may send
    more than one, each restarting the page's debounce, so until both agree."""
    browser.wait_for(f"Number({APP}.stockReads) >= 1")
    deadline = time.monotonic() + 30
    while True:
        expected = expected_products(demo)
        if shown(browser, "products") == expected:
            return expected
        assert time.monotonic() < deadline, (shown(browser, "products"), expected)
        time.sleep(0.3)


def expected_flows(demo: Demo) -> dict[str, Any]:
    runs = flow_runs(demo)
    counted = Counter((run["flow"], FLOW_OUTCOMES[run["status"]]) for run in runs)
    flows = sorted({run["flow"] for run in runs})
    expected: dict[str, Any] = {"flows": flows, "runs": len(runs)}
    for outcome in ("ok", "retried", "dead"):
        expected[outcome] = [counted[(flow, outcome)] for flow in flows]
    return expected


# --- in the browser


def click_bar(
    browser: Chromium,
    chart: str,
    index: int,
    value: float,
    horizontal: bool = False,
    events: tuple[str, ...] = ("mousePressed", "mouseReleased"),
) -> None:
    """A real mouse click on a chart's bar (or ``events``, e.g. a hover): where ECharts
    drew it, in page coordinates."""
    data = [value, index] if horizontal else [index, value]
    point = browser.evaluate(
        f"""(() => {{
          const element = document.getElementById('{chart}-chart');
          element.scrollIntoView({{block: 'center'}});
          const [x, y] = echarts.getInstanceByDom(element)
            .convertToPixel({{seriesIndex: 0}}, {json.dumps(data)});
          const box = element.getBoundingClientRect();
          return [box.x + x, box.y + y];
        }})()"""
    )
    for kind in events:
        browser.call(
            "Input.dispatchMouseEvent",
            type=kind,
            x=point[0],
            y=point[1] - (0 if horizontal else 3),  # inside the bar, not on its edge
            button="left",
            clickCount=1,
        )


def test_every_chart_shows_what_the_graph_answers_and_updates_live(demo, browser):
    size(browser, LAPTOP)
    open_page(browser, f"{demo.url}/reports")
    # The page fetched a staff demo token by itself (auth is on: no token, no chart).
    page_token = browser.evaluate("document.getElementById('token').value")
    assert "customer_id" not in jwt.decode(page_token, DEMO_JWT_SECRET, algorithms=["HS256"])

    assert shown(browser, "finance") == expected_finance(demo, 12)
    customers = top_customers(demo)
    ids = [customer["id"] for customer in customers]
    assert shown(browser, "customers") == {
        "ids": ids,
        "lifetimeValue": [customer["lifetimeValue"]["amount"] for customer in customers],
    }
    followed = followed_orders(demo, ids)
    assert followed, "the top customers have open orders to follow"
    # Drawn once every followed order's live stage has arrived.
    browser.wait_for(f"{STAGES_VALUES}.tracked === {len(followed)}")
    assert shown(browser, "stages") == {
        "ids": ids,
        "stages": expected_stages(demo, ids),
        "tracked": len(followed),
    }
    products_before = shown(browser, "products")
    assert products_before == expected_products(demo)
    # Rows come in sku order: the product furthest below may be on any of them.
    assert products_before["codes"][0] == furthest_below(demo)
    assert shown(browser, "flows") == expected_flows(demo)
    assert sum(shown(browser, "flows")["ok"]) >= 1
    assert browser.evaluate(f"{APP}.cspViolations") == "0"
    shots = [browser.screenshot(ARTIFACTS / "reports-1366.png")]

    # A stock count empties a level: the SCM's webhook, the gateway's alert, the page.
    level = watched_level(demo.systems)
    httpx.post(
        f"{demo.systems.scm_url}/_sim/stock",
        json={"sku": level.sku, "warehouse": level.warehouse, "onHand": 0},
    ).raise_for_status()
    alert = (
        f'document.querySelector(\'#alerts li[data-sku="{level.sku}"]'
        f'[data-warehouse="{level.warehouse}"][data-kind="BELOW_REORDER_POINT"]\')'
    )
    browser.wait_for(f"!!{alert}")
    # The SCM may tell of the sku's other warehouses in the same webhook: at least ours.
    assert int(browser.evaluate(f"{APP}.alerts")) >= 1
    assert shown(browser, "products")["totalCount"] >= products_before["totalCount"] + 1
    # The alerts' own +1/-1 is replaced by what the graph answers, once they have stopped.
    total = low_stock(demo)[1]
    browser.wait_for(
        "JSON.parse(document.getElementById('products-chart').dataset.values).totalCount === "
        f"{total} && Number({APP}.stockReads) >= 1"
    )
    assert products_chart_settles_on_the_graph(browser, demo)["codes"][0] == furthest_below(demo)

    # An open order is cancelled in the CRM: its customer's bar moves without a reload.
    order_id = followed[0]
    owner = next(
        customer_id for customer_id in ids if order_id in followed_orders(demo, [customer_id])
    )
    row = ids.index(owner)
    cancelled_before = shown(browser, "stages")["stages"]["CANCELLED"][row]
    cancel_upstream(demo.systems, order_id)
    browser.wait_for(f"Number({APP}.orderUpdates) >= 1")
    browser.wait_for(f"{STAGES_VALUES}.stages.CANCELLED[{row}] === {cancelled_before + 1}")
    shots.append(browser.screenshot(ARTIFACTS / "reports-1366-after-alert.png"))

    size(browser, PHONE)
    open_page(browser, f"{demo.url}/reports")
    still_open = followed_orders(demo, ids)  # less the one cancelled
    browser.wait_for(f"{STAGES_VALUES}.tracked === {len(still_open)}")
    assert browser.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert browser.evaluate(f"{APP}.cspViolations") == "0"
    shots.append(browser.screenshot(ARTIFACTS / "reports-390.png"))
    for shot in shots:
        assert shot.stat().st_size > 10_000


def test_a_month_drills_down_to_its_orders_and_an_order_to_the_tracking_page(demo, browser):
    size(browser, LAPTOP)
    open_page(browser, f"{demo.url}/reports")
    finance = shown(browser, "finance")
    index = len(finance["months"]) - 2  # a whole month
    month = finance["months"][index]
    click_bar(browser, "finance", index, float(finance["revenue"][index]) * 0.9)
    browser.wait_for(
        "document.getElementById('drill').dataset.state === 'ready' && "
        f"document.getElementById('drill').dataset.key === '{month}'"
    )
    assert re.search(rf"[?&]drill=month%3A{month}\b", browser.evaluate("location.search"))
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    orders = demo.graphql(
        """query($from: DateTime!, $to: DateTime!) { orderList(createdFrom: $from,
        createdTo: $to, first: 50) { edges { node { id } } } }""",
        {"from": start.isoformat(), "to": month_start(start, -1).isoformat()},
    )["orderList"]["edges"]
    links = browser.evaluate(
        "[...document.querySelectorAll('#drill-table .track-link')].map(a => a.dataset.order)"
    )
    assert links == [edge["node"]["id"] for edge in orders]
    assert not browser.evaluate("document.getElementById('drill-more').hidden")
    # The tooltip is built from DOM nodes: it shows, and the strict CSP refuses nothing.
    click_bar(
        browser, "finance", index, float(finance["revenue"][index]) * 0.5, False, ("mouseMoved",)
    )
    title = browser.wait_for("document.querySelector('#finance-chart .tip-title')?.textContent")
    assert title and browser.evaluate(f"{APP}.cspViolations") == "0"
    browser.screenshot(ARTIFACTS / "reports-1366-drill-month.png")

    # The largest customer (the top bar) drills down to its orders, a flow to its runs.
    customers = shown(browser, "customers")
    top = len(customers["ids"]) - 1  # drawn from the bottom up
    click_bar(browser, "customers", top, float(customers["lifetimeValue"][0]) / 2, True)
    browser.wait_for(f"document.getElementById('drill').dataset.key === '{customers['ids'][0]}'")
    orders_of_top = demo.graphql(
        "query($id: ID!) { customer(id: $id) { orders(first: 50) { id } } }",
        {"id": customers["ids"][0]},
    )["customer"]["orders"]
    assert browser.evaluate(
        "[...document.querySelectorAll('#drill-table .track-link')].map(a => a.dataset.order)"
    ) == [order["id"] for order in orders_of_top]
    flows = shown(browser, "flows")
    click_bar(browser, "flows", 0, flows["ok"][0] / 2, True)
    browser.wait_for(
        f"document.getElementById('drill').dataset.key === '{flows['flows'][0]}' && "
        "document.getElementById('drill').dataset.state === 'ready'"
    )
    runs_of_flow = demo.graphql(
        "query($flow: String) { flowRuns(flow: $flow, first: 50) { edges { node { id } } } }",
        {"flow": flows["flows"][0]},
    )["flowRuns"]["edges"]
    assert browser.evaluate("document.getElementById('drill').dataset.rows") == str(
        len(runs_of_flow)
    )

    # Back to the month, whose first order is another customer's: /track follows it with
    # the staff token the link hands on.
    click_bar(browser, "finance", index, float(finance["revenue"][index]) * 0.9)
    browser.wait_for(f"document.getElementById('drill').dataset.key === '{month}'")
    browser.wait_for("document.getElementById('drill').dataset.state === 'ready'")
    order_id = links[0]
    browser.evaluate("document.querySelector('#drill-table .track-link').click()")
    browser.wait_for(
        f"location.pathname === '/track' && {APP}.state === 'live' && Number({APP}.updates) >= 1"
    )
    assert browser.evaluate("location.search") == f"?order={order_id}"
    assert browser.evaluate("location.hash") == ""  # /track dropped the token from the URL
    assert browser.evaluate("document.getElementById('order-title').textContent") == (
        f"Order {order_id}"
    )


def test_filters_and_the_open_drill_down_are_restored_from_the_url(demo, browser):
    size(browser, LAPTOP)
    warehouse = watched_level(demo.systems).warehouse
    code = expected_products(demo, warehouse)["codes"][0]
    open_page(
        browser,
        f"{demo.url}/reports?period=6&segment=SMB&warehouse={warehouse}&drill=product:{code}",
    )
    selects = browser.evaluate(
        "['period', 'segment', 'warehouse'].map(id => document.getElementById(id).value)"
    )
    assert selects == ["6", "SMB", warehouse]
    assert shown(browser, "finance") == expected_finance(demo, 6)
    smb = top_customers(demo, "SMB")
    assert shown(browser, "customers")["ids"] == [customer["id"] for customer in smb]
    assert {customer["segment"] for customer in smb} == {"SMB"}
    assert shown(browser, "products") == expected_products(demo, warehouse)
    browser.wait_for("document.getElementById('drill').dataset.state === 'ready'")
    assert browser.evaluate("document.getElementById('drill-title').textContent").startswith(code)
    demand = demo.graphql(
        "query($code: ID!) { product(code: $code) { demand { order { id } } } }", {"code": code}
    )["product"]["demand"]
    assert browser.evaluate(
        "[...document.querySelectorAll('#drill-table .track-link')].map(a => a.dataset.order)"
    ) == [line["order"]["id"] for line in demand]

    # A filter changed on the page is written back to the URL.
    browser.evaluate(
        "(s => { s.value = 'ENTERPRISE'; s.dispatchEvent(new Event('change')); })"
        "(document.getElementById('segment'))"
    )
    browser.wait_for(f"{APP}.state === 'ready' && location.search.includes('segment=ENTERPRISE')")
    enterprise = top_customers(demo, "ENTERPRISE")
    browser.wait_for(
        "JSON.parse(document.getElementById('customers-chart').dataset.values).ids[0] === "
        f"'{enterprise[0]['id']}'"
    )


def test_orders_whose_live_updates_failed_to_start_while_the_crm_was_down_are_asked_for_again(
    demo, browser
):
    size(browser, LAPTOP)
    open_page(browser, f"{demo.url}/reports")
    ids = shown(browser, "customers")["ids"]
    followed = followed_orders(demo, ids)
    browser.wait_for(f"{STAGES_VALUES}.tracked === {len(followed)}")
    faults = Faults(demo.systems)
    try:
        faults.set("crm", down=True)
        # The charts come from the gateway's cache (stale-if-error); each subscription's
        # start reads the order from the CRM itself, past the cache, and fails.
        open_page(browser, f"{demo.url}/reports")
        browser.wait_for(
            f"Number({APP}.liveRetries) >= {len(followed)} && "
            "document.getElementById('live').textContent === 'retrying…'"
        )
        assert "Live updates are retrying." in browser.evaluate(
            "document.getElementById('error').textContent"
        )
        assert browser.evaluate(f"{APP}.tracked") == "0"
    finally:
        faults.clear()
    browser.wait_for(f"{STAGES_VALUES}.tracked === {len(followed)}", timeout_s=90)
    assert shown(browser, "stages")["stages"] == expected_stages(demo, ids)
    browser.wait_for("document.getElementById('error').hidden")
    assert browser.evaluate("document.getElementById('live').textContent") == "live"
    assert browser.evaluate(f"{APP}.cspViolations") == "0"


def test_without_a_demo_token_the_page_asks_for_a_staff_token(demo, browser):
    settings = gateway_settings(
        demo.systems, jwt_secret=SecretStr("a-real-secret-32-bytes-long!!"), auth_disabled=False
    )
    with Gateway(settings) as real:
        size(browser, PHONE)
        browser.navigate(f"{real.url}/reports")
        browser.wait_for(f"{APP}.state === 'needs-token'")
        assert browser.evaluate("document.getElementById('token-box').open") is True
        assert "staff token" in browser.evaluate("document.getElementById('error').textContent")


# --- plain HTTP


def vendored_sha256(path_in_package: str) -> str:
    text = (ASSETS_DIR / "VENDORED.md").read_text()
    match = re.search(rf"^([0-9a-f]{{64}})  {re.escape(path_in_package)}$", text, re.MULTILINE)
    assert match, f"VENDORED.md records no sha256 for {path_in_package}"
    return match.group(1)


def test_the_page_and_its_files_are_served_with_a_strict_content_security_policy(demo):
    page = httpx.get(f"{demo.url}/reports")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("reports.js", "reports.css", "LICENSE.echarts", "NOTICE.echarts"):
        answer = httpx.get(f"{demo.url}/reports/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-security-policy"] == policy
    assert httpx.get(f"{demo.url}/reports/reports.html").status_code == 404
    assert httpx.get(f"{demo.url}/reports/secrets.txt").status_code == 404
    assert 'href="/reports"' in httpx.get(f"{demo.url}/").text


def test_the_vendored_echarts_is_the_npm_releases_file_byte_for_byte(demo):
    answer = httpx.get(f"{demo.url}/reports/echarts.min.js", headers={"Accept-Encoding": "br"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "br"
    assert "javascript" in answer.headers["content-type"]
    assert hashlib.sha256(answer.content).hexdigest() == vendored_sha256("dist/echarts.min.js")
    assert "Apache License" in (ASSETS_DIR / "LICENSE.echarts").read_text()
    # No CDN anywhere in the page's own files.
    for name in ("reports.html", "reports.js", "reports.css"):
        assert not re.search(r"https?://", (ASSETS_DIR / name).read_text()), name


def test_the_staff_demo_token_is_handed_out_only_by_a_demo_gateway(demo):
    handed = httpx.get(f"{demo.url}/reports/demo-token")
    assert handed.headers["cache-control"] == "no-store"
    claims = jwt.decode(handed.json()["token"], DEMO_JWT_SECRET, algorithms=["HS256"])
    assert "customer_id" not in claims and "crm:read" in claims["scope"]
    settings = gateway_settings(demo.systems, jwt_secret=SecretStr("a-real-secret-32-bytes-long!!"))
    with Gateway(settings) as real:
        assert httpx.get(f"{real.url}/reports/demo-token").status_code == 404
        assert httpx.get(f"{real.url}/reports").status_code == 200


def test_every_file_the_page_needs_is_in_the_packages_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["gateway"]
    for path in ASSETS_DIR.iterdir():
        relative = path.relative_to(ROOT / "gateway").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
