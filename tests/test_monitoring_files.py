"""The Grafana dashboard and the Prometheus alerts in deploy/monitoring/ name only what
the gateway exports: every metric they use appears on a running gateway's /metrics,
with the labels they filter and group by; every exported metric has a panel; the
PromQL parses (promtool), the alerts fire on the series they are about
(``promtool test rules``), and a real Prometheus scraping a gateway evaluates every
panel's query without an error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from gateway.flows import metrics as flow_metrics
from gateway.observability import metrics
from tests.gateway.chromium import in_ci
from tests.gateway.live_helpers import Gateway, free_port
from tests.gateway_fixtures import gateway_settings

MONITORING = Path(__file__).resolve().parents[1] / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana-dashboard.json"
ALERTS = MONITORING / "alerts.yaml"
# Series Prometheus makes itself, not the gateway.
PROMETHEUS_OWN = {"up"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
METRIC_NAME = re.compile(r"\b(supplygraph_[a-z_]+|up)\b(?!\s*\()")
SELECTOR = re.compile(r"\b(supplygraph_[a-z_]+)\{([^}]*)\}")
GROUPING = re.compile(r"\bby\s*\(([^)]*)\)")


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def alert_queries() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def series_suffixes(metric: MetricWrapperBase) -> tuple[str, ...]:
    """What the names of a metric's series add to its own (``_total``, ``_bucket``…)."""
    # Only the base class leaves its type unset; every metric the gateway makes has one.
    assert metric._type is not None, metric
    return SUFFIXES[metric._type]


def gateway_metrics() -> dict[str, MetricWrapperBase]:
    """The gateway's metrics by the names series carry (``…_total``, ``…_bucket``)."""
    named: dict[str, MetricWrapperBase] = {}
    for value in (*vars(metrics).values(), *vars(flow_metrics).values()):
        if isinstance(value, MetricWrapperBase):
            for suffix in series_suffixes(value):
                named[value._name + suffix] = value
    return named


def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        if in_ci():
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("needs promtool (apt-get install prometheus)")
    return binary


@pytest.fixture(scope="module")
def gateway(simulators) -> Iterator[Gateway]:
    with Gateway(gateway_settings(simulators)) as served:
        # Some traffic, so that labelled series exist as well as their families.
        httpx.post(
            f"{served.url}/graphql",
            json={"query": '{ order(id: "SO-100001") { id customer { name } } }'},
        )
        yield served


def exported_series_names(url: str) -> set[str]:
    """Every series name /metrics can carry, from each family's name and type."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_the_files_name_is_on_the_gateways_metrics(gateway, source):
    queries = dashboard_queries() if source == "dashboard" else alert_queries()
    named = {name for query in queries for name in METRIC_NAME.findall(query)}
    assert named - PROMETHEUS_OWN
    missing = named - PROMETHEUS_OWN - exported_series_names(gateway.url)
    assert not missing, f"{source} names metrics the gateway does not export: {missing}"


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_label_the_files_filter_or_group_by_is_one_the_metric_has(source):
    known = gateway_metrics()
    for query in dashboard_queries() if source == "dashboard" else alert_queries():
        used = {known[name] for name in METRIC_NAME.findall(query) if name in known}
        labels = {label for metric in used for label in metric._labelnames} | {"le"}
        for name, matchers in SELECTOR.findall(query):
            for matcher in filter(None, (m.strip() for m in matchers.split(","))):
                label = re.split(r"[=!~]", matcher, maxsplit=1)[0].strip()
                assert label in known[name]._labelnames, f"{name} has no label {label}"
        for grouping in GROUPING.findall(query):
            for label in (part.strip() for part in grouping.split(",")):
                assert label in labels, f"no metric of {query!r} has the label {label}"


def test_every_metric_the_gateway_exports_has_a_panel():
    on_dashboard = {name for query in dashboard_queries() for name in METRIC_NAME.findall(query)}
    for metric in set(gateway_metrics().values()):
        names = {metric._name + suffix for suffix in series_suffixes(metric)}
        assert names & on_dashboard, f"{metric._name} has no panel"


def test_the_dashboard_is_importable_grafana_json():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    (variable,) = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"]) == ("datasource", "datasource")
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]


def test_the_alerts_and_the_dashboards_queries_parse(tmp_path):
    binary = promtool()
    # Each panel's query as a recording rule: promtool then parses it as Prometheus would.
    records = [
        {"record": f"dashboard:panel_{i}", "expr": query.replace("$__rate_interval", "5m")}
        for i, query in enumerate(dashboard_queries())
    ]
    as_rules = tmp_path / "dashboard-rules.yaml"
    as_rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    for path in (ALERTS, as_rules):
        checked = subprocess.run(
            [binary, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alerts_fire_on_what_they_are_about_and_not_otherwise():
    tested = subprocess.run(
        [promtool(), "test", "rules", "alerts.test.yaml"],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout + tested.stderr


def query(prometheus: str, expr: str) -> dict[str, Any]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    body: dict[str, Any] = answer.json()
    return body


def test_a_real_prometheus_scraping_the_gateway_evaluates_every_panel(gateway, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        if in_ci():
            pytest.fail("prometheus is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("needs Prometheus (apt-get install prometheus)")
    port = free_port()
    target = gateway.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ALERTS)],
                "scrape_configs": [
                    {"job_name": "supplygraph-gateway", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    prometheus = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                scraped = query(prometheus, 'up{job="supplygraph-gateway"}')["data"]["result"]
                if scraped and scraped[0]["value"][1] == "1":
                    break
            except (httpx.TransportError, KeyError, ValueError):
                pass
            assert time.monotonic() < deadline, "Prometheus never scraped the gateway"
            time.sleep(0.5)
        for expr in dashboard_queries():
            answer = query(prometheus, expr.replace("$__rate_interval", "1m"))
            assert answer["status"] == "success", (expr, answer)
        # The breakers' panel shows each system, from the gateway's own series.
        breakers = query(prometheus, "max by (system) (supplygraph_upstream_breaker_state)")
        systems = {series["metric"]["system"] for series in breakers["data"]["result"]}
        assert systems == {"crm", "erp", "scm"}
        # And it evaluates every alert on them without an error.
        while True:
            groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
            health = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}
            if "unknown" not in health.values() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert set(health.values()) == {"ok"}, health
    finally:
        process.terminate()
        process.wait(timeout=20)
