"""Every field of gateway.graphql answers what the upstream data implies.

Expectations are computed from the upstream contracts directly (tests/contract_client.py),
never through the gateway's own clients.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, overload

import pytest

from tests.contract_client import ContractClient

ERP_STATE = {
    "draft": "DRAFT",
    "confirmed": "CONFIRMED",
    "progress": "IN_PROGRESS",
    "to_close": "TO_CLOSE",
    "done": "DONE",
    "cancel": "CANCELLED",
}


def cents(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


@overload
def rfc3339(value: str) -> str: ...
@overload
def rfc3339(value: Literal[False] | None) -> None: ...
def rfc3339(value: str | Literal[False] | None) -> str | None:
    """Upstream times, spelled as the gateway spells them (UTC with Z); the ERP's
    ``False`` (no value) is None."""
    if value is None or value is False:
        return None
    if " " in value:  # the ERP's "YYYY-MM-DD HH:MM:SS"
        return value.replace(" ", "T") + "Z"
    return value.replace("+00:00", "Z")


def odoo(value: Any) -> Any:
    return None if value is False else value


def test_customer_fields_account_and_lifetime_value(graphql, upstream: ContractClient):
    customer_id = "C-000007"
    raw = upstream.customers([customer_id])[customer_id]
    data = graphql(
        """query($id: ID!) { customer(id: $id) {
            id name email phone segment tier erpAccount
            shippingAddress { street city postalCode country }
            account { number creditLimit { amount currency } balanceDue { amount } paymentTerms }
            lifetimeValue { amount currency }
            orders { id status total { amount } }
            confirmed: orders(status: CONFIRMED, first: 2) { id status }
        } }""",
        {"id": customer_id},
    )["customer"]
    assert data["id"] == raw["id"] and data["name"] == raw["name"]
    assert data["email"] == raw["email"] and data["phone"] == raw["phone"]
    assert data["segment"] == raw["segment"].upper() and data["tier"] == raw["tier"]
    assert data["erpAccount"] == raw["erp_account"]
    address = raw["shipping_address"]
    if address is None:
        assert data["shippingAddress"] is None
    else:
        assert data["shippingAddress"] == {
            "street": address["street"],
            "city": address["city"],
            "postalCode": address["postal_code"],
            "country": address["country"],
        }
    if raw["erp_account"]:
        [partner] = upstream.search_read("res.partner", [["ref", "=", raw["erp_account"]]])
        assert data["account"]["number"] == partner["ref"]
        assert data["account"]["creditLimit"] == {
            "amount": cents(partner["credit_limit"]),
            "currency": "EUR",
        }
        assert data["account"]["paymentTerms"] == odoo(partner["payment_terms"])
    orders = upstream.orders_of_customer(customer_id)
    assert [o["id"] for o in data["orders"]] == [o["id"] for o in orders][:50]
    lifetime = sum((Decimal(o["total"]) for o in orders if o["status"] != "cancelled"), Decimal(0))
    assert data["lifetimeValue"]["amount"] == cents(lifetime)
    confirmed = [o["id"] for o in orders if o["status"] == "confirmed"][:2]
    assert [o["id"] for o in data["confirmed"]] == confirmed


def test_a_customer_without_erp_account_has_a_null_account_and_no_error(
    graphql_response, upstream: ContractClient
):
    without = next(c for c in upstream.all_customers() if c["erp_account"] is None)
    body = graphql_response(
        "query($id: ID!) { customer(id: $id) { id account { number } } }", {"id": without["id"]}
    )
    assert body.get("errors") is None
    assert body["data"]["customer"] == {"id": without["id"], "account": None}


def test_unknown_ids_give_null_not_errors(graphql_response):
    body = graphql_response(
        """{ customer(id: "C-999999") { id } order(id: "SO-1") { id }
             product(code: "P-0") { code } shipment(trackingNumber: "nope") { id }
             orderTracking(orderId: "SO-1") { stage } }"""
    )
    assert body.get("errors") is None
    assert set(body["data"].values()) == {None}


def test_paging_through_customers_visits_every_customer_once_in_id_order(
    graphql, upstream: ContractClient
):
    expected = [c["id"] for c in upstream.all_customers(segment="smb")]
    seen: list[str] = []
    after = None
    query = """query($after: String) { customers(first: 37, after: $after, segment: SMB) {
        edges { cursor node { id segment } } pageInfo { hasNextPage endCursor } } }"""
    while True:
        page = graphql(query, {"after": after})["customers"]
        seen.extend(edge["node"]["id"] for edge in page["edges"])
        assert {edge["node"]["segment"] for edge in page["edges"]} <= {"SMB"}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected


def test_resuming_after_any_edge_cursor_continues_right_after_it(graphql):
    first = graphql("{ customers(first: 10) { edges { cursor node { id } } } }")["customers"]
    middle = first["edges"][3]
    rest = graphql(
        "query($a: String) { customers(first: 6, after: $a) { edges { node { id } } } }",
        {"a": middle["cursor"]},
    )["customers"]
    assert [e["node"]["id"] for e in rest["edges"]] == [
        e["node"]["id"] for e in first["edges"][4:10]
    ]


def test_order_fields_lines_plans_shipments_invoices_and_margin(graphql, upstream: ContractClient):
    shipped = [
        o
        for o in upstream.orders([f"SO-{100001 + i}" for i in range(100)]).values()
        if o["status"] in ("shipped", "delivered")
    ]
    raw = shipped[0]
    data = graphql(
        """query($id: ID!) { order(id: $id) {
            id status createdAt requestedDate total { amount currency }
            customer { id }
            lines { lineNo quantity unitPrice { amount } amount { amount }
                    product { code standardCost { amount } } }
            productionPlans { id reference state quantity plannedStart plannedFinish
                              workcenter product { code } order { id } }
            shipments { id trackingNumber carrier status shippedAt eta deliveredAt destination
                        events { at status location description } order { id } }
            invoices { number state paymentState total { amount } outstanding { amount }
                       invoiceDate }
            margin { amount currency }
        } }""",
        {"id": raw["id"]},
    )["order"]
    assert data["id"] == raw["id"] and data["status"] == raw["status"].upper()
    assert data["createdAt"] == rfc3339(raw["created_at"])
    assert data["requestedDate"] == raw["requested_date"]
    assert data["total"] == {"amount": cents(raw["total"]), "currency": raw["currency"]}
    assert data["customer"]["id"] == raw["customer_id"]
    assert [line["lineNo"] for line in data["lines"]] == [line["line_no"] for line in raw["lines"]]
    for line, raw_line in zip(data["lines"], raw["lines"], strict=True):
        assert line["quantity"] == raw_line["quantity"]
        assert line["unitPrice"]["amount"] == cents(raw_line["unit_price"])
        assert line["amount"]["amount"] == cents(
            Decimal(raw_line["unit_price"]) * raw_line["quantity"]
        )
        assert line["product"]["code"] == raw_line["product_code"]

    plans = upstream.search_read("mrp.production", [["sale_ref", "=", raw["id"]]])
    assert sorted(p["reference"] for p in data["productionPlans"]) == sorted(
        p["name"] for p in plans
    )
    by_name = {p["name"]: p for p in plans}
    for plan in data["productionPlans"]:
        source = by_name[plan["reference"]]
        assert plan["id"] == str(source["id"])
        assert plan["state"] == ERP_STATE[source["state"]]
        assert plan["quantity"] == int(source["product_qty"])
        assert plan["plannedStart"] == rfc3339(source["date_planned_start"])
        assert plan["plannedFinish"] == rfc3339(source["date_planned_finished"])
        assert plan["workcenter"] == odoo(source["workcenter"])
        assert plan["order"] == {"id": raw["id"]}

    shipments = upstream.shipments_of_orders([raw["id"]])
    assert sorted(s["trackingNumber"] for s in data["shipments"]) == sorted(
        s["trackingNumber"] for s in shipments
    )
    by_number = {s["trackingNumber"]: s for s in shipments}
    for shipment in data["shipments"]:
        source = by_number[shipment["trackingNumber"]]
        assert shipment["carrier"] == source["carrier"]
        assert shipment["status"] == source["status"]
        assert shipment["eta"] == rfc3339(source["eta"])
        assert shipment["deliveredAt"] == rfc3339(source["deliveredAt"])
        parts = [p for p in (source["destinationCity"], source["destinationCountry"]) if p]
        assert shipment["destination"] == (", ".join(parts) or None)
        assert [e["description"] for e in shipment["events"]] == [
            e["description"] for e in source["events"]
        ]
        assert shipment["order"] == {"id": raw["id"]}

    invoices = upstream.search_read("account.move", [["sale_ref", "=", raw["id"]]])
    assert sorted(i["number"] for i in data["invoices"]) == sorted(i["name"] for i in invoices)
    for invoice in data["invoices"]:
        source = next(i for i in invoices if i["name"] == invoice["number"])
        assert invoice["total"]["amount"] == cents(source["amount_total"])
        assert invoice["outstanding"]["amount"] == cents(source["amount_residual"])
        assert invoice["paymentState"] == source["payment_state"]
        assert invoice["invoiceDate"] == odoo(source["invoice_date"])

    products = upstream.search_read(
        "product.product",
        [["default_code", "in", [line["product_code"] for line in raw["lines"]]]],
    )
    costs = {p["default_code"]: odoo(p["standard_cost"]) for p in products}
    if any(costs.get(line["product_code"]) is None for line in raw["lines"]):
        assert data["margin"] is None
    else:
        cost = sum(
            Decimal(str(costs[line["product_code"]])) * line["quantity"] for line in raw["lines"]
        )
        assert data["margin"] == {
            "amount": cents(Decimal(raw["total"]) - cost),
            "currency": raw["currency"],
        }


def test_orders_keeps_the_length_and_order_of_ids_with_null_for_unknown(graphql):
    ids = ["SO-100003", "SO-999999", "SO-100001", "SO-100003"]
    data = graphql("query($ids: [ID!]!) { orders(ids: $ids) { id } }", {"ids": ids})
    assert data["orders"] == [{"id": "SO-100003"}, None, {"id": "SO-100001"}, {"id": "SO-100003"}]


def test_product_stock_availability_and_purchase_orders(graphql, upstream: ContractClient):
    [raw] = [
        p
        for p in upstream.search_read("product.product", [["scm_sku", "!=", False]])[:40]
        if upstream.purchase_orders([p["scm_sku"]])
    ][:1]
    data = graphql(
        """query($code: ID!) { product(code: $code) {
            code name sku listPrice { amount currency } standardCost { amount }
            inventory { sku warehouse onHand reserved inTransit available reorderPoint
                        belowReorderPoint updatedAt }
            availableToPromise
            openPurchaseOrders { id sku quantity unitCost { amount } expectedAt status
                                 supplier { id name country onTimeRate leadTimeDays } }
        } }""",
        {"code": raw["default_code"]},
    )["product"]
    assert data["code"] == raw["default_code"] and data["name"] == raw["name"]
    assert data["sku"] == raw["scm_sku"]
    assert data["listPrice"] == {"amount": cents(raw["list_price"]), "currency": "EUR"}
    levels = upstream.stock_levels([raw["scm_sku"]])
    assert len(data["inventory"]) == len(levels)
    by_warehouse = {level["warehouse"]: level for level in levels}
    for level in data["inventory"]:
        source = by_warehouse[level["warehouse"]]
        available = max(source["onHand"] - source["reserved"], 0)
        assert level["available"] == available
        assert level["belowReorderPoint"] == (available < source["reorderPoint"])
        assert level["updatedAt"] == rfc3339(source["updatedAt"])
    assert data["availableToPromise"] == sum(max(s["onHand"] - s["reserved"], 0) for s in levels)
    orders = [po for po in upstream.purchase_orders([raw["scm_sku"]]) if po["status"] == "open"]
    assert sorted(po["id"] for po in data["openPurchaseOrders"]) == sorted(
        po["id"] for po in orders
    )
    suppliers = upstream.suppliers([po["supplierId"] for po in orders])
    for po in data["openPurchaseOrders"]:
        source = next(o for o in orders if o["id"] == po["id"])
        assert po["unitCost"]["amount"] == cents(source["unitCost"])
        assert po["supplier"]["name"] == suppliers[source["supplierId"]]["name"]


def test_a_product_without_sku_has_empty_stock_and_zero_availability(
    graphql_response, upstream: ContractClient
):
    [raw] = upstream.search_read("product.product", [["scm_sku", "=", False]])[:1]
    body = graphql_response(
        """query($c: ID!) { product(code: $c) {
            sku inventory { sku } availableToPromise openPurchaseOrders { id } } }""",
        {"c": raw["default_code"]},
    )
    assert body.get("errors") is None
    assert body["data"]["product"] == {
        "sku": None,
        "inventory": [],
        "availableToPromise": 0,
        "openPurchaseOrders": [],
    }


def test_shipment_by_tracking_number(graphql, upstream: ContractClient):
    [source] = upstream.shipments_of_orders(
        [
            o["id"]
            for o in upstream.orders([f"SO-{100001 + i}" for i in range(100)]).values()
            if o["status"] == "delivered"
        ]
    )[:1]
    data = graphql(
        """query($t: String!) { shipment(trackingNumber: $t) {
            id trackingNumber status deliveredAt order { id } events { status } } }""",
        {"t": source["trackingNumber"]},
    )["shipment"]
    assert data["id"] == source["id"] and data["status"] == source["status"]
    assert data["order"] == {"id": source["orderRef"]}
    assert [e["status"] for e in data["events"]] == [e["status"] for e in source["events"]]


def first_order_with_status(upstream: ContractClient, status: str) -> dict[str, Any]:
    for start in range(100001, 106001, 100):
        chunk = upstream.orders([f"SO-{start + i}" for i in range(100)])
        for order in sorted(chunk.values(), key=lambda o: o["id"]):
            if order["status"] == status:
                return order
    raise AssertionError(f"no order is {status}")


STAGE_OF_STATUS = {
    "confirmed": "ORDERED",
    "in_production": "IN_PRODUCTION",
    "ready": "READY_TO_SHIP",
    "shipped": "IN_TRANSIT",
    "delivered": "DELIVERED",
    "cancelled": "CANCELLED",
}


@pytest.mark.parametrize("status", list(STAGE_OF_STATUS))
def test_order_tracking_follows_an_order_across_the_three_systems(
    graphql, upstream: ContractClient, status: str
):
    raw = first_order_with_status(upstream, status)
    data = graphql(
        """query($id: ID!) { orderTracking(orderId: $id) {
            stage progress estimatedDelivery order { id }
            timeline { at system label } } }""",
        {"id": raw["id"]},
    )["orderTracking"]
    plans = upstream.search_read("mrp.production", [["sale_ref", "=", raw["id"]]])
    shipments = upstream.shipments_of_orders([raw["id"]])
    assert data["order"] == {"id": raw["id"]}
    # The simulators keep the three systems consistent, so the furthest stage any system
    # shows is the CRM's own status.
    assert data["stage"] == STAGE_OF_STATUS[status]
    assert 0.0 <= data["progress"] <= 1.0
    if status == "delivered":
        assert data["progress"] == 1.0
    etas = [
        rfc3339(s["eta"] or s["deliveredAt"]) for s in shipments if s["eta"] or s["deliveredAt"]
    ]
    finishes = [
        rfc3339(p["date_planned_finished"])
        for p in plans
        if p["state"] != "cancel" and p["date_planned_finished"]
    ]
    assert data["estimatedDelivery"] == (max(etas) if etas else max(finishes, default=None))
    times = [step["at"] for step in data["timeline"]]
    assert times == sorted(times)
    assert data["timeline"][0] == {
        "at": rfc3339(raw["created_at"]),
        "system": "CRM",
        "label": f"Order {raw['id']} placed",
    }
    scm_steps = [step for step in data["timeline"] if step["system"] == "SCM"]
    assert len(scm_steps) == sum(len(s["events"]) for s in shipments)
