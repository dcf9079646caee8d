"""``supplygraph serve --ssl-certfile --ssl-keyfile`` serves HTTPS, on the same guarded
protocol: a client that trusts the certificate gets answers, plain HTTP gets none, and
a certificate that does not go with its key stops the command before it serves.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.live_helpers import free_port
from tests.gateway.scrape import Samples, total

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0


def self_signed(directory: Path, name: str = "gateway") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "supplygraph test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / f"{name}.crt", directory / f"{name}.key"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def serve_command(port: int, *flags: str) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), *flags]


def upstream_env(simulators) -> dict[str, str]:
    return {
        **os.environ,
        "GATEWAY_CRM_URL": simulators.crm_url,
        "GATEWAY_ERP_URL": simulators.erp_url,
        "GATEWAY_SCM_URL": simulators.scm_url,
        "GATEWAY_AUTH_DISABLED": "1",
        "GATEWAY_LOG_LEVEL": "warning",
    }


@pytest.fixture(scope="module")
def https_gateway(simulators, tmp_path_factory) -> Iterator[tuple[str, ssl.SSLContext]]:
    certfile, keyfile = self_signed(tmp_path_factory.mktemp("tls"))
    port = free_port()
    command = serve_command(port, "--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile))
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=upstream_env(simulators),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    trusting = ssl.create_default_context(cafile=str(certfile))
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "serve exited"
            try:
                if httpx.get(f"{url}/healthz", verify=trusting).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, trusting
    finally:
        process.terminate()
        try:
            printed, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            printed, _ = process.communicate()
    assert f"GraphiQL: https://127.0.0.1:{port}/graphql" in printed


def test_a_client_trusting_the_certificate_gets_answers_over_https(https_gateway):
    url, trusting = https_gateway
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": '{ order(id: "SO-100001") { id customer { id } } }'},
        verify=trusting,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert "errors" not in body and body["data"]["order"]["id"] == "SO-100001"
    assert body["data"]["order"]["customer"]["id"].startswith("C-")
    assert answer.http_version == "HTTP/1.1"


def test_a_client_not_trusting_it_or_speaking_plain_http_gets_nothing(https_gateway):
    url, _ = https_gateway
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}/healthz")
    with pytest.raises(httpx.TransportError):
        httpx.get(url.replace("https://", "http://", 1) + "/healthz", timeout=5)


def test_the_guarded_protocol_still_refuses_oversized_headers_over_tls(https_gateway):
    url, trusting = https_gateway
    answer = httpx.get(f"{url}/healthz", headers={"X-Big": "x" * 40_000}, verify=trusting)
    assert answer.status_code == 431


@pytest.mark.parametrize("problem", ["key of another certificate", "only a certificate"])
def test_serve_refuses_to_start_on_unusable_tls_files(simulators, tmp_path, problem):
    certfile, _ = self_signed(tmp_path, "one")
    _, other_key = self_signed(tmp_path, "two")
    flags = ["--ssl-certfile", str(certfile)]
    if problem == "key of another certificate":
        flags += ["--ssl-keyfile", str(other_key)]
    finished = subprocess.run(
        serve_command(free_port(), *flags),
        cwd=ROOT,
        env=upstream_env(simulators),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "refusing to start" in finished.stderr
    assert "GraphiQL" not in finished.stdout


def test_the_demo_served_over_https_gets_its_own_systems_webhooks(tmp_path):
    """The demo's systems trust the gateway's certificate, even a self-signed one."""
    certfile, keyfile = self_signed(tmp_path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    command = serve_command(
        port,
        "--ssl-certfile",
        str(certfile),
        "--ssl-keyfile",
        str(keyfile),
        "--demo-latency-ms",
        "0",
    )
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**env, "GATEWAY_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    trusting = ssl.create_default_context(cafile=str(certfile))
    accepted = 0.0
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while accepted == 0 and time.monotonic() < deadline:
            time.sleep(1)
            try:
                samples = scrape_https(f"https://127.0.0.1:{port}", trusting)
            except httpx.TransportError:
                continue
            accepted = total(samples, "supplygraph_webhooks_total", outcome="accepted")
    finally:
        process.terminate()
        _, logged = process.communicate(timeout=20)
    assert accepted > 0
    assert "CERTIFICATE_VERIFY_FAILED" not in logged


def scrape_https(url: str, context: ssl.SSLContext) -> Samples:
    text = httpx.get(f"{url}/metrics", verify=context, timeout=10).text
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples
