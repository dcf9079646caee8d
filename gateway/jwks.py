"""An identity provider's signing keys (``GATEWAY_JWT_JWKS_URL``), cached, with rotation.

Providers (Auth0, Okta, Keycloak, Entra ID, Cognito, ...) publish their public keys as a
JSON Web Key Set and rotate them: a new key appears in the set, tokens start naming it in
their header's ``kid``, the old one disappears later. So the set is fetched once and kept;
a token naming a ``kid`` the gateway does not hold makes it fetch the set again, but at
most once every ``refresh_s`` (a flood of tokens with made-up ``kid``s must not turn into
a flood of requests to the provider), and the set is re-read at the latest after
``max_age_s``. While the provider cannot be reached the keys already held keep working.

The fetch is an ``httpx.AsyncClient`` call awaited by the request that needs it (the
event loop keeps serving others), one at a time: concurrent requests for an unknown key
wait for the one fetch under way rather than each starting their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from core.errors import ConfigurationError
from gateway.loopback import is_loopback
from gateway.settings import Settings

logger = logging.getLogger("supplygraph.auth")

# Only public-key algorithms: a set's symmetric ("oct") key would let anyone who can read
# the set sign tokens.
PUBLIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})


class UnknownSigningKey(Exception):
    """The token names a key that the provider's set does not hold (or could not be read)."""


def checked_jwks_url(url: str) -> str:
    """The URL, if keys fetched from it can be trusted: HTTPS, or plain HTTP on loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url
    raise ConfigurationError(
        f"GATEWAY_JWT_JWKS_URL must be an https:// URL (plain http only on loopback), not {url!r}"
    )


class JwksKeys:
    def __init__(
        self,
        url: str,
        *,
        refresh_s: float = 30.0,
        max_age_s: float = 3600.0,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = checked_jwks_url(url)
        self.refresh_s = refresh_s
        self.max_age_s = max_age_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.keys: dict[str | None, PyJWK] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        # Fetches started (tests and operators read it: rotation costs one, not one per token).
        self.fetches = 0
        self._lock: asyncio.Lock | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> JwksKeys | None:
        if not settings.jwt_jwks_url:
            return None
        return cls(
            settings.jwt_jwks_url,
            refresh_s=settings.jwt_jwks_refresh_s,
            max_age_s=settings.jwt_jwks_max_age_s,
            timeout_s=settings.jwt_jwks_timeout_s,
        )

    def held(self, kid: str | None) -> PyJWK | None:
        """The key named ``kid`` if the set held now has it (no fetch)."""
        return self.keys.get(kid)

    def due(self, kid: str | None) -> bool:
        """Whether to fetch the set now, before judging a token that names ``kid``."""
        now = self.clock()
        if self.fetched_at is not None and now - self.fetched_at >= self.max_age_s:
            return self.attempted_at is None or now - self.attempted_at >= self.refresh_s
        if kid in self.keys:
            return False
        return self.attempted_at is None or now - self.attempted_at >= self.refresh_s

    async def key_for(self, kid: str | None) -> PyJWK:
        if self.due(kid):
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                # Another request may have fetched while this one waited.
                if self.due(kid):
                    await self.refresh()
        key = self.held(kid)
        if key is None:
            named = "names no key (`kid`)" if kid is None else f"names the key {kid!r}"
            raise UnknownSigningKey(f"the token {named}, which the identity provider does not list")
        return key

    async def refresh(self) -> None:
        self.attempted_at = self.clock()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = usable_keys(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
            # The keys held keep working; the next unknown kid tries again after refresh_s.
            logger.warning("could not fetch the JWKS from %s: %s", self.url, error)
            return
        self.keys = keys
        self.fetched_at = self.clock()
        logger.info("fetched %d signing keys from %s", len(keys), self.url)


def usable_keys(document: object) -> dict[str | None, PyJWK]:
    """The set's signing keys by ``kid``; a set of one key also answers tokens without one."""
    if not isinstance(document, dict):
        raise ValueError("the JWKS is not a JSON object")
    candidates = document.get("keys")
    if not isinstance(candidates, list):
        raise ValueError("the JWKS has no `keys` list")
    signing = [
        key
        for key in candidates
        if isinstance(key, dict)
        and key.get("kty") in PUBLIC_KEY_TYPES
        and key.get("use", "sig") == "sig"
    ]
    keys: dict[str | None, PyJWK] = {}
    for key in PyJWKSet.from_dict({"keys": signing}).keys:
        keys[key.key_id] = key
    if len(keys) == 1:
        keys.setdefault(None, next(iter(keys.values())))
    return keys
