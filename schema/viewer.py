"""Who is asking, as the schema sees it: a subject, its scopes, perhaps one customer.

A plain value: ``gateway.auth`` turns a bearer token into one, the access policy
(``schema.access``) and the subscriptions read it. It lives here, below the gateway,
because the schema is the lowest layer that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    subject: str
    scopes: frozenset[str]
    customer_id: str | None = None
    # The token's ``exp`` (Unix time); None for the anonymous viewer of a demo.
    expires_at: float | None = None

    def seconds_left(self, now: float) -> float | None:
        """How long the token stays valid, for streams that outlive one request."""
        return None if self.expires_at is None else self.expires_at - now

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None

    def may(self, scope: str) -> bool:
        return scope in self.scopes
