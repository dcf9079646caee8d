"""The ERP simulator: Odoo-style JSON-RPC search_read, quirks and error envelopes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulators.data import showcase
from simulators.runner import RunningSimulators
from tests.simulators.helpers import (
    ODOO_DATE,
    ODOO_DATETIME,
    odoo_exception,
    rpc,
    search_read,
)

MODEL_FIELDS = {
    "product.product": {
        "default_code",
        "name",
        "list_price",
        "standard_cost",
        "uom",
        "scm_sku",
        "active",
        "qty_available",  # version 2
    },
    "res.partner": {"ref", "name", "credit_limit", "balance_due", "payment_terms"},
    "mrp.production": {
        "name",
        "sale_ref",
        "product_code",
        "product_qty",
        "state",
        "date_planned_start",
        "date_planned_finished",
        "workcenter",
        "unit_cost",
        "origin",  # version 2
    },
    "account.move": {
        "name",
        "sale_ref",
        "partner_ref",
        "amount_total",
        "amount_residual",
        "currency",
        "state",
        "payment_state",
        "invoice_date",
    },
    "stock.move": {"product_code", "quantity", "origin", "date", "reference"},  # version 2
}


@pytest.mark.parametrize("model", sorted(MODEL_FIELDS))
def test_every_model_answers_every_field_and_an_integer_id(erp: httpx.Client, model: str) -> None:
    records = search_read(erp, model, [], limit=3)
    assert len(records) == 3
    for record in records:
        assert set(record) == MODEL_FIELDS[model] | {"id"}
        assert isinstance(record["id"], int) and not isinstance(record["id"], bool)


def test_equals_finds_one_product_by_default_code(erp: httpx.Client) -> None:
    records = search_read(erp, "product.product", [["default_code", "=", "P-1001"]])
    assert [r["default_code"] for r in records] == ["P-1001"]
    assert records[0]["scm_sku"] == "SKU-1001-A"


def test_not_equals_excludes_the_matching_records(erp: httpx.Client) -> None:
    records = search_read(erp, "product.product", [["uom", "!=", "Unit"]], fields=["uom"])
    assert records and {r["uom"] for r in records} == {"Set"}


def test_in_finds_every_listed_key_and_leaves_unknown_ones_out(erp: httpx.Client) -> None:
    records = search_read(
        erp, "res.partner", [["ref", "in", ["K10001", "K10002", "K99999"]]], fields=["ref"]
    )
    assert sorted(r["ref"] for r in records) == ["K10001", "K10002"]


def test_terms_are_anded(erp: httpx.Client, simulators: RunningSimulators) -> None:
    order_id = next(o.id for o in simulators.dataset.orders.values() if o.status == "delivered")
    records = search_read(
        erp, "account.move", [["sale_ref", "=", order_id], ["state", "=", "posted"]]
    )
    assert records and all(r["sale_ref"] == order_id and r["state"] == "posted" for r in records)


def test_an_empty_domain_matches_every_record(
    erp: httpx.Client, simulators: RunningSimulators
) -> None:
    records = search_read(erp, "res.partner", [], fields=["ref"])
    assert len(records) == len(simulators.dataset.partners)


def test_false_matches_empty_values_but_zero_does_not(erp: httpx.Client) -> None:
    without_cost = search_read(
        erp, "product.product", [["standard_cost", "=", False]], fields=["default_code"]
    )
    assert showcase.PRODUCT_WITHOUT_STANDARD_COST in {r["default_code"] for r in without_cost}
    assert search_read(erp, "product.product", [["standard_cost", "=", 0]]) == []
    inactive = search_read(erp, "product.product", [["active", "=", False]], fields=["active"])
    assert inactive and {r["active"] for r in inactive} == {False}


def test_the_fields_filter_answers_only_those_fields_and_the_id(erp: httpx.Client) -> None:
    records = search_read(erp, "product.product", [], fields=["name", "list_price"], limit=5)
    assert all(set(r) == {"id", "name", "list_price"} for r in records)


def test_limit_offset_and_order_page_through_the_records(erp: httpx.Client) -> None:
    everything = search_read(erp, "product.product", [], fields=["id"], order="id asc")
    ids = [r["id"] for r in everything]
    assert ids == sorted(ids) and len(ids) == 300
    page = search_read(erp, "product.product", [], fields=["id"], limit=10, offset=20)
    assert [r["id"] for r in page] == ids[20:30]
    descending = search_read(erp, "product.product", [], fields=["id"], limit=3, order="id desc")
    assert [r["id"] for r in descending] == ids[::-1][:3]


def test_ordering_by_a_field_sorts_by_its_values_with_empty_values_last(
    erp: httpx.Client,
) -> None:
    by_price = search_read(
        erp, "product.product", [], fields=["list_price"], order="list_price desc"
    )
    prices = [r["list_price"] for r in by_price]
    assert prices == sorted(prices, reverse=True)
    by_cost = search_read(
        erp, "product.product", [], fields=["standard_cost"], order="standard_cost asc"
    )
    costs = [r["standard_cost"] for r in by_cost]
    filled = [c for c in costs if c is not False]
    assert costs == sorted(filled) + [False] * (len(costs) - len(filled))


def test_an_omitted_limit_answers_every_match(erp: httpx.Client) -> None:
    records = search_read(erp, "mrp.production", [["state", "=", "done"]], fields=["state"])
    assert len(records) > 500


def test_empty_values_are_false_not_null(erp: httpx.Client) -> None:
    product = search_read(
        erp, "product.product", [["default_code", "=", showcase.PRODUCT_WITHOUT_SCM_SKU]]
    )[0]
    assert product["scm_sku"] is False
    drafts = search_read(erp, "account.move", [["state", "=", "draft"]])
    assert drafts and all(d["invoice_date"] is False for d in drafts)
    for model in MODEL_FIELDS:
        for record in search_read(erp, model, [], limit=500):
            assert None not in record.values()


def test_times_use_the_odoo_format_and_numbers_are_floats(erp: httpx.Client) -> None:
    plan = search_read(erp, "mrp.production", [], limit=1)[0]
    assert ODOO_DATETIME.match(plan["date_planned_start"])
    assert ODOO_DATETIME.match(plan["date_planned_finished"])
    assert isinstance(plan["product_qty"], float)
    invoice = search_read(erp, "account.move", [["state", "=", "posted"]], limit=1)[0]
    assert ODOO_DATE.match(invoice["invoice_date"])
    assert isinstance(invoice["amount_total"], float)
    assert isinstance(invoice["amount_residual"], float)
    product = search_read(erp, "product.product", [], limit=1)[0]
    assert isinstance(product["list_price"], float)
    raw = erp.post(
        "/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {
                "model": "mrp.production",
                "method": "search_read",
                "domain": [],
                "limit": 1,
            },
        },
    )
    assert '"product_qty":' in raw.text and ".0" in raw.text


def test_the_answer_echoes_the_request_id(erp: httpx.Client) -> None:
    envelope = rpc(erp, {"model": "res.partner", "method": "search_read", "limit": 1})
    assert envelope["jsonrpc"] == "2.0" and envelope["id"] == 7


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_missing_or_wrong_api_key_is_access_denied_with_http_200(
    simulators: RunningSimulators, key: str | None
) -> None:
    headers = {} if key is None else {"X-Api-Key": key}
    body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "call",
        "params": {"model": "res.partner", "method": "search_read", "domain": []},
    }
    response = httpx.post(f"{simulators.erp_url}/jsonrpc", json=body, headers=headers)
    assert response.status_code == 200
    assert odoo_exception(response.json()) == "odoo.exceptions.AccessDenied"
    assert response.json()["id"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"domain": [["default_code", "in", [f"P-{n}" for n in range(1001, 1202)]]]},
        {"limit": 501},
        {"limit": -1},
        {"offset": "ten"},
        {"domain": [["default_code", "like", "P-1%"]]},
        {"domain": [["colour", "=", "red"]]},
        {"domain": [["default_code", "="]]},
        {"domain": "default_code = P-1001"},
        {"domain": [["default_code", "in", "P-1001"]]},
        {"fields": ["colour"]},
        {"order": "colour asc"},
        {"order": "id sideways"},
    ],
)
def test_a_bad_query_is_a_validation_error(erp: httpx.Client, params: dict[str, Any]) -> None:
    envelope = rpc(erp, {"model": "product.product", "method": "search_read", **params})
    assert odoo_exception(envelope) == "odoo.exceptions.ValidationError"
    assert envelope["error"]["data"]["message"]


def test_exactly_200_in_values_and_limit_500_are_accepted(erp: httpx.Client) -> None:
    codes = [f"P-{n}" for n in range(1001, 1201)]
    records = search_read(erp, "product.product", [["default_code", "in", codes]], limit=500)
    assert len(records) == 200


def test_an_unknown_model_is_a_missing_error(erp: httpx.Client) -> None:
    envelope = rpc(erp, {"model": "sale.order", "method": "search_read", "domain": []})
    assert odoo_exception(envelope) == "odoo.exceptions.MissingError"


def test_an_unknown_method_is_a_missing_error(erp: httpx.Client) -> None:
    envelope = rpc(erp, {"model": "res.partner", "method": "unlink", "domain": []})
    assert odoo_exception(envelope) == "odoo.exceptions.MissingError"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", -32700),
        (b"[1, 2]", -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "call", "params": {}}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "execute", "params": {}}', -32601),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "call", "params": []}', -32602),
    ],
)
def test_malformed_json_rpc_gets_a_json_rpc_error(
    erp: httpx.Client, content: bytes, code: int
) -> None:
    response = erp.post("/jsonrpc", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["error"]["code"] == code


def test_looking_up_plans_by_sale_ref_finds_exactly_those_orders_plans_in_id_order(
    erp: httpx.Client, simulators: RunningSimulators
) -> None:
    refs = list(simulators.dataset.orders)[-150:]
    records = search_read(erp, "mrp.production", [["sale_ref", "in", refs]], fields=["sale_ref"])
    expected = [p.id for p in simulators.dataset.productions if p.sale_ref in set(refs)]
    assert [r["id"] for r in records] == expected
    excluded = search_read(
        erp,
        "mrp.production",
        [["sale_ref", "in", refs], ["sale_ref", "!=", refs[-1]]],
        fields=["sale_ref"],
    )
    assert refs[-1] not in {r["sale_ref"] for r in excluded}
    assert len(excluded) == len(records) - len(
        simulators.dataset.productions_by_sale_ref.get(refs[-1], [])
    )
