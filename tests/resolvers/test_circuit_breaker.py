"""Each system's circuit breaker opens when enough of the calls in its window failed for
availability (at least ``breaker_minimum_calls`` calls, ``breaker_failure_rate`` of them
failed), fails fast while open, and lets one probe through after the cool-down to
decide what comes next. A read and its retries are one call."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import httpx
import pytest

from core.errors import UpstreamTimeout, UpstreamUnavailable
from resolvers._breaker import Admission, CircuitBreaker, CircuitOpen
from resolvers.crm import CrmClient
from resolvers.resilience import ResilienceConfig
from tests.resolvers.fake_time import FakeTime
from tests.resolvers.fakes import FakeUpstream, json_response
from tests.resolvers.samples import crm_order

OK = json_response({"records": [], "missing": []})
# The default window: at least ten calls, half of them failed, in the last ten seconds.
MIN_CALLS = ResilienceConfig().breaker_minimum_calls


class Switchable:
    """An upstream whose answer the test changes as it goes."""

    def __init__(self, answer: httpx.Response | Exception) -> None:
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if isinstance(self.answer, Exception):
            raise self.answer
        return httpx.Response(
            self.answer.status_code, headers=self.answer.headers, content=self.answer.content
        )


@pytest.fixture
def one_shot(resilience: ResilienceConfig) -> ResilienceConfig:
    """No retries, so each read is one attempt and one breaker outcome."""
    return replace(resilience, max_read_retries=0)


async def until_sent(upstream: FakeUpstream, count: int) -> None:
    """Let other tasks run until ``count`` requests have reached the upstream."""
    for _ in range(100):
        if len(upstream.requests) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"only {len(upstream.requests)} of {count} requests were sent")


async def read(crm: CrmClient) -> None:
    await crm.customers_by_ids(["C-1"])


async def fail_reads(crm: CrmClient, times: int) -> None:
    for _ in range(times):
        with pytest.raises(UpstreamUnavailable):
            await read(crm)


async def test_the_breaker_starts_closed(crm_for, one_shot):
    crm = crm_for(FakeUpstream(Switchable(OK)), one_shot)

    assert crm.breaker_state == "closed"


async def test_the_breaker_stays_closed_until_the_window_holds_the_minimum_of_calls(
    crm_for, one_shot
):
    crm = crm_for(FakeUpstream(Switchable(httpx.Response(503))), one_shot)

    await fail_reads(crm, MIN_CALLS - 1)
    assert crm.breaker_state == "closed"
    await fail_reads(crm, 1)
    assert crm.breaker_state == "open"


async def test_the_breaker_opens_once_half_the_calls_in_the_window_failed(crm_for, one_shot):
    upstream = Switchable(OK)
    crm = crm_for(FakeUpstream(upstream), one_shot)
    for _ in range(10):
        await read(crm)
    upstream.answer = httpx.Response(503)

    await fail_reads(crm, 9)
    assert crm.breaker_state == "closed"  # 9 of 19
    await fail_reads(crm, 1)
    assert crm.breaker_state == "open"  # 10 of 20


async def test_failures_in_runs_keep_the_breaker_closed_while_most_calls_succeed(crm_for, one_shot):
    upstream = Switchable(OK)
    crm = crm_for(FakeUpstream(upstream), one_shot)

    # Runs of five failures (which opened the old breaker), a quarter of all calls.
    for number in range(400):
        upstream.answer = httpx.Response(503) if number % 20 < 5 else OK
        with contextlib.suppress(UpstreamUnavailable):
            await read(crm)

    assert crm.breaker_state == "closed"


async def test_outcomes_older_than_the_window_are_forgotten(crm_for, one_shot, fake_time):
    crm = crm_for(FakeUpstream(Switchable(httpx.Response(503))), one_shot)

    await fail_reads(crm, MIN_CALLS - 1)
    fake_time.advance(one_shot.breaker_window_s)
    await fail_reads(crm, 1)

    assert crm.breaker_state == "closed"


async def test_a_read_and_its_retries_count_as_one_call(crm_for, resilience):
    upstream = FakeUpstream(Switchable(httpx.Response(503)))
    crm = crm_for(upstream, resilience)

    await fail_reads(crm, MIN_CALLS - 1)
    assert len(upstream.requests) == (MIN_CALLS - 1) * (1 + resilience.max_read_retries)
    assert crm.breaker_state == "closed"
    await fail_reads(crm, 1)
    assert crm.breaker_state == "open"


async def test_timeouts_and_connect_errors_count_as_availability_failures(crm_for, one_shot):
    upstream = Switchable(httpx.ReadTimeout("slow"))
    crm = crm_for(FakeUpstream(upstream), one_shot)

    for _ in range(MIN_CALLS // 2):
        with pytest.raises(UpstreamTimeout):
            await read(crm)
    upstream.answer = httpx.ConnectError("refused")
    await fail_reads(crm, MIN_CALLS - MIN_CALLS // 2)

    assert crm.breaker_state == "open"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400),
        httpx.Response(401),
        httpx.Response(404),
        httpx.Response(429),
        httpx.Response(200, text="garbage"),
    ],
    ids=["400", "401", "404", "429", "garbage"],
)
async def test_refusals_and_bad_answers_do_not_open_the_breaker(crm_for, one_shot, answer):
    crm = crm_for(FakeUpstream(Switchable(answer)), one_shot)

    for _ in range(3 * MIN_CALLS):
        with pytest.raises(Exception):  # noqa: B017 - which error is not the point here
            await read(crm)

    assert crm.breaker_state == "closed"


async def test_an_open_breaker_fails_fast_without_a_request(crm_for, one_shot, call_log, fake_time):
    upstream = FakeUpstream(Switchable(httpx.Response(503)))
    crm = crm_for(upstream, one_shot)
    await fail_reads(crm, MIN_CALLS)
    sent = len(upstream.requests)

    with pytest.raises(CircuitOpen) as caught:
        await read(crm)

    assert isinstance(caught.value, UpstreamUnavailable)
    assert "circuit open" in caught.value.message
    assert caught.value.system == "crm"
    assert len(upstream.requests) == sent
    assert call_log.count("crm") == sent
    assert fake_time.sleeps == []


async def test_an_open_breaker_refuses_writes_too(crm_for, one_shot):
    upstream = FakeUpstream(Switchable(httpx.Response(503)))
    crm = crm_for(upstream, one_shot)
    await fail_reads(crm, MIN_CALLS)
    sent = len(upstream.requests)

    with pytest.raises(CircuitOpen):
        await crm.create_order("C-1", [("P-1", 1)], None)
    with pytest.raises(CircuitOpen):
        await crm.cancel_order("SO-1")

    assert len(upstream.requests) == sent


async def test_after_the_cooldown_the_breaker_is_half_open_and_a_successful_probe_closes_it(
    crm_for, one_shot, fake_time
):
    upstream = Switchable(httpx.Response(503))
    crm = crm_for(FakeUpstream(upstream), one_shot)
    await fail_reads(crm, MIN_CALLS)

    fake_time.advance(one_shot.breaker_cooldown_s - 0.1)
    assert crm.breaker_state == "open"
    fake_time.advance(0.1)
    assert crm.breaker_state == "half_open"

    upstream.answer = OK
    await read(crm)

    assert crm.breaker_state == "closed"


async def test_a_failed_probe_opens_the_breaker_again_for_a_full_cooldown(
    crm_for, one_shot, fake_time
):
    fake = FakeUpstream(Switchable(httpx.Response(503)))
    crm = crm_for(fake, one_shot)
    await fail_reads(crm, MIN_CALLS)
    fake_time.advance(one_shot.breaker_cooldown_s)

    await fail_reads(crm, 1)

    assert crm.breaker_state == "open"
    sent = len(fake.requests)
    fake_time.advance(one_shot.breaker_cooldown_s - 0.1)
    with pytest.raises(CircuitOpen):
        await read(crm)
    assert len(fake.requests) == sent
    fake_time.advance(0.1)
    assert crm.breaker_state == "half_open"


async def test_a_probe_that_was_refused_still_closes_the_breaker(crm_for, one_shot, fake_time):
    upstream = Switchable(httpx.Response(503))
    crm = crm_for(FakeUpstream(upstream), one_shot)
    await fail_reads(crm, MIN_CALLS)
    fake_time.advance(one_shot.breaker_cooldown_s)

    upstream.answer = httpx.Response(400)
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is not the point
        await read(crm)

    assert crm.breaker_state == "closed"


async def test_half_open_lets_only_one_probe_through_at_a_time(crm_for, one_shot, fake_time):
    release_probe = asyncio.Event()
    failing = True

    async def answer(request: httpx.Request) -> httpx.Response:
        if failing:
            return httpx.Response(503)
        await release_probe.wait()
        return OK

    upstream = FakeUpstream(answer)
    crm = crm_for(upstream, one_shot)
    await fail_reads(crm, MIN_CALLS)
    fake_time.advance(one_shot.breaker_cooldown_s)
    failing = False

    probe = asyncio.create_task(read(crm))
    await until_sent(upstream, MIN_CALLS + 1)
    with pytest.raises(CircuitOpen):
        await read(crm)
    release_probe.set()
    await probe

    assert len(upstream.requests) == MIN_CALLS + 1
    assert crm.breaker_state == "closed"


async def test_a_cancelled_probe_lets_the_next_request_probe(crm_for, one_shot, fake_time):
    hang = True

    async def answer(request: httpx.Request) -> httpx.Response:
        if hang:
            await asyncio.sleep(60)
        return OK

    upstream = FakeUpstream(lambda request: httpx.Response(503))
    crm = crm_for(upstream, one_shot)
    await fail_reads(crm, MIN_CALLS)
    fake_time.advance(one_shot.breaker_cooldown_s)
    upstream.answer = answer

    probe = asyncio.create_task(read(crm))
    await until_sent(upstream, MIN_CALLS + 1)
    assert crm.breaker_state == "half_open"
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    hang = False
    await read(crm)

    assert len(upstream.requests) == MIN_CALLS + 2
    assert crm.breaker_state == "closed"


async def test_a_retry_is_not_waited_for_once_other_calls_opened_the_breaker(
    crm_for, resilience, fake_time
):
    crm: CrmClient | None = None

    def fails_and_opens_the_breaker(request: httpx.Request) -> httpx.Response:
        # While this read's first attempt is out, other calls find the CRM down.
        assert crm is not None
        for _ in range(MIN_CALLS):
            crm._endpoint.breaker.record_failure(Admission.REGULAR)
        return httpx.Response(503)

    upstream = FakeUpstream(fails_and_opens_the_breaker)
    crm = crm_for(upstream, resilience)

    with pytest.raises(UpstreamUnavailable) as caught:
        await crm.customers_by_ids(["C-1"])

    assert not isinstance(caught.value, CircuitOpen)
    assert caught.value.status == 503
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_a_failing_write_counts_toward_opening_the_breaker(crm_for, one_shot):
    upstream = FakeUpstream(Switchable(httpx.Response(503)))
    crm = crm_for(upstream, one_shot)
    await fail_reads(crm, MIN_CALLS - 1)

    with pytest.raises(UpstreamUnavailable):
        await crm.create_order("C-1", [("P-1", 1)], None)

    assert crm.breaker_state == "open"


async def test_each_client_has_its_own_breaker(crm_for, one_shot):
    broken = crm_for(FakeUpstream(Switchable(httpx.Response(503))), one_shot)
    healthy = crm_for(FakeUpstream(Switchable(json_response(crm_order()))), one_shot)

    await fail_reads(broken, MIN_CALLS)

    assert broken.breaker_state == "open"
    assert healthy.breaker_state == "closed"


def test_a_failure_let_in_before_the_breaker_opened_does_not_extend_the_cooldown():
    fake_time = FakeTime()
    breaker = CircuitBreaker(
        failure_rate=1.0, minimum_calls=1, window_s=10.0, cooldown_s=5.0, clock=fake_time.clock
    )
    early, late = breaker.admit(), breaker.admit()
    assert early is late is Admission.REGULAR

    breaker.record_failure(early)
    fake_time.advance(4.0)
    breaker.record_failure(late)
    fake_time.advance(1.0)

    assert breaker.state == "half_open"


async def test_a_saturated_connection_pool_does_not_open_the_breaker():
    import httpx

    from core.errors import UpstreamTimeout
    from resolvers.crm import CrmClient
    from resolvers.resilience import ResilienceConfig

    def no_free_connection(request: httpx.Request) -> httpx.Response:
        raise httpx.PoolTimeout("busy")

    config = ResilienceConfig(max_read_retries=0, breaker_minimum_calls=2)
    async with httpx.AsyncClient(transport=httpx.MockTransport(no_free_connection)) as http:
        client = CrmClient(http, "http://crm.test", "token", resilience=config)
        for _ in range(5):
            with contextlib.suppress(UpstreamTimeout):
                await client.orders_by_ids(["SO-1"])
        assert client.breaker_state == "closed"


def test_the_window_holds_one_bucket_per_second_whatever_the_load():
    fake_time = FakeTime()
    breaker = CircuitBreaker(
        failure_rate=0.5, minimum_calls=10, window_s=10.0, cooldown_s=5.0, clock=fake_time.clock
    )
    for _ in range(60_000):
        breaker.record_success(Admission.REGULAR)
        fake_time.advance(0.001)

    assert len(breaker._buckets) <= 10
    assert breaker.failure_rate() == 0.0
