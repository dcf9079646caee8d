"""An outage is logged once per failure and sampled, not once per failed field."""

from __future__ import annotations

import gc
import logging

from tests.gateway.faulty_gateways import Faults

DASHBOARD = """{ customers(first: 10) { edges { node { id orders {
  id lines { product { code inventory { available } } } shipments { status } } } } } }"""
REQUESTS = 4


def test_an_scm_outage_logs_a_few_lines_for_thousands_of_failed_fields(
    gateway_of_test, sim_faults: Faults, caplog
):
    caplog.set_level(logging.WARNING)
    gateway = gateway_of_test()
    sim_faults.set("scm", down=True)

    failed_fields = 0
    for _ in range(REQUESTS):
        failed_fields += len(gateway.answer(DASHBOARD)["errors"])
    gc.collect()

    lines = [r for r in caplog.records if r.name == "supplygraph.errors"]
    assert failed_fields > 100 * REQUESTS
    # Two failed batches per request (stock, shipments), one kind: sampled per second.
    assert 1 <= len(lines) <= REQUESTS
    assert "more fields" in lines[0].getMessage()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
