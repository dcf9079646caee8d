"""RS256 bearer tokens (``GATEWAY_JWT_PUBLIC_KEY``), with a real RSA key made per test run.

Without ``cryptography`` installed every RS256 token got 401 and nothing said why; a
key that cannot be used now stops the gateway from starting, with the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from core.errors import ConfigurationError
from gateway.app import create_app
from gateway.auth import TokenVerifier
from gateway.server_thread import ThreadedServer
from gateway.settings import Settings
from tests.gateway_fixtures import gateway_settings

ROOT = Path(__file__).resolve().parents[2]
ORDER = '{ order(id: "SO-100001") { id } }'


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key: Any) -> str:
    return str(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs256_token(key: Any, **overrides: Any) -> str:
    claims = {"sub": "rs-tester", "scope": "crm:read", "exp": int(time.time()) + 600}
    return jwt.encode({**claims, **overrides}, key, algorithm="RS256")


@pytest.fixture(scope="module")
def rs256_gateway(simulators, rsa_key) -> Iterator[str]:
    settings = gateway_settings(simulators, jwt_public_key=public_pem(rsa_key)).model_copy(
        update={"auth_disabled": False}
    )
    with ThreadedServer(create_app(settings)) as server:
        yield server.url


def ask(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql", json={"query": ORDER}, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_token_signed_with_the_configured_rsa_key_is_let_in(rs256_gateway, rsa_key):
    response = ask(rs256_gateway, rs256_token(rsa_key))
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"order": {"id": "SO-100001"}}}


def test_a_token_signed_by_another_rsa_key_gets_401(rs256_gateway):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = ask(rs256_gateway, rs256_token(stranger))
    assert response.status_code == 401
    assert "signature" in response.json()["errors"][0]["message"].lower()


def test_an_hs256_token_keyed_with_the_public_key_text_gets_401(rs256_gateway, rsa_key):
    # The classic algorithm confusion: the public key is public, so it must never serve
    # as an HMAC secret. (PyJWT will not sign this, hence the token is built by hand.)
    assert ask(rs256_gateway, hs256_token(public_pem(rsa_key))).status_code == 401


def hs256_token(secret: str) -> str:
    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    claims = {"sub": "x", "scope": "crm:read", "exp": int(time.time()) + 600}
    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = part(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + part(signature)).decode()


def test_a_pem_written_on_one_line_with_escaped_newlines_is_used(rsa_key):
    one_line = public_pem(rsa_key).strip().replace("\n", "\\n")
    settings = Settings.from_env({"GATEWAY_JWT_PUBLIC_KEY": one_line})
    verifier = TokenVerifier.from_settings(settings)
    assert verifier is not None
    assert verifier.verify(rs256_token(rsa_key)).subject == "rs-tester"


UNUSABLE_KEYS: dict[str, Callable[[], str]] = {
    "not a PEM at all": lambda: "ssh-rsa AAAAB3NzaC1yc2E nothing-here",
    "a private key": lambda: private_pem(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
    "an EC key": lambda: public_pem(ec.generate_private_key(ec.SECP256R1())),
    "a 1024-bit RSA key": lambda: public_pem(
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ),
}


@pytest.mark.parametrize("kind", UNUSABLE_KEYS)
def test_an_unusable_public_key_stops_the_gateway_being_built(simulators, kind):
    settings = gateway_settings(simulators, jwt_public_key=SecretStr(UNUSABLE_KEYS[kind]()))
    with pytest.raises(ConfigurationError, match="GATEWAY_JWT_PUBLIC_KEY"):
        create_app(settings)


def test_without_cryptography_an_rs256_key_is_refused_with_the_reason(monkeypatch, rsa_key):
    # A None entry makes the import fail, as it would with the package not installed.
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.serialization", None)
    settings = Settings(jwt_public_key=SecretStr(public_pem(rsa_key)))
    with pytest.raises(ConfigurationError, match="cryptography"):
        TokenVerifier.from_settings(settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_to_start_with_an_unusable_key_and_says_why(simulators):
    env = {
        **os.environ,
        "GATEWAY_CRM_URL": simulators.crm_url,
        "GATEWAY_ERP_URL": simulators.erp_url,
        "GATEWAY_SCM_URL": simulators.scm_url,
        "GATEWAY_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nbroken\n-----END PUBLIC KEY-----",
    }
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(free_port())]
    finished = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode != 0
    assert "refusing to start: GATEWAY_JWT_PUBLIC_KEY is not a PEM public key" in (finished.stderr)
    assert "GraphiQL" not in finished.stdout  # it never got as far as serving


def test_an_empty_hs256_secret_is_refused_too():
    with pytest.raises(ConfigurationError, match="GATEWAY_JWT_SECRET is set but empty"):
        TokenVerifier.from_settings(Settings.from_env({"GATEWAY_JWT_SECRET": ""}))
