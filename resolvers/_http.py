"""One HTTP call to one upstream, and every way it can fail as a typed error.

The three clients send through ``UpstreamEndpoint.request`` and read bodies with
``json_body``/``decoding``, so the mapping from transport failures and status codes to
``core.errors`` is written once:

    timeout                       -> UpstreamTimeout
    connect / other transport     -> UpstreamUnavailable
    429                           -> UpstreamRateLimited (retry_after from Retry-After)
    5xx                           -> UpstreamUnavailable
    other 4xx (400, 401, 403, …)  -> UpstreamRejected
    anything else but 2xx         -> UpstreamBadResponse
    body not JSON / off-contract  -> UpstreamBadResponse
    URL past MAX_URL_BYTES        -> InputTooLargeError (nothing sent)
    request we cannot write       -> InputValidationError (the client's text, not the system)

The last two are the client's errors: never retried, never counted by the breaker.

A client that gives some statuses a meaning of its own (the CRM's 404, 409 and 422)
names them in ``handled_statuses`` and gets those responses back unmapped.

Around each request sit the system's ``ResilienceConfig`` (``resolvers.resilience``):
a deadline for the whole logical call, retries for idempotent requests only, and the
endpoint's circuit breaker.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from core.errors import (
    InputTooLargeError,
    InputValidationError,
    RequestDeadlineExceeded,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from resolvers._breaker import Admission, CircuitBreaker, CircuitOpen
from resolvers._deadline import Deadline
from resolvers._decode import ContractViolation
from resolvers._limits import MAX_URL_BYTES
from resolvers._retry import is_availability_failure, is_retryable, wait_before_retry
from resolvers.call_log import UpstreamCallLog
from resolvers.keepalive_transport import REPLAYABLE
from resolvers.observer import UpstreamCall, current_batch_size
from resolvers.request_deadline import current_request_deadline
from resolvers.resilience import ResilienceConfig

_REDACTED = "[redacted]"
_REPLAYABLE = {REPLAYABLE: True}
# Upstream texts end up in GraphQL error messages; a page of HTML should not.
_MAX_UPSTREAM_TEXT = 300


class LocalCongestion(UpstreamTimeout):
    """The gateway's own connection pool had no free slot in time; the system is not blamed."""


@dataclass(frozen=True, slots=True)
class UpstreamEndpoint:
    """Where one upstream system lives, how to authenticate, and what to count.

    ``credential`` is kept only to scrub it from any text that could reach an error
    message, including text the upstream itself sent back. The endpoint owns the
    system's circuit breaker, so there is one per client, built once per process.
    """

    http: httpx.AsyncClient
    system: str
    base_url: str
    auth_headers: Mapping[str, str]
    credential: str
    call_log: UpstreamCallLog | None = None
    resilience: ResilienceConfig = field(default_factory=ResilienceConfig)
    breaker: CircuitBreaker = field(init=False, repr=False, compare=False)
    _jitter: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        config = self.resilience
        breaker = CircuitBreaker(
            failure_rate=config.breaker_failure_rate,
            minimum_calls=config.breaker_minimum_calls,
            window_s=config.breaker_window_s,
            cooldown_s=config.breaker_cooldown_s,
            clock=config.clock,
        )
        object.__setattr__(self, "breaker", breaker)
        object.__setattr__(self, "_jitter", random.Random(config.random_seed))

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        idempotent: bool,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        handled_statuses: Collection[int] = (),
    ) -> httpx.Response:
        """Send one logical request; return a 2xx (or a handled status) response, else raise.

        ``idempotent`` is required so that every call site says whether sending twice is
        harmless. Only then is a retryable failure tried again, within the deadline: a
        write is sent once, even after a connect error, because "not connected" and
        "sent, but the answer was lost" are too easy to confuse.
        """
        self._ensure_sendable(operation, path, params)
        deadline = self._deadline_of_call(operation)
        # The breaker admits and hears about the logical call, retries included: with
        # retries, a system failing half its attempts answers most reads, and the
        # breaker should not take that away from them.
        admission = self.breaker.admit()
        if admission is None:
            raise CircuitOpen(
                self.system,
                self.describe(
                    operation,
                    "circuit open after repeated failures, failing fast for another "
                    f"{self.breaker.seconds_until_probe():.1f} s",
                ),
            )
        try:
            response = await self._attempts(
                operation, method, path, deadline, idempotent, params, json, handled_statuses
            )
        except UpstreamError as error:
            self._report(admission, error, deadline)
            raise
        except BaseException:
            self.breaker.abandon(admission)
            raise
        self.breaker.record_success(admission)
        return response

    async def _attempts(
        self,
        operation: str,
        method: str,
        path: str,
        deadline: Deadline,
        idempotent: bool,
        params: Mapping[str, str | int] | None,
        json: object,
        handled_statuses: Collection[int],
    ) -> httpx.Response:
        """The first attempt and, for a read, retries while the error and deadline allow."""
        config = self.resilience
        max_retries = config.max_read_retries if idempotent else 0
        retry_number = 0
        while True:
            try:
                return await self._attempt(
                    operation, method, path, deadline, idempotent, params, json, handled_statuses
                )
            except UpstreamError as error:
                wait = self._wait_before_retry(error, retry_number, max_retries, deadline)
                if wait is None:
                    raise
            await config.sleep(wait)
            retry_number += 1

    def _ensure_sendable(
        self, operation: str, path: str, params: Mapping[str, str | int] | None
    ) -> None:
        """Refuse a request whose URL would be too long to send: the client's input is
        too large (``InputTooLargeError``), and the system is neither asked nor blamed."""
        if not params:
            return
        # Percent-encoding makes a character at most 3 bytes of URL, or 9 past ASCII (3
        # UTF-8 bytes of 3 each): the encoded URL is built only when it could be too long.
        values = [str(value) for value in params.values()]
        bare = len(self.base_url) + len(path) + sum(len(value) + 2 for value in values)
        growth = 3 if all(value.isascii() for value in values) else 9
        if bare * growth <= MAX_URL_BYTES:
            return
        try:
            length = len(str(httpx.URL(self.url(path), params=params)))
        except httpx.InvalidURL:
            length = bare
        if length > MAX_URL_BYTES or bare > MAX_URL_BYTES:
            raise InputTooLargeError(
                self.describe(
                    operation,
                    f"the keys asked for make a URL of {max(length, bare)} bytes, "
                    f"past the {MAX_URL_BYTES} the gateway sends; ask for fewer or shorter keys",
                ),
                system=self.system,
                limit="upstream_url_bytes",
                value=MAX_URL_BYTES,
            )

    def _deadline_of_call(self, operation: str) -> Deadline:
        """The call's own deadline, or what is left of the request's if that ends first.

        Once the request's deadline has passed nothing is sent: the caller gets
        ``UpstreamTimeout`` at once, and the breaker hears nothing, since the system
        was never asked.
        """
        config = self.resilience
        request = current_request_deadline()
        if request is None:
            return Deadline(config.deadline_s, config.clock)
        left = request.remaining()
        if left <= 0:
            raise RequestDeadlineExceeded(
                self.system, self.describe(operation, f"not sent: {request.label} has passed")
            )
        if left >= config.deadline_s:
            return Deadline(config.deadline_s, config.clock)
        return Deadline(left, config.clock, label=request.label, of_request=True)

    def _wait_before_retry(
        self, error: UpstreamError, retry_number: int, max_retries: int, deadline: Deadline
    ) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up now."""
        if retry_number >= max_retries or not is_retryable(error):
            return None
        if self.breaker.state == "open":
            # Other calls opened it meanwhile: the system is down, waiting would not help.
            return None
        config = self.resilience
        wait = wait_before_retry(
            error,
            retry_number,
            base_s=config.backoff_base_s,
            max_s=config.backoff_max_s,
            random=self._jitter.random,
        )
        # A wait past the deadline is not worth starting: for a 429 whose Retry-After
        # does not fit, the caller gets UpstreamRateLimited at once, without sleeping.
        return wait if deadline.allows_wait(wait) else None

    def _report(self, admission: Admission, error: UpstreamError, deadline: Deadline) -> None:
        if isinstance(error, LocalCongestion) or cut_before_judged(error, deadline):
            self.breaker.abandon(admission)
        elif is_availability_failure(error):
            self.breaker.record_failure(admission)
        else:
            # A refusal or a 429 is still an answer: the system is up.
            self.breaker.record_success(admission)

    async def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        deadline: Deadline,
        idempotent: bool,
        params: Mapping[str, str | int] | None,
        json: object,
        handled_statuses: Collection[int],
    ) -> httpx.Response:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise self._deadline_exceeded(operation, deadline)
        call = UpstreamCall(self.system, operation, method, current_batch_size())
        with nullcontext() if self.call_log is None else self.call_log.observe(call):
            response = await self._send(
                operation,
                method,
                path,
                deadline,
                remaining,
                idempotent,
                params,
                json,
                call.extra_headers,
            )
            call.status_code = response.status_code
            if response.is_success or response.status_code in handled_statuses:
                return response
            raise self.error_for_status(operation, response)

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        deadline: Deadline,
        remaining: float,
        idempotent: bool,
        params: Mapping[str, str | int] | None,
        json: object,
        extra_headers: Mapping[str, str],
    ) -> httpx.Response:
        headers = {**extra_headers, **self.auth_headers} if extra_headers else self.auth_headers
        try:
            # httpx's timeouts bound each phase; only the outer one bounds their sum
            # (a server trickling bytes never trips a read timeout).
            async with asyncio.timeout(remaining):
                response = await self.http.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=self._timeout_within(remaining),
                    # A read that met a connection the server was just closing is sent
                    # again on a new one by the transport, and costs no retry.
                    extensions=_REPLAYABLE if idempotent else None,
                )
        except httpx.PoolTimeout as exc:
            # Our own pool is saturated: congestion here, not a failure of the system.
            raise LocalCongestion(
                self.system, self.describe(operation, "no free connection in the gateway's pool")
            ) from exc
        except httpx.TimeoutException as exc:
            if self._cut_by_request(deadline, remaining, exc):
                raise self._deadline_exceeded(operation, deadline) from exc
            raise UpstreamTimeout(
                self.system, self.describe(operation, f"timed out ({type(exc).__name__})")
            ) from exc
        except TimeoutError as exc:
            raise self._deadline_exceeded(operation, deadline) from exc
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError) as exc:
            # Our side could not even write the request (the client's text does not fit
            # in a URL or a header): the client's error, and not the system's.
            raise InputValidationError(
                self.describe(operation, f"the request cannot be sent ({type(exc).__name__})")
            ) from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                self.system, self.describe(operation, f"unreachable ({type(exc).__name__})")
            ) from exc
        return response

    def _timeout_within(self, remaining: float) -> httpx.Timeout:
        config = self.resilience
        connect = min(config.connect_timeout_s, remaining)
        read = min(config.read_timeout_s, remaining)
        # Waiting for a pooled connection and writing the body are bounded like a read.
        return httpx.Timeout(connect=connect, read=read, write=read, pool=read)

    def _cut_by_request(
        self, deadline: Deadline, remaining: float, timeout: httpx.TimeoutException
    ) -> bool:
        """True when the request's deadline, not the system's own timeout, ended the attempt:
        the phase that timed out was given less than the system's timeout for it."""
        if not deadline.of_request:
            return False
        config = self.resilience
        own_s = (
            config.connect_timeout_s
            if isinstance(timeout, httpx.ConnectTimeout)
            else config.read_timeout_s
        )
        return remaining < own_s

    def _deadline_exceeded(self, operation: str, deadline: Deadline) -> UpstreamTimeout:
        kind = RequestDeadlineExceeded if deadline.of_request else UpstreamTimeout
        return kind(self.system, self.describe(operation, f"no answer within {deadline.label}"))

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
            # orjson: a 110 kB ERP answer parses in 0.33 ms against 0.89 ms with json.
            return orjson.loads(response.content)
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


def cut_before_judged(error: UpstreamError, deadline: Deadline) -> bool:
    """Whether the request's deadline cut this call short before it had the time to show
    that its system is slow: it started with less than half of the request's budget left,
    the rest having gone to other systems or earlier levels. Blaming its system would let
    one slow system open the breakers of the others. A call that had most of the budget
    and still did not answer does count."""
    if not isinstance(error, RequestDeadlineExceeded):
        return False
    request = current_request_deadline()
    return request is not None and deadline.budget_s < request.budget_s / 2
