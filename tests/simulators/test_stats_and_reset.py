"""``/_sim/stats`` counts calls per operation with their batch sizes; ``/_sim/reset``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from simulators.runner import RunningSimulators
from tests.simulators.helpers import gql, rpc, search_read

Stats = Callable[[str], dict[str, Any]]


@pytest.fixture(autouse=True)
def zeroed_counters(simulators: RunningSimulators) -> None:
    simulators.reset(data=False)


def test_stats_have_the_documented_shape(crm: httpx.Client, sim_stats: Stats) -> None:
    crm.get("/crm/v1/customers", params={"ids": "C-000001,C-000002"})
    assert sim_stats("crm") == {
        "system": "crm",
        "requests": 1,
        "operations": {"customers.by_ids": {"calls": 1, "batch_sizes": [2], "max_batch": 2}},
    }


def test_every_crm_operation_has_its_own_counter(
    crm: httpx.Client, sim_stats: Stats, restore_data: None
) -> None:
    crm.get("/crm/v1/customers", params={"ids": "C-000001"})
    crm.get("/crm/v1/customers", params={"limit": 20})
    crm.get("/crm/v1/orders", params={"ids": "SO-100001,SO-100002,SO-100003"})
    crm.get("/crm/v1/orders", params={"customer_ids": "C-000001,C-000002"})
    crm.post(
        "/crm/v1/orders",
        json={"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 1}]},
    )
    crm.post("/crm/v1/orders/SO-999999/cancel")
    operations = sim_stats("crm")["operations"]
    assert {name: op["batch_sizes"] for name, op in operations.items()} == {
        "customers.by_ids": [1],
        "customers.page": [20],
        "orders.by_ids": [3],
        "orders.by_customer_ids": [2],
        "orders.create": [1],
        "orders.cancel": [1],
    }


def test_a_rejected_oversized_batch_still_counts_with_its_size(
    crm: httpx.Client, sim_stats: Stats
) -> None:
    crm.get("/crm/v1/customers", params={"ids": "C-000001"})
    ids = ",".join(f"C-{n:06d}" for n in range(1, 102))
    assert crm.get("/crm/v1/customers", params={"ids": ids}).status_code == 400
    by_ids = sim_stats("crm")["operations"]["customers.by_ids"]
    assert by_ids == {"calls": 2, "batch_sizes": [1, 101], "max_batch": 101}


def test_requests_without_credentials_count_as_requests_but_not_as_calls(
    simulators: RunningSimulators, sim_stats: Stats
) -> None:
    httpx.get(f"{simulators.crm_url}/crm/v1/customers?ids=C-000001")
    assert sim_stats("crm") == {"system": "crm", "requests": 1, "operations": {}}


def test_the_sim_routes_are_not_counted(simulators: RunningSimulators, sim_stats: Stats) -> None:
    httpx.get(f"{simulators.scm_url}/_sim/faults")
    sim_stats("scm")
    assert sim_stats("scm")["requests"] == 0


def test_an_erp_call_counts_under_model_and_method_with_its_largest_in_term(
    erp: httpx.Client, sim_stats: Stats
) -> None:
    refs = [f"SO-{n}" for n in range(100001, 100031)]
    search_read(
        erp,
        "mrp.production",
        [["sale_ref", "in", refs], ["state", "in", ["done", "progress"]]],
        fields=["state"],
    )
    search_read(erp, "product.product", [["default_code", "=", "P-1001"]])
    codes = [f"P-{n}" for n in range(1001, 1202)]
    rpc(
        erp,
        {
            "model": "product.product",
            "method": "search_read",
            "domain": [["default_code", "in", codes]],
        },
    )
    stats = sim_stats("erp")
    assert stats["requests"] == 3
    assert stats["operations"] == {
        "mrp.production.search_read": {"calls": 1, "batch_sizes": [30], "max_batch": 30},
        "product.product.search_read": {"calls": 2, "batch_sizes": [1, 201], "max_batch": 201},
    }


def test_an_scm_request_counts_one_call_per_root_field_selected(
    scm: httpx.Client, sim_stats: Stats
) -> None:
    gql(
        scm,
        """{ a: stockLevels(skus: ["SKU-1001-A", "SKU-1003-A"]) { sku }
             b: stockLevels(skus: ["SKU-1001-A"]) { sku }
             suppliers(ids: ["SUP-001", "SUP-002", "SUP-003"]) { id }
             purchaseOrders(skus: ["SKU-1001-A"]) { id }
             shipmentsByOrder(orderRefs: ["SO-100001"]) { id }
             shipments(trackingNumbers: []) { id } }""",
    )
    stats = sim_stats("scm")
    assert stats["requests"] == 1
    assert {name: op["batch_sizes"] for name, op in stats["operations"].items()} == {
        "stockLevels": [2, 1],
        "suppliers": [3],
        "purchaseOrders": [1],
        "shipmentsByOrder": [1],
        "shipments": [0],
    }


def test_an_scm_call_past_its_limit_counts_with_its_size(
    scm: httpx.Client, sim_stats: Stats
) -> None:
    gql(
        scm,
        "query($ids: [ID!]!) { suppliers(ids: $ids) { id } }",
        {"ids": [f"SUP-{n}" for n in range(101)]},
    )
    assert sim_stats("scm")["operations"]["suppliers"]["max_batch"] == 101


def test_reset_zeroes_the_counters_of_that_system(
    simulators: RunningSimulators, crm: httpx.Client, erp: httpx.Client, sim_stats: Stats
) -> None:
    crm.get("/crm/v1/customers", params={"ids": "C-000001"})
    search_read(erp, "res.partner", [], limit=1)
    response = httpx.post(f"{simulators.crm_url}/_sim/reset")
    assert response.status_code == 200
    assert sim_stats("crm") == {"system": "crm", "requests": 0, "operations": {}}
    assert sim_stats("erp")["requests"] == 1


def test_reset_with_data_restores_the_seeded_dataset(
    simulators: RunningSimulators, crm: httpx.Client, restore_data: None
) -> None:
    seeded_count = len(simulators.dataset.orders)
    order_id = next(o.id for o in simulators.dataset.orders.values() if o.status == "confirmed")
    crm.post(
        "/crm/v1/orders",
        json={"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 1}]},
    )
    crm.post(f"/crm/v1/orders/{order_id}/cancel")
    assert len(simulators.dataset.orders) == seeded_count + 1
    response = httpx.post(f"{simulators.erp_url}/_sim/reset", json={"data": True})
    assert response.status_code == 200
    assert len(simulators.dataset.orders) == seeded_count
    restored = crm.get("/crm/v1/orders", params={"ids": order_id}).json()["records"][0]
    assert restored["status"] == "confirmed"
