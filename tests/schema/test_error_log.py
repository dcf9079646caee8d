"""A failure is logged once, not once per field it failed, and an outage is sampled."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from core.errors import UpstreamTimeout, UpstreamUnavailable
from schema.error_log import Sampler, log_errors
from tests.resolvers.fake_time import FakeTime


def field_errors(original: Exception, fields: int) -> list[GraphQLError]:
    return [
        GraphQLError("failed", path=["orders", index, "shipments"], original_error=original)
        for index in range(fields)
    ]


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "supplygraph.errors"]


def test_the_fields_of_one_failed_batch_make_one_line(caplog):
    caplog.set_level(logging.INFO, logger="supplygraph.errors")
    down = UpstreamUnavailable("scm", "scm shipmentsByOrder: HTTP 503")

    log_errors(field_errors(down, 1_750), Sampler(clock=FakeTime().clock))

    assert warnings(caplog) == [
        "orders.0.shipments and 1749 more fields: scm shipmentsByOrder: HTTP 503 "
        "(UPSTREAM_UNAVAILABLE)"
    ]


def test_an_outage_logs_one_line_per_kind_per_interval_and_counts_the_rest(caplog):
    caplog.set_level(logging.INFO, logger="supplygraph.errors")
    time = FakeTime()
    sampler = Sampler(interval_s=1.0, clock=time.clock)

    for _ in range(128):  # 128 requests in 2 s, each with its own failed batches
        log_errors(field_errors(UpstreamUnavailable("scm", "scm down"), 30), sampler)
        log_errors(field_errors(UpstreamTimeout("erp", "erp slow"), 30), sampler)
        time.advance(1 / 64)

    lines = warnings(caplog)
    assert len([line for line in lines if "scm down" in line]) == 2
    assert len([line for line in lines if "erp slow" in line]) == 2
    assert lines[-1].endswith("[63 more like it left out of the log]")


def test_a_bug_is_always_logged_with_its_stack(caplog):
    sampler = Sampler(clock=FakeTime().clock)
    bug = RuntimeError("boom")

    for _ in range(3):
        log_errors(field_errors(bug, 5), sampler)

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert all(r.exc_info and r.exc_info[1] is bug for r in errors)
