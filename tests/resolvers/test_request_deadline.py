"""Inside a request's deadline every upstream call ends by it, and says it was cut short."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from core.errors import RequestDeadlineExceeded, UpstreamTimeout
from resolvers.request_deadline import current_request_deadline, request_deadline
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fakes import FakeUpstream, json_response

OK = json_response({"records": [], "missing": []})


async def never_in_time(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return OK


@pytest.fixture
def one_shot() -> ResilienceConfig:
    return ResilienceConfig(max_read_retries=0, deadline_s=8.0)


async def test_a_call_ends_at_the_requests_deadline_and_says_so(crm_for, one_shot):
    upstream = FakeUpstream(never_in_time)
    crm = crm_for(upstream, one_shot)

    with request_deadline(0.05), pytest.raises(RequestDeadlineExceeded) as caught:
        await asyncio.wait_for(crm.orders_by_ids(["SO-1"]), timeout=2)

    assert "the request's 0.05 s deadline" in caught.value.message
    assert caught.value.code == "UPSTREAM_TIMEOUT"
    assert len(upstream.requests) == 1


async def test_nothing_is_sent_once_the_requests_deadline_has_passed(crm_for, one_shot):
    upstream = FakeUpstream(lambda request: OK)
    crm = crm_for(upstream, one_shot)

    with request_deadline(0.01):
        await asyncio.sleep(0.02)
        with pytest.raises(RequestDeadlineExceeded, match="not sent"):
            await crm.orders_by_ids(["SO-1"])

    assert upstream.requests == []
    assert crm.breaker_state == "closed"


async def test_the_systems_own_timeout_is_not_blamed_on_the_request(crm_for):
    def read_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    crm = crm_for(FakeUpstream(read_timeout), ResilienceConfig(max_read_retries=0))

    with request_deadline(30.0), pytest.raises(UpstreamTimeout) as caught:
        await crm.orders_by_ids(["SO-1"])

    assert not isinstance(caught.value, RequestDeadlineExceeded)


async def test_the_deadline_is_seen_only_inside_its_block():
    assert current_request_deadline() is None
    with request_deadline(1.0) as deadline:
        assert current_request_deadline() is deadline
    assert current_request_deadline() is None


@pytest.fixture
def opens_on_one_failure() -> ResilienceConfig:
    return ResilienceConfig(max_read_retries=0, deadline_s=8.0, breaker_minimum_calls=1)


async def test_a_call_cut_short_after_other_systems_used_the_time_is_not_blamed_on_its_system(
    crm_for, opens_on_one_failure
):
    crm = crm_for(FakeUpstream(never_in_time), opens_on_one_failure)

    with request_deadline(0.4):
        # Another system's level took most of the request's time.
        await asyncio.sleep(0.3)
        with pytest.raises(RequestDeadlineExceeded):
            await crm.orders_by_ids(["SO-1"])

    assert crm.breaker_state == "closed"


async def test_a_call_that_had_the_whole_request_deadline_and_did_not_answer_counts(
    crm_for, opens_on_one_failure
):
    crm = crm_for(FakeUpstream(never_in_time), opens_on_one_failure)

    with request_deadline(0.1), pytest.raises(RequestDeadlineExceeded):
        await crm.orders_by_ids(["SO-1"])

    assert crm.breaker_state == "open"
