"""Backoff between retries grows exponentially up to a ceiling, with full jitter."""

from __future__ import annotations

import random
from dataclasses import replace

import httpx
import pytest

from core.errors import UpstreamUnavailable
from resolvers._retry import backoff_delay
from tests.resolvers.fakes import FakeUpstream


def almost_one() -> float:
    return 1.0 - 1e-12


def test_the_backoff_ceiling_doubles_with_each_retry_up_to_the_maximum():
    delays = [backoff_delay(n, 0.1, 2.0, almost_one) for n in range(7)]

    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])


def test_the_backoff_is_drawn_anywhere_between_zero_and_the_ceiling():
    rng = random.Random(1)
    for retry_number in range(6):
        ceiling = min(2.0, 0.1 * 2**retry_number)
        delays = [backoff_delay(retry_number, 0.1, 2.0, rng.random) for _ in range(200)]

        assert all(0 <= delay <= ceiling for delay in delays)
        # Full jitter: the draws spread over the whole window, not around one value.
        assert min(delays) < ceiling / 4
        assert max(delays) > ceiling * 3 / 4


def test_a_huge_retry_number_stays_at_the_maximum():
    assert backoff_delay(10_000, 0.1, 2.0, almost_one) == pytest.approx(2.0)


async def test_the_waits_of_a_failing_read_stay_within_their_growing_bounds(
    crm_for, resilience, fake_time
):
    # A breaker that stays closed, or it would stop the retries after five failures.
    patient = replace(resilience, max_read_retries=6, deadline_s=60.0, breaker_minimum_calls=100)
    upstream = FakeUpstream(lambda request: httpx.Response(503))

    with pytest.raises(UpstreamUnavailable):
        await crm_for(upstream, patient).customers_by_ids(["C-1"])

    assert len(upstream.requests) == 7
    assert len(fake_time.sleeps) == 6
    for retry_number, wait in enumerate(fake_time.sleeps):
        assert 0 <= wait <= min(patient.backoff_max_s, patient.backoff_base_s * 2**retry_number)


async def test_the_same_seed_gives_the_same_waits(crm_for, resilience, fake_time):
    patient = replace(resilience, max_read_retries=4, deadline_s=60.0, random_seed=42)
    runs: list[list[float]] = []
    for _ in range(2):
        fake_time.sleeps.clear()
        with pytest.raises(UpstreamUnavailable):
            await crm_for(
                FakeUpstream(lambda request: httpx.Response(503)), patient
            ).customers_by_ids(["C-1"])
        runs.append(list(fake_time.sleeps))

    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 4
