"""Every way an upstream call can fail ends as one typed error of ``core.errors``,
the same for the three systems, and no error message carries a credential."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from core.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from resolvers._http import parse_retry_after
from tests.resolvers.fakes import CRM_TOKEN, ERP_API_KEY, SCM_TOKEN, FakeUpstream, json_response

SECRETS = (CRM_TOKEN, ERP_API_KEY, SCM_TOKEN)
Call = Callable[[FakeUpstream], Awaitable[Any]]


@pytest.fixture(params=["crm", "erp", "scm"])
def system(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def call_upstream(system: str, crm_for, erp_for, scm_for) -> Call:
    """One ordinary batch call of the system under test."""
    calls: dict[str, Call] = {
        "crm": lambda upstream: crm_for(upstream).customers_by_ids(["C-1"]),
        "erp": lambda upstream: erp_for(upstream).products_by_codes(["P-1"]),
        "scm": lambda upstream: scm_for(upstream).stock_levels(["SKU-1"]),
    }
    return calls[system]


def raising(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error

    return answer


async def failure_of(call_upstream: Call, answer: Callable[..., Any]) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await call_upstream(FakeUpstream(answer))
    return caught.value


def assert_no_secret_in(error: Exception) -> None:
    for text in (str(error), repr(error), getattr(error, "message", "")):
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    "transport_error",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
)
async def test_a_timeout_is_an_upstream_timeout(system, call_upstream, transport_error):
    error = await failure_of(call_upstream, raising(transport_error))

    assert isinstance(error, UpstreamTimeout)
    assert error.code == "UPSTREAM_TIMEOUT"
    assert error.system == system
    assert_no_secret_in(error)


@pytest.mark.parametrize(
    "transport_error",
    [
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("reset"),
        httpx.ReadError("broken pipe"),
    ],
)
async def test_a_connection_failure_is_upstream_unavailable(system, call_upstream, transport_error):
    error = await failure_of(call_upstream, raising(transport_error))

    assert type(error) is UpstreamUnavailable
    assert error.system == system


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_server_error_is_upstream_unavailable(system, call_upstream, status):
    error = await failure_of(
        call_upstream, lambda request: json_response({"error": {"message": "down"}}, status)
    )

    assert type(error) is UpstreamUnavailable
    assert error.system == system
    assert error.status == status


async def test_too_many_requests_is_rate_limited_with_the_retry_after_seconds(
    system, call_upstream
):
    error = await failure_of(
        call_upstream, lambda request: httpx.Response(429, headers={"Retry-After": "7"})
    )

    assert isinstance(error, UpstreamRateLimited)
    assert error.system == system
    assert error.retry_after == 7.0


async def test_too_many_requests_without_retry_after_has_none(call_upstream):
    error = await failure_of(call_upstream, lambda request: httpx.Response(429))

    assert isinstance(error, UpstreamRateLimited)
    assert error.retry_after is None


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_a_refusal_is_upstream_rejected(system, call_upstream, status):
    error = await failure_of(
        call_upstream,
        lambda request: json_response({"error": {"code": "X", "message": "nope"}}, status),
    )

    assert type(error) is UpstreamRejected
    assert error.system == system
    assert error.status == status
    assert "nope" in error.message


async def test_an_unauthorized_answer_echoing_the_credential_does_not_leak_it(call_upstream):
    def answer(request: httpx.Request) -> httpx.Response:
        sent = request.headers.get("Authorization") or request.headers["X-Api-Key"]
        return json_response({"error": {"message": f"bad credential {sent}"}}, 401)

    error = await failure_of(call_upstream, answer)

    assert "[redacted]" in error.message
    assert_no_secret_in(error)


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(200, text="<html>oops</html>"),
        lambda request: httpx.Response(200, content=b"\xff\xfe\x00"),
        lambda request: json_response([1, 2, 3]),
        lambda request: json_response("records"),
        lambda request: httpx.Response(302, headers={"Location": "/login"}),
    ],
    ids=["html", "binary", "json-array", "json-string", "redirect"],
)
async def test_an_answer_that_is_not_the_contract_is_a_bad_response(system, call_upstream, answer):
    error = await failure_of(call_upstream, answer)

    assert type(error) is UpstreamBadResponse
    assert error.system == system
    assert_no_secret_in(error)


async def test_every_attempt_of_a_failing_call_is_counted(
    system, call_upstream, call_log, resilience
):
    await failure_of(call_upstream, lambda request: httpx.Response(503))

    assert call_log.count(system) == 1 + resilience.max_read_retries


async def test_a_refused_call_is_counted_once(system, call_upstream, call_log):
    await failure_of(call_upstream, lambda request: httpx.Response(400))

    assert call_log.count(system) == 1


async def test_when_one_chunk_fails_the_others_are_cancelled_and_the_error_comes_at_once(
    crm_for,
):
    cancelled: list[bool] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if "C-000000" in request.url.params["ids"]:
            return httpx.Response(503)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return json_response({"records": []})

    client = crm_for(FakeUpstream(answer))
    with pytest.raises(UpstreamUnavailable):
        await asyncio.wait_for(client.customers_by_ids([f"C-{n:06d}" for n in range(250)]), 2)
    await asyncio.sleep(0)
    assert cancelled == [True, True]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", None),
        ("soon", None),
        ("nan", None),
        (None, None),
        ("Wed, 25 Nov 2026 10:00:30 GMT", 30.0),
        ("Wed, 25 Nov 2026 09:00:00 GMT", 0.0),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    now = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == seconds
