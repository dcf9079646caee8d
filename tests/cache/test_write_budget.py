"""The write budget: bytes per minute, refilled continuously, never more than a minute's."""

from __future__ import annotations

from cache.write_budget import WriteBudget


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_spends_up_to_a_minutes_worth_and_then_refuses():
    budget = WriteBudget(600, clock=Clock())
    assert budget.spend(400)
    assert budget.spend(200)
    assert not budget.spend(1)


def test_a_refused_write_takes_nothing_from_the_budget():
    budget = WriteBudget(600, clock=Clock())
    assert not budget.spend(601)
    assert budget.spend(600)


def test_the_budget_refills_with_time_but_never_past_a_minutes_worth():
    clock = Clock()
    budget = WriteBudget(600, clock=clock)
    assert budget.spend(600)
    clock.now += 10  # a sixth of a minute: 100 bytes back
    assert budget.spend(100)
    assert not budget.spend(1)
    clock.now += 3600
    assert not budget.spend(601)
    assert budget.spend(600)
