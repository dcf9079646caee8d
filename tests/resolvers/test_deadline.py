"""One logical call, attempts and waits together, never takes longer than its deadline."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from core.errors import UpstreamTimeout, UpstreamUnavailable
from resolvers.crm import CrmClient
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fake_time import FakeTime
from tests.resolvers.fakes import BASE_URL, CRM_TOKEN, FakeUpstream, json_response
from tests.resolvers.samples import crm_order

# Fake seconds are floats added up: allow for rounding, not for time.
FLOAT_SLACK = 1e-9


class SlowUpstream:
    """Takes ``latency_s`` of fake time to answer, and gives up, as httpx would, once the
    request's own read timeout has passed. Remembers what each attempt cost."""

    def __init__(self, fake_time: FakeTime, latency_s: float, answer: httpx.Response) -> None:
        self.fake_time = fake_time
        self.latency_s = latency_s
        self.answer = answer
        self.attempt_costs: list[float] = []
        self.timeouts: list[dict[str, float]] = []
        self.sent_at: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]
        self.timeouts.append(timeout)
        self.sent_at.append(self.fake_time.elapsed)
        cost = min(self.latency_s, timeout["read"])
        self.attempt_costs.append(cost)
        self.fake_time.advance(cost)
        if self.latency_s > timeout["read"]:
            raise httpx.ReadTimeout("no answer in time", request=request)
        return httpx.Response(self.answer.status_code, content=self.answer.content)


@pytest.fixture
def strict(resilience: ResilienceConfig) -> ResilienceConfig:
    """Enough retries and long enough backoffs that only the deadline can stop them."""
    return replace(
        resilience,
        deadline_s=8.0,
        read_timeout_s=3.0,
        max_read_retries=10,
        backoff_base_s=1.0,
        backoff_max_s=4.0,
    )


async def test_the_deadline_bounds_all_attempts_and_waits_of_a_slow_read(
    crm_for, strict, fake_time
):
    slow = SlowUpstream(fake_time, latency_s=60.0, answer=json_response({"records": []}))

    with pytest.raises(UpstreamTimeout):
        await crm_for(FakeUpstream(slow), strict).customers_by_ids(["C-1"])

    assert len(slow.attempt_costs) >= 2
    spent = sum(fake_time.sleeps) + sum(slow.attempt_costs)
    assert spent == pytest.approx(fake_time.elapsed)
    assert spent <= strict.deadline_s + FLOAT_SLACK


async def test_each_attempt_gets_at_most_what_is_left_of_the_deadline(crm_for, strict, fake_time):
    slow = SlowUpstream(fake_time, latency_s=60.0, answer=json_response({"records": []}))

    with pytest.raises(UpstreamTimeout):
        await crm_for(FakeUpstream(slow), strict).customers_by_ids(["C-1"])

    for sent_at, timeout in zip(slow.sent_at, slow.timeouts, strict=True):
        left = strict.deadline_s - sent_at
        assert timeout["read"] == pytest.approx(min(strict.read_timeout_s, left))
        assert timeout["connect"] == pytest.approx(min(strict.connect_timeout_s, left))
        assert max(timeout.values()) <= left + FLOAT_SLACK


async def test_an_answer_that_used_up_the_deadline_is_not_retried(crm_for, strict, fake_time):
    failing_slowly = SlowUpstream(fake_time, latency_s=8.0, answer=httpx.Response(503))

    with pytest.raises(UpstreamUnavailable):
        await crm_for(
            FakeUpstream(failing_slowly), replace(strict, read_timeout_s=10.0)
        ).customers_by_ids(["C-1"])

    assert len(failing_slowly.attempt_costs) == 1
    assert fake_time.sleeps == []
    assert fake_time.elapsed == pytest.approx(strict.deadline_s)


async def test_a_write_is_bounded_by_the_deadline_too(crm_for, strict, fake_time):
    slow = SlowUpstream(fake_time, latency_s=1.0, answer=json_response(crm_order("SO-1"), 201))

    await crm_for(FakeUpstream(slow), replace(strict, deadline_s=2.5)).create_order(
        "C-1", [("P-1", 1)], None
    )

    (timeout,) = slow.timeouts
    assert timeout["read"] == pytest.approx(2.5)


async def test_an_upstream_that_never_answers_is_cut_off_at_the_deadline(http_over):
    """The one test on the real clock: only it shows the outer bound on an attempt,
    which holds even when httpx's per-phase timeouts would not fire."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        raise AssertionError("the deadline should have cut this off")

    client = CrmClient(
        http_over(FakeUpstream(hang)),
        BASE_URL,
        CRM_TOKEN,
        resilience=ResilienceConfig(deadline_s=0.05, max_read_retries=0),
    )

    with pytest.raises(UpstreamTimeout, match="deadline"):
        await asyncio.wait_for(client.customers_by_ids(["C-1"]), timeout=5)
