from __future__ import annotations

import pytest

from resolvers.resilience import ResilienceConfig, per_system


def test_the_defaults_retry_reads_twice_within_eight_seconds_and_open_at_half_failing():
    config = ResilienceConfig()

    assert config.max_read_retries == 2
    assert config.deadline_s == 8.0
    assert config.breaker_failure_rate == 0.5
    assert config.breaker_minimum_calls == 10
    assert config.breaker_window_s == 10.0
    assert config.breaker_cooldown_s == 5.0


@pytest.mark.parametrize(
    "wrong",
    [
        {"connect_timeout_s": 0},
        {"read_timeout_s": -1},
        {"deadline_s": 0},
        {"breaker_cooldown_s": 0},
        {"max_read_retries": -1},
        {"backoff_base_s": -0.1},
        {"backoff_base_s": 3.0, "backoff_max_s": 2.0},
        {"breaker_minimum_calls": 0},
        {"breaker_failure_rate": 0},
        {"breaker_failure_rate": 1.5},
        {"breaker_window_s": 0},
    ],
    ids=lambda wrong: ",".join(wrong),
)
def test_a_config_that_cannot_work_is_refused(wrong):
    with pytest.raises(ValueError):
        ResilienceConfig(**wrong)


def test_overrides_change_only_the_system_they_name():
    shared = ResilienceConfig(deadline_s=8.0)

    configs = per_system(
        shared, {"erp": {"deadline_s": 12, "max_read_retries": 1.0}}, ("crm", "erp", "scm")
    )

    assert configs["crm"] == shared
    assert configs["scm"] == shared
    assert configs["erp"].deadline_s == 12.0
    assert configs["erp"].max_read_retries == 1
    assert isinstance(configs["erp"].max_read_retries, int)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"wms": {"deadline_s": 1}}, "unknown systems"),
        ({"crm": {"deadline": 1}}, "unknown resilience fields"),
        ({"crm": {"clock": 1}}, "unknown resilience fields"),
        ({"crm": {"max_read_retries": 1.5}}, "whole number"),
        ({"crm": {"deadline_s": -1}}, "deadline_s must be positive"),
    ],
)
def test_overrides_that_cannot_be_meant_are_refused(overrides, complaint):
    with pytest.raises(ValueError, match=complaint):
        per_system(ResilienceConfig(), overrides, ("crm", "erp", "scm"))
