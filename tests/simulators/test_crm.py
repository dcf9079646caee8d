"""The CRM simulator against crm.openapi.yaml and contracts/README.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from simulators.data import showcase
from simulators.runner import RunningSimulators
from tests.simulators.helpers import RFC3339_UTC, search_read

CUSTOMER_KEYS = {
    "id",
    "name",
    "email",
    "phone",
    "segment",
    "tier",
    "erp_account",
    "shipping_address",
    "created_at",
    "updated_at",
}
ORDER_KEYS = {
    "id",
    "customer_id",
    "status",
    "currency",
    "lines",
    "total",
    "requested_date",
    "created_at",
    "updated_at",
}


def customer_ids(count: int, start: int = 1) -> str:
    return ",".join(f"C-{n:06d}" for n in range(start, start + count))


def first_order_with_status(simulators: RunningSimulators, status: str) -> str:
    return next(o.id for o in simulators.dataset.orders.values() if o.status == status)


# --- customers ---------------------------------------------------------------------------
def test_customers_by_ids_returns_the_found_records_and_lists_the_missing_ids(
    crm: httpx.Client,
) -> None:
    response = crm.get("/crm/v1/customers", params={"ids": "C-000001,C-000002,C-999999"})
    assert response.status_code == 200
    body = response.json()
    assert sorted(r["id"] for r in body["records"]) == ["C-000001", "C-000002"]
    assert body["missing"] == ["C-999999"]


def test_customer_records_carry_exactly_the_contract_fields(crm: httpx.Client) -> None:
    ids = f"{showcase.CUSTOMER_COMPLETE},{showcase.CUSTOMER_SPARSE}"
    records = {
        r["id"]: r for r in crm.get("/crm/v1/customers", params={"ids": ids}).json()["records"]
    }
    complete, sparse = records[showcase.CUSTOMER_COMPLETE], records[showcase.CUSTOMER_SPARSE]
    assert set(complete) == CUSTOMER_KEYS
    assert set(complete["shipping_address"]) == {"street", "city", "postal_code", "country"}
    assert RFC3339_UTC.match(complete["created_at"]) and RFC3339_UTC.match(complete["updated_at"])
    assert complete["erp_account"] == "K10001"
    assert sparse["shipping_address"] is None and sparse["email"] is None
    assert sparse["phone"] is None and sparse["tier"] is None


def test_a_customer_without_erp_account_has_null(crm: httpx.Client) -> None:
    body = crm.get(
        "/crm/v1/customers", params={"ids": showcase.CUSTOMER_WITHOUT_ERP_ACCOUNT}
    ).json()
    assert body["records"][0]["erp_account"] is None


def page_through(crm: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = crm.get("/crm/v1/customers", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["records"]) <= int(params.get("limit", 50))
        records.extend(body["records"])
        cursor = body["next_cursor"]
        if cursor is None:
            return records


def test_paging_through_all_customers_visits_each_once_in_id_order(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    ids = [r["id"] for r in page_through(crm, limit=200)]
    assert ids == sorted(simulators.dataset.customers)


def test_paging_with_the_default_limit_gives_pages_of_fifty(crm: httpx.Client) -> None:
    body = crm.get("/crm/v1/customers").json()
    assert len(body["records"]) == 50 and body["next_cursor"]


@pytest.mark.parametrize("segment", ["enterprise", "smb", "consumer"])
def test_paging_one_segment_returns_only_that_segment_once_in_id_order(
    crm: httpx.Client, simulators: RunningSimulators, segment: str
) -> None:
    records = page_through(crm, limit=37, segment=segment)
    expected = sorted(c.id for c in simulators.dataset.customers.values() if c.segment == segment)
    assert [r["id"] for r in records] == expected
    assert {r["segment"] for r in records} == {segment}


def test_more_than_100_customer_ids_is_rejected_with_too_many_ids(crm: httpx.Client) -> None:
    response = crm.get("/crm/v1/customers", params={"ids": customer_ids(101)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TOO_MANY_IDS"


def test_exactly_100_customer_ids_is_accepted(crm: httpx.Client) -> None:
    response = crm.get("/crm/v1/customers", params={"ids": customer_ids(100)})
    assert response.status_code == 200
    assert len(response.json()["records"]) == 100


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "201"},
        {"limit": "0"},
        {"limit": "ten"},
        {"cursor": "not-a-cursor!"},
        {"cursor": "Zm9vYmFy"},
        {"segment": "government"},
    ],
)
def test_a_bad_limit_cursor_or_segment_is_a_bad_request(
    crm: httpx.Client, params: dict[str, str]
) -> None:
    response = crm.get("/crm/v1/customers", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/crm/v1/customers?ids=C-000001"),
        ("GET", "/crm/v1/customers"),
        ("GET", "/crm/v1/orders?ids=SO-100001"),
        ("POST", "/crm/v1/orders"),
        ("POST", "/crm/v1/orders/SO-100001/cancel"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "crm-demo-token"])
def test_requests_without_the_right_bearer_token_get_401(
    simulators: RunningSimulators, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.request(method, simulators.crm_url + path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


# --- orders ------------------------------------------------------------------------------
def test_orders_by_ids_returns_the_found_records_and_lists_the_missing_ids(
    crm: httpx.Client,
) -> None:
    body = crm.get("/crm/v1/orders", params={"ids": "SO-100001,SO-100002,SO-999999"}).json()
    assert sorted(r["id"] for r in body["records"]) == ["SO-100001", "SO-100002"]
    assert body["missing"] == ["SO-999999"]
    assert set(body["records"][0]) == ORDER_KEYS


def test_order_totals_are_two_decimal_strings_summing_the_lines(crm: httpx.Client) -> None:
    ids = ",".join(f"SO-{n}" for n in range(100001, 100101))
    for order in crm.get("/crm/v1/orders", params={"ids": ids}).json()["records"]:
        lines_total = sum(Decimal(li["unit_price"]) * li["quantity"] for li in order["lines"])
        assert Decimal(order["total"]) == lines_total
        assert len(order["total"].split(".")[1]) == 2
        assert order["currency"] == "EUR"
        assert [li["line_no"] for li in order["lines"]] == list(range(1, len(order["lines"]) + 1))


def test_more_than_100_order_ids_is_rejected_with_too_many_ids(crm: httpx.Client) -> None:
    ids = ",".join(f"SO-{n}" for n in range(100001, 100102))
    response = crm.get("/crm/v1/orders", params={"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TOO_MANY_IDS"


def test_orders_of_customers_come_newest_first(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    ids = customer_ids(5)
    records = crm.get("/crm/v1/orders", params={"customer_ids": ids}).json()["records"]
    expected = [o for o in simulators.dataset.orders.values() if o.customer_id in ids.split(",")]
    assert len(records) == len(expected) > 0
    created = [r["created_at"] for r in records]
    assert created == sorted(created, reverse=True)
    assert {r["customer_id"] for r in records} <= set(ids.split(","))


def test_orders_of_customers_can_be_filtered_by_status(crm: httpx.Client) -> None:
    records = crm.get(
        "/crm/v1/orders", params={"customer_ids": customer_ids(50), "status": "delivered"}
    ).json()["records"]
    assert records and {r["status"] for r in records} == {"delivered"}


def test_more_than_50_customer_ids_for_orders_is_rejected(crm: httpx.Client) -> None:
    response = crm.get("/crm/v1/orders", params={"customer_ids": customer_ids(51)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TOO_MANY_IDS"


def test_listing_orders_without_ids_or_customer_ids_is_a_bad_request(crm: httpx.Client) -> None:
    assert crm.get("/crm/v1/orders").status_code == 400


# --- placing and cancelling ----------------------------------------------------------------
@pytest.mark.usefixtures("restore_data")
def test_placing_an_order_creates_a_confirmed_order_priced_from_the_erp(
    crm: httpx.Client, erp: httpx.Client
) -> None:
    body = {
        "customer_id": "C-000010",
        "lines": [
            {"product_code": "P-1001", "quantity": 2},
            {"product_code": "P-1010", "quantity": 5},
        ],
        "requested_date": "2026-12-24",
    }
    response = crm.post("/crm/v1/orders", json=body)
    assert response.status_code == 201
    order = response.json()
    assert set(order) == ORDER_KEYS
    assert order["status"] == "confirmed" and order["customer_id"] == "C-000010"
    assert order["requested_date"] == "2026-12-24" and order["currency"] == "EUR"
    assert order["id"] == "SO-106001"
    prices = {
        p["default_code"]: p["list_price"]
        for p in search_read(erp, "product.product", [["default_code", "in", ["P-1001", "P-1010"]]])
    }
    assert [Decimal(li["unit_price"]) for li in order["lines"]] == [
        Decimal(str(prices["P-1001"])),
        Decimal(str(prices["P-1010"])),
    ]
    assert Decimal(order["total"]) == 2 * Decimal(str(prices["P-1001"])) + 5 * Decimal(
        str(prices["P-1010"])
    )
    fetched = crm.get("/crm/v1/orders", params={"ids": order["id"]}).json()["records"]
    assert fetched == [order]
    newest = crm.get("/crm/v1/orders", params={"customer_ids": "C-000010"}).json()["records"][0]
    assert newest["id"] == order["id"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"customer_id": "C-999999", "lines": [{"product_code": "P-1001", "quantity": 1}]},
            {"customer_id"},
        ),
        (
            {"customer_id": "C-000001", "lines": [{"product_code": "P-9999", "quantity": 1}]},
            {"lines[0].product_code"},
        ),
        (
            {"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 0}]},
            {"lines[0].quantity"},
        ),
        (
            {"customer_id": "C-000001", "lines": [{"product_code": "P-1001", "quantity": 1.5}]},
            {"lines[0].quantity"},
        ),
        ({"customer_id": "C-000001", "lines": []}, {"lines"}),
        ({"customer_id": "C-000001"}, {"lines"}),
        (
            {
                "customer_id": "C-000001",
                "lines": [{"product_code": "P-1001", "quantity": 1}],
                "requested_date": "24.12.2026",
            },
            {"requested_date"},
        ),
        (
            {"lines": [{"product_code": "P-1001", "quantity": -1}, {"product_code": "X"}]},
            {"customer_id", "lines[0].quantity", "lines[1].product_code", "lines[1].quantity"},
        ),
    ],
)
def test_placing_an_invalid_order_is_422_naming_every_bad_field(
    crm: httpx.Client, simulators: RunningSimulators, body: dict[str, Any], fields: set[str]
) -> None:
    orders_before = len(simulators.dataset.orders)
    response = crm.post("/crm/v1/orders", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION" and error["message"]
    assert set(error["fields"]) == fields
    assert len(simulators.dataset.orders) == orders_before


@pytest.mark.usefixtures("restore_data")
def test_cancelling_an_order_in_production_cancels_it_and_its_plans(
    crm: httpx.Client, erp: httpx.Client, simulators: RunningSimulators
) -> None:
    order_id = first_order_with_status(simulators, "in_production")
    response = crm.post(f"/crm/v1/orders/{order_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    plans = search_read(erp, "mrp.production", [["sale_ref", "=", order_id]], fields=["state"])
    assert plans and {p["state"] for p in plans} == {"cancel"}


@pytest.mark.usefixtures("restore_data")
def test_cancelling_a_cancelled_order_again_is_idempotent(
    crm: httpx.Client, simulators: RunningSimulators
) -> None:
    order_id = first_order_with_status(simulators, "cancelled")
    before = crm.get("/crm/v1/orders", params={"ids": order_id}).json()["records"][0]
    response = crm.post(f"/crm/v1/orders/{order_id}/cancel")
    assert response.status_code == 200
    assert response.json() == before


def test_cancelling_an_unknown_order_is_404(crm: httpx.Client) -> None:
    response = crm.post("/crm/v1/orders/SO-999999/cancel")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("status", ["shipped", "delivered"])
def test_cancelling_a_shipped_or_delivered_order_is_409(
    crm: httpx.Client, simulators: RunningSimulators, status: str
) -> None:
    order_id = first_order_with_status(simulators, status)
    response = crm.post(f"/crm/v1/orders/{order_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert simulators.dataset.orders[order_id].status == status
