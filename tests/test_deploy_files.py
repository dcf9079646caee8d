"""The Dockerfile, docker-compose.yml and Kubernetes manifests agree with the code.

Docker cannot run here, so the files are read: commands must parse with the CLI's own
parser, every ``GATEWAY_*`` variable they set must be a field of ``Settings`` (and load
as one), ports must line up, probes must hit routes the app has, and every credential
must come from the Secret, not the ConfigMap.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from starlette.routing import Route

from gateway.app import create_app
from gateway.cli import build_parser
from gateway.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
# Read by libraries, not by Settings.
OTHER_VARIABLES = re.compile(r"^(OTEL_[A-Z_]+|PROMETHEUS_MULTIPROC_DIR)$")


def app_paths() -> set[str]:
    app = create_app(Settings(crm_url="http://c", erp_url="http://e", scm_url="http://s"))
    return {route.path for route in app.routes if isinstance(route, Route)}


def serve_port(command: list[str]) -> int:
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve"
    return int(args.port)


def assert_settings_variables(variables: dict[str, Any]) -> None:
    gateway_values = {}
    for name, value in variables.items():
        if OTHER_VARIABLES.match(name):
            continue
        assert name.startswith(ENV_PREFIX), name
        field = name.removeprefix(ENV_PREFIX).lower()
        assert field in Settings.model_fields, f"{name} is not a setting"
        gateway_values[name] = str(value)
    # And they load: a wrong type or spelling of a value fails here, not in production.
    Settings.from_env(gateway_values)


def secret_fields() -> set[str]:
    return {
        ENV_PREFIX + name.upper()
        for name, field in Settings.model_fields.items()
        if field.annotation in (SecretStr, SecretStr | None)
    }


# Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_the_image_is_multi_stage_on_python_311_slim_and_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    users = [rest for keyword, rest in instructions if keyword == "USER"]

    assert len(stages) >= 2
    assert all(stage.startswith("python:3.11-slim") for stage in stages)
    assert users and users[-1] not in ("root", "0")


def test_the_image_serves_on_all_interfaces_on_the_port_it_exposes_and_checks_healthz():
    instructions = dockerfile_instructions()
    (command,) = [json.loads(rest) for keyword, rest in instructions if keyword == "CMD"]
    (exposed,) = [int(rest) for keyword, rest in instructions if keyword == "EXPOSE"]
    (healthcheck,) = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    args = build_parser().parse_args(command[1:])

    assert command[0] == "supplygraph"
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert args.port == exposed
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", healthcheck)
    assert url is not None
    assert int(url.group(1)) == exposed
    assert url.group(2) == "/healthz" and "/healthz" in app_paths()


def test_the_build_context_leaves_out_the_venv_git_and_tests():
    ignored = set(DOCKERFILE.with_name(".dockerignore").read_text().split())
    assert {".git", ".venv", "tests"} <= ignored


# docker-compose.yml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def test_compose_runs_two_gateways_a_redis_and_the_demo_systems(compose):
    services = compose["services"]
    gateways = [name for name, service in services.items() if service["command"][1] == "serve"]

    assert len(gateways) == 2
    assert "redis" in services
    assert services["simulators"]["command"][:2] == ["supplygraph", "simulators"]


def test_compose_commands_parse_and_gateways_publish_the_port_they_serve(compose):
    for name, service in compose["services"].items():
        command = service["command"]
        if command[0] != "supplygraph":
            continue
        args = build_parser().parse_args(command[1:])
        if args.command == "serve":
            assert args.host == "0.0.0.0", name
            published = [int(str(port).split(":")[-1]) for port in service["ports"]]
            assert published == [args.port], name


def test_compose_points_the_gateways_at_its_own_services_with_real_settings(compose):
    services = compose["services"]
    sims = build_parser().parse_args(services["simulators"]["command"][1:])
    expected = {
        "GATEWAY_CRM_URL": f"http://simulators:{sims.crm_port}",
        "GATEWAY_ERP_URL": f"http://simulators:{sims.erp_port}",
        "GATEWAY_SCM_URL": f"http://simulators:{sims.scm_port}",
    }
    for service in services.values():
        if service["command"][1] != "serve":
            continue
        environment = service["environment"]
        assert_settings_variables(environment)
        assert {name: environment[name] for name in expected} == expected
        redis_host = re.match(r"redis://([\w-]+):", environment["GATEWAY_REDIS_URL"])
        assert redis_host is not None and redis_host.group(1) in services


def test_compose_lets_a_gateway_finish_its_graceful_shutdown_before_killing_it(compose):
    graceful_s = Settings.model_fields["http_graceful_shutdown_s"].default
    for name in ("gateway-1", "gateway-2"):
        grace = compose["services"][name]["stop_grace_period"]
        assert grace.endswith("s") and float(grace[:-1]) >= graceful_s + 5


def test_the_demo_systems_send_webhooks_to_a_gateway_on_its_port(compose):
    services = compose["services"]
    sims = build_parser().parse_args(services["simulators"]["command"][1:])
    target = re.match(r"http://([\w-]+):(\d+)$", sims.webhook_url)

    assert target is not None
    host, port = target.group(1), int(target.group(2))
    assert serve_port(services[host]["command"]) == port


# Kubernetes


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and "kind" in document and document["kind"] != "Kustomization":
                documents[document["kind"]] = document
    return documents


def container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (gateway,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(gateway)


def test_the_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    present = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_the_deployment_serves_on_its_container_port_with_probes_on_real_routes(manifests):
    gateway = container(manifests)
    (port,) = gateway["ports"]
    paths = app_paths()

    assert serve_port(gateway["command"]) == port["containerPort"]
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert gateway[probe]["httpGet"]["path"] in paths
        assert gateway[probe]["httpGet"]["port"] in (port["name"], port["containerPort"])
    assert {"cpu", "memory"} <= set(gateway["resources"]["limits"])
    assert {"cpu", "memory"} <= set(gateway["resources"]["requests"])
    annotations = manifests["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in paths
    assert int(annotations["prometheus.io/port"]) == port["containerPort"]


def test_a_stopping_pod_waits_out_its_endpoint_removal_then_stops_within_its_grace(manifests):
    gateway = container(manifests)
    pause = gateway["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep" and float(pause[1]) >= 3
    graceful_s = Settings.model_fields["http_graceful_shutdown_s"].default
    grace_s = manifests["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # SIGTERM comes after the preStop hook; SIGKILL at the end of the grace period.
    assert float(pause[1]) + graceful_s + 5 <= grace_s


def test_the_configuration_comes_from_the_configmap_and_credentials_from_the_secret(manifests):
    gateway = container(manifests)
    sources = {
        next(iter(source)): next(iter(source.values()))["name"] for source in gateway["envFrom"]
    }
    config = manifests["ConfigMap"]
    secret = manifests["Secret"]

    assert sources == {
        "configMapRef": config["metadata"]["name"],
        "secretRef": secret["metadata"]["name"],
    }
    assert_settings_variables({**config["data"], **secret["stringData"]})
    assert not secret_fields() & set(config["data"])
    assert set(secret["stringData"]) <= secret_fields()
    assert {"GATEWAY_CRM_TOKEN", "GATEWAY_JWT_SECRET", "GATEWAY_WEBHOOK_SECRET_CRM"} <= set(
        secret["stringData"]
    )


def test_the_service_and_the_autoscaler_point_at_the_deployment(manifests):
    deployment = manifests["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (service_port,) = manifests["Service"]["spec"]["ports"]
    (container_port,) = container(manifests)["ports"]
    target = manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]

    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    assert service_port["targetPort"] in (container_port["name"], container_port["containerPort"])
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_the_ingress_serves_its_hosts_over_tls_to_the_services_port(manifests):
    ingress, service = manifests["Ingress"], manifests["Service"]
    (tls,) = ingress["spec"]["tls"]
    assert tls["secretName"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    service_ports = {port["name"] for port in service["spec"]["ports"]}
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in tls["hosts"]
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"]
            assert backend["port"]["name"] in service_ports
    # Webhook bodies the gateway accepts must get through the ingress too.
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"
    assert Settings().max_webhook_body_bytes <= 1024 * 1024
    # Event streams must not be held back by the proxy.
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
