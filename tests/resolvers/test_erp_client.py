from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core.errors import UpstreamBadResponse, UpstreamRejected
from tests.resolvers.fakes import ERP_API_KEY, FakeUpstream, json_response
from tests.resolvers.samples import erp_invoice, erp_partner, erp_product, erp_production


def rpc_result(request: httpx.Request, records: list[dict[str, Any]]) -> httpx.Response:
    request_id = json.loads(request.content)["id"]
    return json_response({"jsonrpc": "2.0", "id": request_id, "result": records})


def in_values(request: httpx.Request) -> list[Any]:
    ((_field, operator, values),) = json.loads(request.content)["params"]["domain"]
    assert operator == "in"
    return list(values)


def products_answering_every_code(request: httpx.Request) -> httpx.Response:
    return rpc_result(request, [erp_product(code) for code in in_values(request)])


async def test_search_read_posts_a_json_rpc_call_with_the_api_key(erp_for):
    upstream = FakeUpstream(lambda request: rpc_result(request, [{"id": 1, "name": "x"}]))
    records = await erp_for(upstream).search_read(
        "res.partner", [["ref", "=", "K1"]], ["name"], limit=10, offset=20, order="id asc"
    )

    assert records == [{"id": 1, "name": "x"}]
    (request,) = upstream.requests
    assert request.method == "POST"
    assert request.url.path == "/prefix/jsonrpc"
    assert request.headers["X-Api-Key"] == ERP_API_KEY
    body = json.loads(request.content)
    assert body["jsonrpc"] == "2.0"
    assert body["method"] == "call"
    assert isinstance(body["id"], int)
    assert body["params"] == {
        "model": "res.partner",
        "method": "search_read",
        "domain": [["ref", "=", "K1"]],
        "fields": ["name"],
        "limit": 10,
        "offset": 20,
        "order": "id asc",
    }


async def test_search_read_without_fields_or_limit_leaves_them_out(erp_for):
    upstream = FakeUpstream(lambda request: rpc_result(request, []))
    await erp_for(upstream).search_read("res.partner", [], None)

    params = upstream.json_bodies()[0]["params"]
    assert "fields" not in params
    assert "limit" not in params


async def test_products_are_read_by_default_code_asking_only_for_the_record_fields(erp_for):
    upstream = FakeUpstream(products_answering_every_code)
    products = await erp_for(upstream).products_by_codes(["P-1001", "P-2002"])

    assert set(products) == {"P-1001", "P-2002"}
    params = upstream.json_bodies()[0]["params"]
    assert params["model"] == "product.product"
    assert params["domain"] == [["default_code", "in", ["P-1001", "P-2002"]]]
    assert set(params["fields"]) == {
        "id",
        "default_code",
        "name",
        "list_price",
        "standard_cost",
        "uom",
        "scm_sku",
        "active",
    }
    assert params["limit"] == 500


async def test_a_product_maps_floats_to_exact_decimals_and_false_to_none(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(
            request, [erp_product("P-1", scm_sku=False, uom=False, standard_cost=False)]
        )
    )
    product = (await erp_for(upstream).products_by_codes(["P-1"]))["P-1"]

    assert product.list_price == Decimal("129.0")
    assert product.scm_sku is None
    assert product.uom is None
    assert product.standard_cost is None
    assert product.active is True


async def test_an_inactive_product_keeps_active_false_rather_than_none(erp_for):
    upstream = FakeUpstream(lambda request: rpc_result(request, [erp_product("P-1", active=False)]))
    product = (await erp_for(upstream).products_by_codes(["P-1"]))["P-1"]

    assert product.active is False


async def test_a_float_price_keeps_its_decimal_spelling(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(request, [erp_product("P-1", list_price=0.1)])
    )
    product = (await erp_for(upstream).products_by_codes(["P-1"]))["P-1"]

    assert product.list_price == Decimal("0.1")


async def test_four_hundred_fifty_codes_cost_three_erp_calls_of_at_most_two_hundred(
    erp_for, call_log
):
    upstream = FakeUpstream(products_answering_every_code)
    codes = [f"P-{n}" for n in range(450)]
    products = await erp_for(upstream).products_by_codes(codes + codes[:10])

    assert len(products) == 450
    assert sorted(len(in_values(r)) for r in upstream.requests) == [50, 200, 200]
    assert call_log.count("erp", "search_read product.product") == 3


async def test_a_full_page_is_followed_by_the_next_page_until_one_comes_back_short(erp_for):
    def answer(request: httpx.Request) -> httpx.Response:
        params = json.loads(request.content)["params"]
        start, limit = params["offset"], params["limit"]
        count = max(0, min(limit, 1100 - start))
        records = [erp_production("SO-1", id=start + n + 1) for n in range(count)]
        return rpc_result(request, records)

    upstream = FakeUpstream(answer)
    plans = await erp_for(upstream).productions_by_sale_refs(["SO-1"])

    assert len(plans["SO-1"]) == 1100
    pages = [(b["params"]["offset"], b["params"]["limit"]) for b in upstream.json_bodies()]
    assert pages == [(0, 500), (500, 500), (1000, 500)]
    assert {b["params"]["order"] for b in upstream.json_bodies()} == {"id asc"}


async def test_an_erp_that_ignores_offset_is_a_bad_response_not_an_endless_loop(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(request, [erp_production(id=n) for n in range(1, 501)])
    )
    with pytest.raises(UpstreamBadResponse):
        await erp_for(upstream).productions_by_sale_refs(["SO-1"])
    assert len(upstream.requests) == 2


async def test_partners_are_read_by_ref(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(request, [erp_partner("K1", payment_terms=False)])
    )
    partners = await erp_for(upstream).partners_by_refs(["K1", "K2"])

    assert list(partners) == ["K1"]
    assert partners["K1"].balance_due == Decimal("1234.5")
    assert partners["K1"].payment_terms is None
    params = upstream.json_bodies()[0]["params"]
    assert params["model"] == "res.partner"
    assert params["domain"] == [["ref", "in", ["K1", "K2"]]]


async def test_production_plans_map_odoo_times_to_aware_utc_and_group_by_sale_ref(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(
            request,
            [
                erp_production("SO-1", id=1),
                erp_production("SO-1", id=2, workcenter=False),
                erp_production("SO-2", id=3),
            ],
        )
    )
    plans = await erp_for(upstream).productions_by_sale_refs(["SO-1", "SO-2", "SO-3"])

    assert [p.id for p in plans["SO-1"]] == [1, 2]
    assert [p.id for p in plans["SO-2"]] == [3]
    assert plans["SO-3"] == []
    plan = plans["SO-1"][0]
    assert plan.date_planned_start == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    assert plan.date_planned_finished is None
    assert plan.product_qty == Decimal("2.0")
    assert plans["SO-1"][1].workcenter is None
    assert upstream.json_bodies()[0]["params"]["model"] == "mrp.production"


async def test_invoices_map_amounts_to_decimal_and_invoice_date_to_a_date(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(
            request, [erp_invoice("SO-1"), erp_invoice("SO-1", id=18, invoice_date=False)]
        )
    )
    invoices = (await erp_for(upstream).invoices_by_sale_refs(["SO-1"]))["SO-1"]

    assert invoices[0].amount_total == Decimal("258.0")
    assert invoices[0].amount_residual == Decimal("0.1")
    assert invoices[0].invoice_date == date(2026, 11, 22)
    assert invoices[1].invoice_date is None
    assert upstream.json_bodies()[0]["params"]["model"] == "account.move"


async def test_no_codes_cost_no_erp_call(erp_for):
    upstream = FakeUpstream(products_answering_every_code)
    client = erp_for(upstream)

    assert await client.products_by_codes([]) == {}
    assert await client.partners_by_refs(["", ""]) == {}
    assert await client.invoices_by_sale_refs([]) == {}
    assert upstream.requests == []


def odoo_error(request: httpx.Request, name: str, message: str) -> httpx.Response:
    return json_response(
        {
            "jsonrpc": "2.0",
            "id": json.loads(request.content)["id"],
            "error": {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {"name": name, "message": message},
            },
        }
    )


@pytest.mark.parametrize(
    "name",
    [
        "odoo.exceptions.AccessDenied",
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.MissingError",
    ],
)
async def test_an_odoo_error_envelope_is_an_upstream_rejection(erp_for, name):
    upstream = FakeUpstream(lambda request: odoo_error(request, name, "computer says no"))
    with pytest.raises(UpstreamRejected) as caught:
        await erp_for(upstream).products_by_codes(["P-1"])

    assert caught.value.system == "erp"
    assert name.rsplit(".", 1)[-1] in caught.value.message
    assert "computer says no" in caught.value.message


async def test_an_access_denied_message_echoing_the_api_key_does_not_leak_it(erp_for):
    upstream = FakeUpstream(
        lambda request: odoo_error(
            request, "odoo.exceptions.AccessDenied", f"bad key {ERP_API_KEY}"
        )
    )
    with pytest.raises(UpstreamRejected) as caught:
        await erp_for(upstream).products_by_codes(["P-1"])

    assert ERP_API_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "result": {"records": []}},
        {"jsonrpc": "2.0", "id": 1, "result": [1, 2]},
        {"jsonrpc": "2.0", "id": 1, "error": "boom"},
        {"jsonrpc": "2.0", "id": 999, "result": []},
    ],
    ids=[
        "no-result",
        "result-not-a-list",
        "records-not-objects",
        "error-not-an-object",
        "foreign-id",
    ],
)
async def test_a_json_rpc_answer_off_the_envelope_is_a_bad_response(erp_for, body):
    upstream = FakeUpstream(lambda request: json_response(body))
    with pytest.raises(UpstreamBadResponse) as caught:
        await erp_for(upstream).search_read("res.partner", [], None)
    assert caught.value.system == "erp"


@pytest.mark.parametrize(
    "broken",
    [
        {"default_code": "P-1", "name": "no id", "active": True},
        erp_product("P-1", list_price="129.00"),
        erp_product("P-1", active="yes"),
        erp_product(False),
    ],
    ids=["missing-id", "money-as-string", "active-not-boolean", "key-field-false"],
)
async def test_a_product_that_breaks_the_contract_is_a_bad_response(erp_for, broken):
    upstream = FakeUpstream(lambda request: rpc_result(request, [broken]))
    with pytest.raises(UpstreamBadResponse):
        await erp_for(upstream).products_by_codes(["P-1"])


async def test_a_production_with_a_malformed_odoo_time_is_a_bad_response(erp_for):
    upstream = FakeUpstream(
        lambda request: rpc_result(request, [erp_production(date_planned_start="soon")])
    )
    with pytest.raises(UpstreamBadResponse, match="date_planned_start"):
        await erp_for(upstream).productions_by_sale_refs(["SO-100045"])
