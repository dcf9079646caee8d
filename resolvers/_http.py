"""One HTTP call to one upstream, and every way it can fail as a typed error.

The three clients send through ``UpstreamEndpoint.request`` and read bodies with
``json_body``/``decoding``, so the mapping from transport failures and status codes to
``gateway.errors`` is written once:

    timeout                       -> UpstreamTimeout
    connect / other transport     -> UpstreamUnavailable
    429                           -> UpstreamRateLimited (retry_after from Retry-After)
    5xx                           -> UpstreamUnavailable
    other 4xx (400, 401, 403, …)  -> UpstreamRejected
    anything else but 2xx         -> UpstreamBadResponse
    body not JSON / off-contract  -> UpstreamBadResponse

A client that gives some statuses a meaning of its own (the CRM's 404, 409 and 422)
names them in ``handled_statuses`` and gets those responses back unmapped.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from gateway.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from resolvers._decode import ContractViolation
from resolvers.call_log import UpstreamCallLog

_REDACTED = "[redacted]"
# Upstream texts end up in GraphQL error messages; a page of HTML should not.
_MAX_UPSTREAM_TEXT = 300


@dataclass(frozen=True, slots=True)
class UpstreamEndpoint:
    """Where one upstream system lives, how to authenticate, and what to count.

    ``credential`` is kept only to scrub it from any text that could reach an error
    message, including text the upstream itself sent back.
    """

    http: httpx.AsyncClient
    system: str
    base_url: str
    auth_headers: Mapping[str, str]
    credential: str
    call_log: UpstreamCallLog | None = None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        handled_statuses: Collection[int] = (),
    ) -> httpx.Response:
        """Send one request; return a 2xx (or a handled status) response, else raise.

        This is the one place where retries, backoff and a circuit breaker belong: every
        upstream request of every client passes here, and the errors raised below tell
        what is worth retrying (timeouts, unavailability, rate limits) and what is not.
        A retry must keep non-idempotent calls (creating an order) out.
        """
        if self.call_log is not None:
            self.call_log.record(self.system, operation)
        try:
            response = await self.http.request(
                method, self.url(path), params=params, json=json, headers=self.auth_headers
            )
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                self.system, self.describe(operation, f"timed out ({type(exc).__name__})")
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise UpstreamUnavailable(
                self.system, self.describe(operation, f"unreachable ({type(exc).__name__})")
            ) from exc
        if response.is_success or response.status_code in handled_statuses:
            return response
        raise self.error_for_status(operation, response)

    def error_for_status(self, operation: str, response: httpx.Response) -> UpstreamError:
        status = response.status_code
        detail = f"HTTP {status}"
        upstream_text = upstream_error_text(response)
        if upstream_text:
            detail = f"{detail}: {upstream_text}"
        message = self.describe(operation, detail)
        if status == httpx.codes.TOO_MANY_REQUESTS:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return UpstreamRateLimited(self.system, message, retry_after=retry_after)
        if 500 <= status <= 599:
            return UpstreamUnavailable(self.system, message, status=status)
        if 400 <= status <= 499:
            return UpstreamRejected(self.system, message, status=status)
        return UpstreamBadResponse(self.system, message, status=status)

    def json_body(self, operation: str, response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError:
            raise UpstreamBadResponse(
                self.system,
                self.describe(operation, "answer is not JSON"),
                status=response.status_code,
            ) from None

    @contextmanager
    def decoding(self, operation: str) -> Iterator[None]:
        """Turn a ``ContractViolation`` raised while reading an answer into a typed error."""
        try:
            yield
        except ContractViolation as exc:
            raise UpstreamBadResponse(
                self.system, self.describe(operation, f"answer breaks the contract: {exc}")
            ) from None

    def describe(self, operation: str, detail: str) -> str:
        """``"<system> <operation>: <detail>"``, shortened and without the credential."""
        return self.scrub(f"{self.system} {operation}: {detail}")

    def scrub(self, text: str) -> str:
        """Text fit for an error message: no credential in it, and not too long."""
        if self.credential:
            text = text.replace(self.credential, _REDACTED)
        if len(text) > _MAX_UPSTREAM_TEXT:
            text = text[: _MAX_UPSTREAM_TEXT - 1] + "…"
        return text

def upstream_error_text(response: httpx.Response) -> str | None:
    """The message an upstream put in an error body, REST (``error.message``) or GraphQL."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        return message if isinstance(message, str) else None
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
        return max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
