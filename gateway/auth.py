"""Who is asking: bearer JWTs turned into a ``Viewer`` (``schema.viewer``).

Tokens are HS256 (``GATEWAY_JWT_SECRET``), RS256 (``GATEWAY_JWT_PUBLIC_KEY``) or signed
by an identity provider's keys (``GATEWAY_JWT_JWKS_URL``, ``gateway.jwks``; it wins when
set); ``exp`` and ``sub`` are required, ``iss`` and ``aud`` checked when configured, with
``GATEWAY_JWT_LEEWAY_S`` of clock skew. A token's ``scope`` claim lists what it may read or
do; a ``customer_id`` claim confines it to one customer (a mobile order-status app). With
auth disabled (the demo), a request without a token is a staff viewer with every scope; a
request that brings a token is still judged by it, so the demo's customer tokens show the
customer view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

from core.errors import ConfigurationError
from gateway.jwks import JwksKeys, UnknownSigningKey
from gateway.settings import Settings
from schema.viewer import Viewer

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

# Shorter RSA keys are forgeable with public effort; refused at start-up.
MIN_RSA_KEY_BITS = 2048

# `cache:bypass`: the token's `Cache-Control: no-cache` is honoured (others are answered
# from the cache as usual: a cold read costs every upstream a call).
CACHE_BYPASS_SCOPE = "cache:bypass"
ALL_SCOPES = frozenset(
    {"crm:read", "erp:read", "scm:read", "orders:write", "erp:write", "scm:write"}
    | {CACHE_BYPASS_SCOPE}
)


class AuthenticationError(Exception):
    """No usable credentials: answered with HTTP 401, never with data."""


ANONYMOUS_STAFF = Viewer(subject="anonymous (auth disabled)", scopes=ALL_SCOPES)


def rsa_public_key(pem: str) -> RSAPublicKey:
    """The RS256 verification key of ``GATEWAY_JWT_PUBLIC_KEY``, or why it cannot be used.

    Loaded once at start-up: a key PyJWT cannot use would otherwise fail every token
    with a 401 whose cause nobody sees.
    """
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError as error:
        raise ConfigurationError(
            "GATEWAY_JWT_PUBLIC_KEY is set but RS256 needs the `cryptography` package "
            "(pip install 'PyJWT[crypto]')"
        ) from error
    text = pem.strip()
    if "\\n" in text and "\n" not in text:
        # A PEM squeezed onto one line of an env file, its line breaks written as \n.
        text = text.replace("\\n", "\n")
    try:
        key = load_pem_public_key(text.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ConfigurationError(
            "GATEWAY_JWT_PUBLIC_KEY is not a PEM public key "
            "(-----BEGIN PUBLIC KEY-----): " + str(error).split("\n")[0]
        ) from None
    if not isinstance(key, RSAPublicKey):
        raise ConfigurationError(
            f"GATEWAY_JWT_PUBLIC_KEY is a {type(key).__name__.removeprefix('_')}; "
            "RS256 tokens need an RSA public key"
        )
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ConfigurationError(
            f"GATEWAY_JWT_PUBLIC_KEY is a {key.key_size}-bit RSA key; "
            f"at least {MIN_RSA_KEY_BITS} bits are required"
        )
    return key


@dataclass(frozen=True, slots=True)
class ClaimChecks:
    """What every token is held to beside its signature, whoever signed it."""

    issuer: str | None = None
    audiences: tuple[str, ...] = ()
    leeway_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ClaimChecks:
        audiences = tuple(
            part.strip() for part in (settings.jwt_audience or "").split(",") if part.strip()
        )
        return cls(settings.jwt_issuer or None, audiences, settings.jwt_leeway_s)


def verified_viewer(token: str, key: object, algorithms: list[str], checks: ClaimChecks) -> Viewer:
    required = ["exp", "sub"]
    if checks.issuer is not None:
        required.append("iss")
    if checks.audiences:
        required.append("aud")
    try:
        claims = jwt.decode(
            token,
            key,  # type: ignore[arg-type]
            algorithms=algorithms,
            options={"require": required},
            issuer=checks.issuer,
            audience=list(checks.audiences) or None,
            leeway=checks.leeway_s,
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("the token has expired") from error
    except jwt.InvalidTokenError as error:
        # PyJWT's messages name the failed check, never the key or the token.
        raise AuthenticationError(f"the token is not valid: {error}") from error
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise AuthenticationError("the token's scope claim must be a space-separated string")
    return Viewer(
        subject=str(claims["sub"]),
        scopes=frozenset(scope.split()),
        customer_id=customer_id_of(claims),
        expires_at=float(claims["exp"]),
    )


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    key: str | RSAPublicKey
    algorithm: str
    checks: ClaimChecks = ClaimChecks()

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier | None:
        """``ConfigurationError`` when the configured key cannot verify anything."""
        checks = ClaimChecks.from_settings(settings)
        if settings.jwt_public_key is not None:
            key = rsa_public_key(settings.jwt_public_key.get_secret_value())
            return cls(key, "RS256", checks)
        if settings.jwt_secret is not None:
            secret = settings.jwt_secret.get_secret_value()
            if not secret:
                # PyJWT refuses an empty HMAC key on every token, as an error of its own.
                raise ConfigurationError("GATEWAY_JWT_SECRET is set but empty")
            return cls(secret, "HS256", checks)
        return None

    def verify(self, token: str) -> Viewer:
        return verified_viewer(token, self.key, [self.algorithm], self.checks)


def key_id_of(token: str) -> str | None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def customer_id_of(claims: Mapping[str, object]) -> str | None:
    """The customer a token is confined to; None only when the claim is absent.

    A claim that is present but empty, blank or not a string is refused: read as "no
    customer", it would give a customer's app the staff view of every customer.
    """
    if "customer_id" not in claims:
        return None
    customer_id = claims["customer_id"]
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise AuthenticationError(
            "the token's customer_id claim must be a non-empty string (or absent for staff)"
        )
    return customer_id


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.checks = ClaimChecks.from_settings(settings)
        # With a JWKS URL the provider's keys decide; the static keys are not consulted.
        self.jwks = JwksKeys.from_settings(settings)
        self.verifier = TokenVerifier.from_settings(settings)
        self.auth_disabled = settings.auth_disabled

    def bearer_token(self, authorization: str | None) -> str | None:
        """The token, or None for the anonymous viewer of a gateway with auth disabled."""
        if not authorization:
            if self.auth_disabled:
                return None
            raise AuthenticationError("a bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be `Bearer <token>`")
        return token.strip()

    def viewer_for(self, authorization: str | None) -> Viewer:
        """Judged with the keys held now; ``authenticate`` also fetches a rotated JWKS."""
        token = self.bearer_token(authorization)
        if token is None:
            return ANONYMOUS_STAFF
        if self.jwks is not None:
            key = self.jwks.held(key_id_of(token))
            if key is None:
                raise AuthenticationError("the token's signing key is not known (yet)")
            return verified_viewer(token, key, [key.algorithm_name], self.checks)
        if self.verifier is None:
            raise AuthenticationError("this gateway has no key to verify tokens with")
        return self.verifier.verify(token)

    async def authenticate(self, authorization: str | None) -> Viewer:
        """The viewer; a token signed with a key not held yet has the JWKS fetched again."""
        token = self.bearer_token(authorization)
        if token is None or self.jwks is None:
            return self.viewer_for(authorization)
        try:
            key = await self.jwks.key_for(key_id_of(token))
        except UnknownSigningKey as error:
            raise AuthenticationError(str(error)) from error
        return verified_viewer(token, key, [key.algorithm_name], self.checks)


def issue_token(
    secret: str,
    subject: str,
    scopes: str,
    *,
    customer_id: str | None = None,
    lifetime_s: int = 86400,
    now: float | None = None,
) -> str:
    """An HS256 token, for the demo's ready-made tokens and for tests."""
    import time

    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "scope": scopes,
        "iat": issued,
        "exp": issued + lifetime_s,
    }
    if customer_id is not None:
        claims["customer_id"] = customer_id
    return jwt.encode(claims, secret, algorithm="HS256")
