"""Tokens of a standard identity provider: keys from a JWKS URL, rotated, with iss/aud checks.

The provider is a small starlette app on a loopback port serving ``/.well-known/jwks.json``
from keys made per test run; it counts its fetches, can rotate its keys, and can hold a
fetch open, as a slow provider would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from gql import Client, gql
from gql.transport.httpx import HTTPXTransport
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.errors import ConfigurationError
from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import gateway_settings

ORDER = '{ order(id: "SO-100001") { id } }'
ISSUER = "https://idp.example.test/"
AUDIENCE = "supplygraph"


class Provider:
    """An identity provider's key set, as the gateway fetches it."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.published: list[str] = []
        self.fetches = 0
        # Cleared to hold fetches open until it is set again.
        self.answering = threading.Event()
        self.answering.set()
        self.app = Starlette(routes=[Route("/.well-known/jwks.json", self.jwks)])

    def add_rsa(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.published.append(kid)

    def add_ec(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        self.published.append(kid)

    def retire(self, kid: str) -> None:
        self.published.remove(kid)

    def jwk(self, kid: str) -> dict[str, Any]:
        key = self.keys[kid]
        if isinstance(key, rsa.RSAPrivateKey):
            data = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            data["alg"] = "RS256"
        else:
            data = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
            data["alg"] = "ES256"
        return {**data, "kid": kid, "use": "sig"}

    async def jwks(self, request: Request) -> JSONResponse:
        self.fetches += 1
        # Held open without holding this server's loop.
        await asyncio.to_thread(self.answering.wait)
        return JSONResponse({"keys": [self.jwk(kid) for kid in self.published]})

    def token(self, kid: str, **overrides: Any) -> str:
        key = self.keys[kid]
        algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
        claims = {
            "sub": "auth0|user-1",
            "scope": "crm:read",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": int(time.time()) + 600,
        }
        return jwt.encode({**claims, **overrides}, key, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[tuple[Provider, str]]:
    idp = Provider()
    idp.add_rsa("key-1")
    with ThreadedServer(idp.app) as server:
        yield idp, f"{server.url}/.well-known/jwks.json"


def secured_by(simulators: Any, jwks_url: str, **overrides: Any) -> ThreadedServer:
    values: dict[str, Any] = {
        "jwt_jwks_url": jwks_url,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "jwt_jwks_refresh_s": 30.0,
        **overrides,
    }
    settings = gateway_settings(simulators, **values).model_copy(update={"auth_disabled": False})
    return ThreadedServer(create_app(settings))


def ask(url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": ORDER},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_token_signed_by_the_providers_key_is_let_in_by_a_real_graphql_client(
    simulators, provider
):
    idp, jwks_url = provider
    with secured_by(simulators, jwks_url) as gateway:
        transport = HTTPXTransport(
            url=f"{gateway.url}/graphql",
            headers={"Authorization": f"Bearer {idp.token('key-1')}"},
        )
        with Client(transport=transport) as session:
            data = session.execute(gql(ORDER))
        again = ask(gateway.url, idp.token("key-1"))

    assert data == {"order": {"id": "SO-100001"}}
    assert again.status_code == 200
    assert idp.fetches == 1  # the set is kept, not fetched per token


def test_a_rotated_key_is_fetched_once_and_the_old_one_stops_working(simulators, provider):
    idp, jwks_url = provider
    with secured_by(simulators, jwks_url, jwt_jwks_refresh_s=0.0) as gateway:
        before = ask(gateway.url, idp.token("key-1"))
        # The provider rotates: a new key (of another type, too) replaces the old one.
        idp.add_ec("key-2")
        idp.retire("key-1")
        new_tokens = [ask(gateway.url, idp.token("key-2")) for _ in range(5)]
        fetches_after_rotation = idp.fetches
        # The old key is forgotten once the set is fetched again (here: for an unknown kid).
        idp.add_rsa("key-3")
        ask(gateway.url, idp.token("key-3"))
        old = ask(gateway.url, idp.token("key-1"))

    assert before.status_code == 200
    assert [response.status_code for response in new_tokens] == [200] * 5
    assert fetches_after_rotation == 2  # the first fetch, and one for the new kid
    assert old.status_code == 401
    assert old.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_made_up_key_ids_cause_at_most_one_fetch_per_refresh_interval(simulators, provider):
    idp, jwks_url = provider
    with secured_by(simulators, jwks_url, jwt_jwks_refresh_s=60.0) as gateway:
        ask(gateway.url, idp.token("key-1"))
        answers = []
        for n in range(20):
            token = jwt.encode(
                {"sub": "x", "exp": int(time.time()) + 60, "iss": ISSUER, "aud": AUDIENCE},
                idp.keys["key-1"],
                algorithm="RS256",
                headers={"kid": f"made-up-{n}"},
            )
            answers.append(ask(gateway.url, token))

    assert {response.status_code for response in answers} == {401}
    assert "made-up-0" in answers[0].json()["errors"][0]["message"]
    # Within the refresh interval of the first fetch an unknown kid fetches nothing more.
    assert idp.fetches == 1


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example.test/"}, "issuer"),
        ({"aud": "another-api"}, "audience"),
        ({"exp": int(time.time()) - 120}, "expired"),
    ],
)
def test_a_token_for_another_issuer_or_audience_or_expired_gets_401(
    simulators, provider, claims, reason
):
    idp, jwks_url = provider
    with secured_by(simulators, jwks_url) as gateway:
        response = ask(gateway.url, idp.token("key-1", **claims))

    assert response.status_code == 401
    assert reason in response.json()["errors"][0]["message"].lower()


def test_clock_skew_within_the_configured_leeway_is_allowed(simulators, provider):
    idp, jwks_url = provider
    # Expired 20 s ago by this clock: within a leeway of 60 s, outside one of 5 s.
    token = idp.token("key-1", exp=int(time.time()) - 20)
    with secured_by(simulators, jwks_url, jwt_leeway_s=60.0) as lenient:
        allowed = ask(lenient.url, token)
    with secured_by(simulators, jwks_url, jwt_leeway_s=5.0) as strict:
        refused = ask(strict.url, token)

    assert allowed.status_code == 200
    assert refused.status_code == 401


def test_a_slow_provider_does_not_hold_up_other_requests(simulators, provider):
    idp, jwks_url = provider
    with secured_by(simulators, jwks_url) as gateway:
        idp.answering.clear()
        waiting: list[httpx.Response] = []
        thread = threading.Thread(
            target=lambda: waiting.append(ask(gateway.url, idp.token("key-1")))
        )
        thread.start()
        deadline = time.monotonic() + 10
        while idp.fetches == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The fetch is under way and held: the gateway's loop still answers.
        meanwhile = httpx.get(f"{gateway.url}/healthz", timeout=5)
        still_waiting = not waiting
        idp.answering.set()
        thread.join(timeout=30)

    assert idp.fetches == 1
    assert meanwhile.status_code == 200
    assert still_waiting
    assert waiting[0].status_code == 200


def test_a_jwks_url_over_plain_http_to_another_host_is_refused_at_start(simulators):
    settings = gateway_settings(simulators, jwt_jwks_url="http://idp.example.test/jwks.json")
    with pytest.raises(ConfigurationError, match="https"):
        create_app(settings)
