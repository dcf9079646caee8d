"""The CRM's version 2 order lists: a created_at window paged by cursor, orders of products."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from simulators.runner import RunningSimulators

Stats = Callable[[str], dict[str, Any]]
WINDOW = {"created_from": "2026-10-01T00:00:00Z", "created_to": "2026-11-01T00:00:00Z"}


def created(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["created_at"])


def page_through(crm: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        response = crm.get(
            "/crm/v1/orders", params={**params, "cursor": cursor} if cursor else params
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"records", "next_cursor"}
        records.extend(body["records"])
        cursor = body["next_cursor"]
        if cursor is None:
            return records


def expected_window(
    simulators: RunningSimulators, start: str, end: str, status: str | None = None
) -> list[str]:
    low, high = datetime.fromisoformat(start), datetime.fromisoformat(end)
    orders = [
        o
        for o in simulators.dataset.orders.values()
        if low <= o.created_at < high and (status is None or o.status == status)
    ]
    return [o.id for o in sorted(orders, key=lambda o: (o.created_at, o.id))]


def test_paging_a_created_at_window_visits_each_order_in_it_once_by_created_at_then_id(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    records = page_through(crm, {**WINDOW, "limit": 37})
    expected = expected_window(simulators, WINDOW["created_from"], WINDOW["created_to"])
    assert len(expected) > 37 * 3  # several pages, so the cursor is exercised
    assert [r["id"] for r in records] == expected
    keys = [(created(r), r["id"]) for r in records]
    assert keys == sorted(keys)


def test_the_window_includes_its_start_and_excludes_its_end(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    some = sorted(simulators.dataset.orders.values(), key=lambda o: (o.created_at, o.id))[2000]
    moment = some.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    starting = crm.get(
        "/crm/v1/orders", params={"created_from": moment, "created_to": "2027-01-01T00:00:00Z"}
    ).json()["records"]
    ending = page_through(
        crm, {"created_from": "2020-01-01T00:00:00Z", "created_to": moment, "limit": 200}
    )
    assert some.id in [r["id"] for r in starting]
    assert some.id not in [r["id"] for r in ending]
    assert all(created(r) < some.created_at for r in ending)


def test_a_window_can_be_filtered_by_status(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    records = page_through(crm, {**WINDOW, "status": "delivered", "limit": 200})
    expected = expected_window(
        simulators, WINDOW["created_from"], WINDOW["created_to"], status="delivered"
    )
    assert expected and [r["id"] for r in records] == expected
    assert {r["status"] for r in records} == {"delivered"}


def test_a_window_page_defaults_to_fifty_and_allows_at_most_200(crm: httpx.Client) -> None:
    assert len(crm.get("/crm/v1/orders", params=WINDOW).json()["records"]) == 50
    assert len(crm.get("/crm/v1/orders", params={**WINDOW, "limit": 200}).json()["records"]) == 200
    assert crm.get("/crm/v1/orders", params={**WINDOW, "limit": 201}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "yesterday"},
        {"created_from": "2026-10-01T00:00:00"},  # no zone
        {**WINDOW, "cursor": "not-a-cursor"},
        {**WINDOW, "limit": 0},
        {**WINDOW, "status": "lost"},
    ],
)
def test_a_bad_window_time_cursor_limit_or_status_is_a_bad_request(
    crm: httpx.Client, params: dict[str, Any]
) -> None:
    response = crm.get("/crm/v1/orders", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_a_customer_page_cursor_is_not_a_window_cursor(crm: httpx.Client) -> None:
    cursor = crm.get("/crm/v1/customers", params={"limit": 2}).json()["next_cursor"]
    response = crm.get("/crm/v1/orders", params={**WINDOW, "cursor": cursor})
    assert response.status_code == 400


def test_orders_placed_after_the_last_page_was_read_still_turn_up_on_a_later_page(
    crm: httpx.Client, restore_data: None
) -> None:
    window = {"created_from": "2026-11-20T00:00:00Z", "created_to": "2030-01-01T00:00:00Z"}
    first = crm.get("/crm/v1/orders", params={**window, "limit": 1}).json()
    placed = crm.post(
        "/crm/v1/orders",
        json={"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 1}]},
    ).json()
    rest = page_through(crm, {**window, "limit": 200, "cursor": first["next_cursor"]})
    assert rest[-1]["id"] == placed["id"]
    assert first["records"][0]["id"] not in [r["id"] for r in rest]


def test_orders_of_products_are_every_order_with_such_a_line_newest_first(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    codes = {"P-1001", "P-1002"}
    response = crm.get("/crm/v1/orders", params={"product_codes": ",".join(sorted(codes))})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"records"}
    expected = [
        o
        for o in simulators.dataset.orders.values()
        if any(line.product_code in codes for line in o.lines)
    ]
    expected.sort(key=lambda o: (o.created_at, o.id), reverse=True)
    assert expected and [r["id"] for r in body["records"]] == [o.id for o in expected]


def test_orders_of_products_can_be_filtered_by_status(crm: httpx.Client) -> None:
    records = crm.get(
        "/crm/v1/orders", params={"product_codes": "P-1001", "status": "delivered"}
    ).json()["records"]
    assert records and {r["status"] for r in records} == {"delivered"}
    assert all(any(line["product_code"] == "P-1001" for line in r["lines"]) for r in records)


def test_an_unknown_product_code_has_no_orders(crm: httpx.Client) -> None:
    response = crm.get("/crm/v1/orders", params={"product_codes": "P-0000"})
    assert response.json() == {"records": []}


def test_more_than_50_product_codes_is_rejected_with_too_many_ids(crm: httpx.Client) -> None:
    codes = ",".join(f"P-{n}" for n in range(1001, 1052))
    response = crm.get("/crm/v1/orders", params={"product_codes": codes})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TOO_MANY_IDS"
    fifty = ",".join(f"P-{n}" for n in range(1001, 1051))
    assert crm.get("/crm/v1/orders", params={"product_codes": fifty}).status_code == 200


@pytest.mark.parametrize("other", [{"ids": "SO-100001"}, {"customer_ids": "C-000001"}])
def test_product_codes_with_ids_or_customer_ids_is_a_bad_request(
    crm: httpx.Client, other: dict[str, str]
) -> None:
    response = crm.get("/crm/v1/orders", params={"product_codes": "P-1001", **other})
    assert response.status_code == 400
    assert "product_codes" in response.json()["error"]["message"]


def test_the_new_order_lists_count_under_their_own_operations(
    crm: httpx.Client, simulators: RunningSimulators, sim_stats: Stats
) -> None:
    simulators.reset(data=False)
    crm.get("/crm/v1/orders", params={**WINDOW, "limit": 120})
    crm.get("/crm/v1/orders", params={"product_codes": "P-1001,P-1002,P-1003"})
    operations = sim_stats("crm")["operations"]
    assert {name: op["batch_sizes"] for name, op in operations.items()} == {
        "orders.by_created_at": [120],
        "orders.by_product_codes": [3],
    }


def test_the_new_order_lists_get_the_fault_knobs_too(
    crm: httpx.Client, simulators: RunningSimulators, restore_faults: None
) -> None:
    httpx.post(f"{simulators.crm_url}/_sim/faults", json={"down": True}).raise_for_status()
    assert crm.get("/crm/v1/orders", params=WINDOW).status_code == 503
    assert crm.get("/crm/v1/orders", params={"product_codes": "P-1001"}).status_code == 503
