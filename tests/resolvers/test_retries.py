"""Reads are retried on unavailability, timeouts and 429s, after a backoff or the
upstream's Retry-After; refusals and bad answers are not; writes never are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from core.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from resolvers.keepalive_transport import REPLAYABLE
from tests.resolvers.fakes import FakeUpstream, in_turn, json_response
from tests.resolvers.samples import crm_order

Read = Callable[..., Awaitable[Any]]

SUCCESS = {
    "crm": json_response({"records": [], "missing": []}),
    "erp": json_response({"jsonrpc": "2.0", "result": []}),
    "scm": json_response({"data": {"stockLevels": []}}),
}
UNAVAILABLE = httpx.Response(503, json={"error": {"message": "down for a moment"}})


@pytest.fixture(params=["crm", "erp", "scm"])
def system(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def success(system: str) -> httpx.Response:
    return SUCCESS[system]


@pytest.fixture
def read(system: str, crm_for, erp_for, scm_for) -> Read:
    """One ordinary read of the system under test: a CRM GET, an ERP search_read, an
    SCM query."""
    reads: dict[str, Read] = {
        "crm": lambda upstream, config=None: crm_for(upstream, config).customers_by_ids(["C-1"]),
        "erp": lambda upstream, config=None: erp_for(upstream, config).products_by_codes(["P-1"]),
        "scm": lambda upstream, config=None: scm_for(upstream, config).stock_levels(["SKU-1"]),
    }
    return reads[system]


async def test_a_read_answered_503_then_200_is_retried_once_and_succeeds(
    read, success, fake_time, resilience
):
    upstream = FakeUpstream(in_turn(UNAVAILABLE, success))

    await read(upstream)

    assert len(upstream.requests) == 2
    (wait,) = fake_time.sleeps
    assert 0 <= wait <= resilience.backoff_base_s


async def test_a_read_answered_503_every_time_is_unavailable_after_the_last_retry(
    system, read, fake_time, resilience
):
    upstream = FakeUpstream(in_turn(UNAVAILABLE))

    with pytest.raises(UpstreamUnavailable) as caught:
        await read(upstream)

    assert resilience.max_read_retries == 2
    assert len(upstream.requests) == 3
    assert len(fake_time.sleeps) == 2
    assert caught.value.status == 503
    assert caught.value.system == system


async def test_a_read_answered_429_with_retry_after_1_waits_one_second_and_succeeds(
    read, success, fake_time
):
    upstream = FakeUpstream(in_turn(httpx.Response(429, headers={"Retry-After": "1"}), success))

    await read(upstream)

    assert len(upstream.requests) == 2
    assert fake_time.sleeps == [1.0]


async def test_a_429_whose_retry_after_is_past_the_deadline_is_rate_limited_at_once(
    read, success, fake_time, resilience
):
    too_late = str(resilience.deadline_s + 1)
    upstream = FakeUpstream(
        in_turn(httpx.Response(429, headers={"Retry-After": too_late}), success)
    )

    with pytest.raises(UpstreamRateLimited) as caught:
        await read(upstream)

    assert caught.value.retry_after == resilience.deadline_s + 1
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_a_429_without_retry_after_is_retried_after_the_backoff(
    read, success, fake_time, resilience
):
    upstream = FakeUpstream(in_turn(httpx.Response(429), success))

    await read(upstream)

    assert len(upstream.requests) == 2
    (wait,) = fake_time.sleeps
    assert 0 <= wait <= resilience.backoff_base_s


@pytest.mark.parametrize(
    "transport_error",
    [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.ConnectError("refused")],
    ids=["read-timeout", "connect-timeout", "connect-error"],
)
async def test_a_read_that_timed_out_or_could_not_connect_is_retried(
    read, success, fake_time, transport_error
):
    upstream = FakeUpstream(in_turn(transport_error, success))

    await read(upstream)

    assert len(upstream.requests) == 2
    assert len(fake_time.sleeps) == 1


async def test_a_read_that_keeps_timing_out_is_a_timeout_after_the_last_retry(read, fake_time):
    upstream = FakeUpstream(in_turn(httpx.ReadTimeout("slow")))

    with pytest.raises(UpstreamTimeout):
        await read(upstream)

    assert len(upstream.requests) == 3
    assert len(fake_time.sleeps) == 2


@pytest.mark.parametrize(
    ("answer", "error_type"),
    [
        (json_response({"error": {"message": "bad ids"}}, 400), UpstreamRejected),
        (json_response({"error": {"message": "who are you"}}, 401), UpstreamRejected),
        (json_response({"error": {"message": "no"}}, 404), UpstreamRejected),
        (json_response({"error": {"message": "busy"}}, 409), UpstreamRejected),
        (json_response({"error": {"message": "invalid"}}, 422), UpstreamRejected),
        (httpx.Response(200, text="<html>maintenance</html>"), UpstreamBadResponse),
        (json_response({"unexpected": True}), UpstreamBadResponse),
    ],
    ids=["400", "401", "404", "409", "422", "garbage-body", "off-contract-body"],
)
async def test_a_read_that_was_refused_or_answered_badly_is_not_retried(
    read, success, fake_time, answer, error_type
):
    upstream = FakeUpstream(in_turn(answer, success))

    with pytest.raises(error_type):
        await read(upstream)

    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_an_erp_access_denied_envelope_is_not_retried(erp_for, fake_time):
    denied = json_response(
        {
            "jsonrpc": "2.0",
            "error": {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {"name": "odoo.exceptions.AccessDenied"},
            },
        }
    )
    upstream = FakeUpstream(in_turn(denied, SUCCESS["erp"]))

    with pytest.raises(UpstreamRejected):
        await erp_for(upstream).products_by_codes(["P-1"])

    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_an_scm_graphql_error_is_not_retried(scm_for, fake_time):
    limit = json_response(
        {"errors": [{"message": "too many", "extensions": {"code": "LIMIT_EXCEEDED"}}]}
    )
    upstream = FakeUpstream(in_turn(limit, SUCCESS["scm"]))

    with pytest.raises(UpstreamRejected):
        await scm_for(upstream).stock_levels(["SKU-1"])

    assert len(upstream.requests) == 1


async def test_no_read_is_retried_when_max_read_retries_is_zero(
    read, success, resilience, fake_time
):
    upstream = FakeUpstream(in_turn(UNAVAILABLE, success))

    with pytest.raises(UpstreamUnavailable):
        await read(upstream, replace(resilience, max_read_retries=0))

    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_a_read_tells_the_transport_it_may_be_sent_again(read, success):
    upstream = FakeUpstream(in_turn(success))

    await read(upstream)

    assert upstream.requests[0].extensions.get(REPLAYABLE) is True


# Writes: placing or cancelling an order is sent exactly once, whatever happens.

WRITE_FAILURES: list[tuple[httpx.Response | Exception, type[UpstreamError]]] = [
    (UNAVAILABLE, UpstreamUnavailable),
    (httpx.ConnectError("refused"), UpstreamUnavailable),
    (httpx.ConnectTimeout("slow"), UpstreamTimeout),
    (httpx.ReadTimeout("slow"), UpstreamTimeout),
    (httpx.Response(429, headers={"Retry-After": "1"}), UpstreamRateLimited),
]
WRITE_FAILURE_IDS = ["503", "connect-error", "connect-timeout", "read-timeout", "429"]
ORDER_CREATED = json_response(crm_order("SO-1"), 201)


@pytest.mark.parametrize(("failure", "error_type"), WRITE_FAILURES, ids=WRITE_FAILURE_IDS)
async def test_create_order_is_never_retried(crm_for, call_log, fake_time, failure, error_type):
    upstream = FakeUpstream(in_turn(failure, ORDER_CREATED))

    with pytest.raises(error_type):
        await crm_for(upstream).create_order("C-1", [("P-1001", 1)], None)

    assert len(upstream.requests) == 1
    assert REPLAYABLE not in upstream.requests[0].extensions
    assert call_log.count("crm", "create_order") == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(("failure", "error_type"), WRITE_FAILURES, ids=WRITE_FAILURE_IDS)
async def test_cancel_order_is_never_retried(crm_for, call_log, fake_time, failure, error_type):
    upstream = FakeUpstream(in_turn(failure, json_response(crm_order("SO-1"))))

    with pytest.raises(error_type):
        await crm_for(upstream).cancel_order("SO-1")

    assert len(upstream.requests) == 1
    assert call_log.count("crm", "cancel_order") == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("call", "answer", "error_type"),
    [
        (
            lambda crm: crm.create_order("C-1", [("P-1", 1)], None),
            json_response({"error": {"code": "VALIDATION", "message": "no", "fields": {}}}, 422),
            InputValidationError,
        ),
        (lambda crm: crm.cancel_order("SO-404"), json_response({"error": {}}, 404), NotFoundError),
        (lambda crm: crm.cancel_order("SO-1"), json_response({"error": {}}, 409), ConflictError),
    ],
    ids=["create-422", "cancel-404", "cancel-409"],
)
async def test_a_write_the_crm_refused_is_sent_once(crm_for, fake_time, call, answer, error_type):
    upstream = FakeUpstream(in_turn(answer))

    with pytest.raises(error_type):
        await call(crm_for(upstream))

    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []
