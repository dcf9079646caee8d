"""The ERP's version 2 writes: create and write, stock moves, qty_available, webhooks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulators.data.records import ProductionPlan
from tests.simulators.conftest import Writers
from tests.simulators.helpers import ODOO_DATETIME, odoo_exception, rpc, search_read
from tests.simulators.webhook_checks import assert_signed_in_contract_shape
from tests.simulators.webhook_receiver import ReceivedWebhook

VALIDATION = "odoo.exceptions.ValidationError"
MISSING = "odoo.exceptions.MissingError"


def call(writers: Writers, model: str, method: str, **params: Any) -> dict[str, Any]:
    return rpc(writers.erp, {"model": model, "method": method, **params})


def created_ids(writers: Writers, model: str, values: list[dict[str, Any]]) -> list[int]:
    envelope = call(writers, model, "create", values=values)
    assert "result" in envelope, envelope
    ids: list[int] = envelope["result"]
    return ids


def failure(writers: Writers, model: str, method: str, **params: Any) -> str:
    return odoo_exception(call(writers, model, method, **params))


def production(writers: Writers, plan_id: int) -> dict[str, Any]:
    (record,) = search_read(writers.erp, "mrp.production", [["id", "=", plan_id]])
    assert isinstance(record, dict)
    return record


def qty_available(writers: Writers, code: str) -> float:
    (record,) = search_read(
        writers.erp, "product.product", [["default_code", "=", code]], fields=["qty_available"]
    )
    quantity: float = record["qty_available"]
    return quantity


def erp_events(writers: Writers) -> list[ReceivedWebhook]:
    """Every ERP webhook sent so far; each is signed and in the contract's shape."""
    writers.simulators.drain_webhooks()
    received = [w for w in writers.inbox.received if w.system == "erp"]
    for webhook in received:
        assert_signed_in_contract_shape(webhook)
    return received


def plan_in(writers: Writers, *states: str) -> ProductionPlan:
    return next(p for p in writers.simulators.dataset.productions if p.state in states)


NEW_PLAN = {
    "sale_ref": "SO-100045",
    "product_code": "P-1001",
    "product_qty": 12,
    "date_planned_start": "2026-12-01 08:00:00",
    "date_planned_finished": "2026-12-04 17:00:00",
    "origin": "plan-test-1",
}


# --- mrp.production create ---------------------------------------------------------------
def test_creating_a_production_order_assigns_name_and_confirmed_state_and_announces_it(
    writers: Writers,
) -> None:
    (plan_id,) = created_ids(writers, "mrp.production", [NEW_PLAN])
    record = production(writers, plan_id)
    assert record["name"] == f"MO/{plan_id:05d}"
    assert record["state"] == "confirmed"
    assert {name: record[name] for name in NEW_PLAN} == {**NEW_PLAN, "product_qty": 12.0}
    assert record["unit_cost"] == writers.simulators.dataset.products["P-1001"].standard_cost
    plans_of_order = search_read(writers.erp, "mrp.production", [["sale_ref", "=", "SO-100045"]])
    assert plan_id in [p["id"] for p in plans_of_order]
    (event,) = erp_events(writers)
    assert event.payload["event"] == "production.updated"
    assert event.payload["keys"] == ["SO-100045"]
    assert event.payload["data"] == {"ids": [plan_id]}


def test_a_production_order_given_only_product_and_quantity_is_planned_from_now(
    writers: Writers,
) -> None:
    (plan_id,) = created_ids(
        writers, "mrp.production", [{"product_code": "P-1002", "product_qty": 3.5}]
    )
    record = production(writers, plan_id)
    assert (record["sale_ref"], record["origin"], record["state"]) == (False, False, "confirmed")
    assert ODOO_DATETIME.match(record["date_planned_start"])
    assert record["date_planned_finished"] > record["date_planned_start"]


def test_creating_again_with_an_existing_origin_answers_the_existing_id_and_creates_nothing(
    writers: Writers,
) -> None:
    first = created_ids(writers, "mrp.production", [NEW_PLAN])
    count = len(writers.simulators.dataset.productions)
    again = created_ids(writers, "mrp.production", [{**NEW_PLAN, "product_qty": 99}, NEW_PLAN])
    assert again == first * 2
    assert len(writers.simulators.dataset.productions) == count
    assert production(writers, first[0])["product_qty"] == 12.0
    assert len(erp_events(writers)) == 1  # the first create only


def test_creating_several_production_orders_answers_their_ids_in_order(writers: Writers) -> None:
    values = [{**NEW_PLAN, "origin": f"batch-{n}", "product_qty": n} for n in range(1, 4)]
    ids = created_ids(writers, "mrp.production", values)
    assert len(set(ids)) == 3
    assert [production(writers, i)["product_qty"] for i in ids] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "bad",
    [
        {"colour": "red"},  # unknown field
        {"name": "MO/99999"},  # assigned, not given
        {"product_code": "P-0000"},
        {"product_qty": 0},
        {"product_qty": "12"},
        {"date_planned_start": "2026-12-01T08:00:00Z"},
        {"date_planned_finished": "2026-11-30 08:00:00"},  # before the start
    ],
)
def test_a_bad_value_is_a_validation_error_and_nothing_of_the_call_is_created(
    writers: Writers, bad: dict[str, Any]
) -> None:
    count = len(writers.simulators.dataset.productions)
    good = {**NEW_PLAN, "origin": "good-one"}
    assert failure(writers, "mrp.production", "create", values=[good, {**NEW_PLAN, **bad}]) == (
        VALIDATION
    )
    assert len(writers.simulators.dataset.productions) == count
    assert erp_events(writers) == []


def test_a_production_order_without_product_or_quantity_is_a_validation_error(
    writers: Writers,
) -> None:
    values = [{"product_code": "P-1001"}]
    assert failure(writers, "mrp.production", "create", values=values) == VALIDATION
    assert failure(writers, "mrp.production", "create", values=[]) == VALIDATION


def test_more_than_100_values_is_a_validation_error_counted_with_its_size(
    writers: Writers,
) -> None:
    values = [{"product_code": "P-1001", "product_qty": 1}] * 101
    assert failure(writers, "mrp.production", "create", values=values) == VALIDATION
    stats = httpx.get(f"{writers.simulators.erp_url}/_sim/stats").json()
    assert stats["operations"]["mrp.production.create"]["batch_sizes"] == [101]


@pytest.mark.parametrize(
    ("model", "method"),
    [("product.product", "create"), ("account.move", "create"), ("stock.move", "write")],
)
def test_create_and_write_on_other_models_do_not_exist(
    writers: Writers, model: str, method: str
) -> None:
    assert failure(writers, model, method, values=[{}], ids=[1]) == MISSING


# --- mrp.production write ----------------------------------------------------------------
def test_writing_quantity_and_dates_changes_them_and_announces_the_sale_refs(
    writers: Writers,
) -> None:
    plans = [plan_in(writers, "confirmed"), plan_in(writers, "progress")]
    ids = [p.id for p in plans]
    values = {"product_qty": 8, "date_planned_finished": "2027-01-15 12:00:00"}
    assert call(writers, "mrp.production", "write", ids=ids, values=values)["result"] is True
    for plan_id in ids:
        record = production(writers, plan_id)
        assert (record["product_qty"], record["date_planned_finished"]) == (
            8.0,
            "2027-01-15 12:00:00",
        )
    (event,) = erp_events(writers)
    assert event.payload["event"] == "production.updated"
    assert event.payload["keys"] == sorted({p.sale_ref for p in plans if p.sale_ref})
    assert event.payload["data"] == {"ids": ids}


def test_a_confirmed_production_order_can_be_cancelled(writers: Writers) -> None:
    plan = plan_in(writers, "confirmed")
    envelope = call(writers, "mrp.production", "write", ids=[plan.id], values={"state": "cancel"})
    assert envelope["result"] is True
    assert production(writers, plan.id)["state"] == "cancel"
    assert [w.payload["keys"] for w in erp_events(writers)] == [[plan.sale_ref]]


@pytest.mark.parametrize(
    ("state", "values"),
    [
        ("progress", {"state": "cancel"}),
        ("done", {"state": "cancel"}),
        ("confirmed", {"state": "done"}),
        ("done", {"product_qty": 3}),
        ("confirmed", {"name": "MO/1"}),
        ("confirmed", {"product_qty": -1}),
    ],
)
def test_a_write_in_the_wrong_state_or_of_a_field_not_writable_is_a_validation_error(
    writers: Writers, state: str, values: dict[str, Any]
) -> None:
    plan = plan_in(writers, state)
    before = production(writers, plan.id)
    assert failure(writers, "mrp.production", "write", ids=[plan.id], values=values) == VALIDATION
    assert production(writers, plan.id) == before


def test_writing_to_an_unknown_id_is_a_missing_error_and_writes_nothing(writers: Writers) -> None:
    plan = plan_in(writers, "confirmed")
    ids = [plan.id, 99_999_999]
    values = {"product_qty": 5}
    assert failure(writers, "mrp.production", "write", ids=ids, values=values) == MISSING
    assert production(writers, plan.id)["product_qty"] == plan.product_qty
    assert erp_events(writers) == []


# --- stock.move and qty_available --------------------------------------------------------
def test_the_seeded_stock_book_opens_with_the_scms_stock_so_qty_available_is_the_sum_of_moves(
    writers: Writers,
) -> None:
    moves = search_read(writers.erp, "stock.move", [["product_code", "=", "P-1001"]])
    assert moves and all(ODOO_DATETIME.match(m["date"]) for m in moves)
    assert qty_available(writers, "P-1001") == sum(m["quantity"] for m in moves)
    levels = writers.simulators.dataset.stock_by_sku["SKU-1001-A"]
    assert qty_available(writers, "P-1001") == sum(level.on_hand for level in levels)


def test_a_stock_move_changes_qty_available_and_announces_the_product(writers: Writers) -> None:
    before = qty_available(writers, "P-1001")
    values = [
        {"product_code": "P-1001", "quantity": 25, "origin": "PO-000001", "reference": "WH/IN"},
        {"product_code": "P-1001", "quantity": -4, "date": "2026-11-25 09:00:00"},
    ]
    ids = created_ids(writers, "stock.move", values)
    assert qty_available(writers, "P-1001") == before + 21
    records = search_read(writers.erp, "stock.move", [["id", "in", ids]])
    assert [(r["quantity"], r["origin"], r["reference"]) for r in records] == [
        (25.0, "PO-000001", "WH/IN"),
        (-4.0, False, False),
    ]
    assert records[1]["date"] == "2026-11-25 09:00:00"
    (event,) = erp_events(writers)
    assert (event.payload["event"], event.payload["keys"]) == ("product.updated", ["P-1001"])
    assert event.payload["data"] == {"ids": ids}


def test_a_stock_move_with_an_existing_origin_is_booked_once(writers: Writers) -> None:
    move = {"product_code": "P-1002", "quantity": 10, "origin": "PO-000002"}
    first = created_ids(writers, "stock.move", [move])
    after_first = qty_available(writers, "P-1002")
    assert created_ids(writers, "stock.move", [move]) == first
    assert qty_available(writers, "P-1002") == after_first
    assert len(erp_events(writers)) == 1


@pytest.mark.parametrize(
    "bad",
    [{"quantity": 0}, {"product_code": "P-0000"}, {"date": "yesterday"}, {"sale_ref": "SO-1"}],
)
def test_a_bad_stock_move_is_a_validation_error_and_books_nothing(
    writers: Writers, bad: dict[str, Any]
) -> None:
    before = qty_available(writers, "P-1001")
    move = {"product_code": "P-1001", "quantity": 5, **bad}
    assert failure(writers, "stock.move", "create", values=[move]) == VALIDATION
    assert qty_available(writers, "P-1001") == before


# --- counters and faults -----------------------------------------------------------------
def test_create_and_write_count_under_model_and_method_with_their_sizes(writers: Writers) -> None:
    created_ids(writers, "mrp.production", [{"product_code": "P-1001", "product_qty": 1}] * 2)
    plan = plan_in(writers, "confirmed")
    call(writers, "mrp.production", "write", ids=[plan.id, plan.id, plan.id], values={})
    created_ids(writers, "stock.move", [{"product_code": "P-1001", "quantity": 1}])
    stats = httpx.get(f"{writers.simulators.erp_url}/_sim/stats").json()
    assert {name: op["batch_sizes"] for name, op in stats["operations"].items()} == {
        "mrp.production.create": [2],
        "mrp.production.write": [3],
        "stock.move.create": [1],
    }


def test_a_write_meets_the_fault_knobs_and_changes_nothing(writers: Writers) -> None:
    url = writers.simulators.erp_url
    httpx.post(f"{url}/_sim/faults", json={"rate_limit_rate": 1.0}).raise_for_status()
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "call",
        "params": {
            "model": "stock.move",
            "method": "create",
            "values": [{"product_code": "P-1001", "quantity": 7}],
        },
    }
    before = len(writers.simulators.dataset.stock_moves)
    response = writers.erp.post("/jsonrpc", json=body)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert len(writers.simulators.dataset.stock_moves) == before


def test_resetting_the_data_forgets_what_the_writes_created(writers: Writers) -> None:
    before = qty_available(writers, "P-1001")
    created_ids(writers, "stock.move", [{"product_code": "P-1001", "quantity": 9, "origin": "R"}])
    (plan_id,) = created_ids(writers, "mrp.production", [NEW_PLAN])
    writers.simulators.reset(data=True)
    assert qty_available(writers, "P-1001") == before
    assert search_read(writers.erp, "stock.move", [["origin", "=", "R"]]) == []
    assert search_read(writers.erp, "mrp.production", [["origin", "=", "plan-test-1"]]) == []
    assert created_ids(writers, "mrp.production", [NEW_PLAN]) == [plan_id]  # same id again
