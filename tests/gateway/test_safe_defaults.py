"""Outside the demo ``serve`` refuses the demo systems' public credentials; the demo, and
any gateway with auth off, says so loudly."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.safe_defaults import demo_credentials_in_use
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.gateway.live_helpers import free_port
from tests.gateway_fixtures import JWT_SECRET, gateway_settings

ROOT = Path(__file__).resolve().parents[2]
REAL_CREDENTIALS = {
    "GATEWAY_CRM_TOKEN": "real-crm-token",
    "GATEWAY_ERP_API_KEY": "real-erp-key",
    "GATEWAY_SCM_TOKEN": "real-scm-token",
    "GATEWAY_WEBHOOK_SECRET_CRM": "real-crm-hook",
    "GATEWAY_WEBHOOK_SECRET_ERP": "real-erp-hook",
    "GATEWAY_WEBHOOK_SECRET_SCM": "real-scm-hook",
}


def serve(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        # Real systems, elsewhere (refused before anything connects to them).
        "GATEWAY_CRM_URL": "https://crm.example.test/crm/v1",
        "GATEWAY_ERP_URL": "https://erp.example.test",
        "GATEWAY_SCM_URL": "https://scm.example.test",
        "GATEWAY_JWT_SECRET": JWT_SECRET,
        **env,
    }
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(free_port())]
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("left_default", sorted(REAL_CREDENTIALS))
def test_serve_with_real_upstreams_refuses_each_demo_credential_and_names_it(left_default):
    env = {name: value for name, value in REAL_CREDENTIALS.items() if name != left_default}
    finished = serve(**env)

    assert finished.returncode != 0
    assert "refusing to start" in finished.stderr
    assert left_default in finished.stderr
    assert [name for name in REAL_CREDENTIALS if name in finished.stderr] == [left_default]
    assert "GraphiQL" not in finished.stdout  # it never got as far as serving


def test_with_every_credential_set_nothing_is_refused_and_the_demo_itself_is_left_alone():
    configured = Settings.from_env({"GATEWAY_CRM_URL": "https://crm.example", **REAL_CREDENTIALS})
    on_defaults = Settings.from_env({"GATEWAY_CRM_URL": "https://crm.example"})

    assert demo_credentials_in_use(configured) == []
    assert len(demo_credentials_in_use(on_defaults)) == 6
    assert demo_credentials_in_use(Settings()) == []  # no URL: the demo systems
    # The demo systems run apart on this machine (`supplygraph simulators`) take them.
    local = Settings(crm_url="http://127.0.0.1:8101", erp_url="http://localhost:8102")
    assert demo_credentials_in_use(local) == []
    mixed = Settings(crm_url="http://127.0.0.1:8101", erp_url="https://erp.example")
    assert len(demo_credentials_in_use(mixed)) == 6


def test_a_gateway_with_auth_off_logs_a_banner_saying_so(simulators, caplog):
    caplog.set_level(logging.WARNING, logger="supplygraph")
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        httpx.get(f"{server.url}/healthz")
    secured = gateway_settings(simulators, jwt_secret=JWT_SECRET).model_copy(
        update={"auth_disabled": False}
    )
    caplog_before = len(caplog.records)
    with ThreadedServer(create_app(secured)):
        pass

    banners = [r for r in caplog.records if "AUTH IS OFF" in r.getMessage()]
    assert len(banners) == 1
    assert banners[0].levelno == logging.WARNING
    assert not any("AUTH IS OFF" in r.getMessage() for r in caplog.records[caplog_before:])


def test_the_demo_starts_on_its_own_credentials_and_warns_that_auth_is_off():
    """The demo sets upstream URLs itself (its own systems): no refusal for those."""
    port = free_port()
    environment = {"PATH": "/usr/bin:/bin", "GATEWAY_LOG_FORMAT": "text"}
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
    lines: list[str] = []
    ready = None
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if "AUTH IS OFF" in line:
                    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
                    break
        finally:
            process.terminate()
            process.wait(timeout=30)

    output = "".join(lines)
    assert "refusing" not in output
    assert "staff:" in output  # the demo tokens are printed
    assert ready is not None and ready.status_code == 200
