"""The seeded dataset: deterministic, big enough, quirky on purpose, and consistent across
the three systems (the crosswalk of contracts/README.md)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest

from simulators.clock import REFERENCE_NOW
from simulators.data import Dataset, generate_dataset, showcase
from simulators.data.records import ORDER_STATUSES


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate_dataset(42)


def test_the_same_seed_generates_an_identical_dataset(dataset: Dataset) -> None:
    assert generate_dataset(42) == dataset


def test_a_different_seed_generates_different_data(dataset: Dataset) -> None:
    other = generate_dataset(7)
    assert other.customers != dataset.customers
    assert other.orders != dataset.orders


def test_the_dataset_has_at_least_the_promised_sizes(dataset: Dataset) -> None:
    assert len(dataset.customers) >= 500
    assert len(dataset.orders) >= 5000
    assert len(dataset.products) == 300
    assert len(dataset.suppliers) >= 20
    assert {level.warehouse for level in dataset.stock_levels} >= {"Rotterdam", "Leipzig", "Lyon"}


def test_ids_have_the_contract_formats(dataset: Dataset) -> None:
    assert all(re.fullmatch(r"C-\d{6}", i) for i in dataset.customers)
    assert all(re.fullmatch(r"SO-\d{6}", i) for i in dataset.orders)
    assert all(re.fullmatch(r"P-\d{4}", i) for i in dataset.products)
    assert all(re.fullmatch(r"K\d{5}", ref) for ref in dataset.partners)
    assert all(re.fullmatch(r"SUP-\d{3}", i) for i in dataset.suppliers)
    assert all(re.fullmatch(r"MO/\d{5}", p.name) for p in dataset.productions)
    named = [i.name for i in dataset.invoices if i.state != "draft"]
    assert all(re.fullmatch(r"INV/\d{4}/\d{5}", name) for name in named)
    assert min(dataset.customers) == "C-000001"
    assert min(dataset.orders) == "SO-100001"
    assert min(dataset.products) == "P-1001"


def test_every_order_status_occurs(dataset: Dataset) -> None:
    statuses = Counter(order.status for order in dataset.orders.values())
    assert set(statuses) == set(ORDER_STATUSES)


def test_the_quirks_are_there_in_believable_shares(dataset: Dataset) -> None:
    customers = list(dataset.customers.values())
    products = list(dataset.products.values())
    without_account = sum(c.erp_account is None for c in customers) / len(customers)
    assert 0.05 < without_account < 0.15
    assert any(c.shipping_address is None for c in customers)
    assert any(c.email is None for c in customers)
    assert any(c.phone is None for c in customers)
    assert {c.tier for c in customers} == {"gold", "silver", "bronze", None}
    assert {c.segment for c in customers} == {"enterprise", "smb", "consumer"}
    assert 0.04 < sum(p.scm_sku is None for p in products) / len(products) < 0.12
    assert 0.02 < sum(p.standard_cost is None for p in products) / len(products) < 0.08
    assert any(not p.active for p in products)


def test_the_showcase_records_have_their_documented_quirks(dataset: Dataset) -> None:
    complete = dataset.customers[showcase.CUSTOMER_COMPLETE]
    assert complete.erp_account == "K10001" and complete.tier == "gold"
    assert None not in (complete.email, complete.phone, complete.shipping_address)
    assert dataset.customers[showcase.CUSTOMER_WITHOUT_ERP_ACCOUNT].erp_account is None
    sparse = dataset.customers[showcase.CUSTOMER_SPARSE]
    assert (sparse.email, sparse.phone, sparse.tier, sparse.shipping_address) == (None,) * 4
    assert sparse.erp_account is not None
    assert dataset.products[showcase.PRODUCT_COMPLETE].scm_sku == "SKU-1001-A"
    assert dataset.products[showcase.PRODUCT_WITHOUT_SCM_SKU].scm_sku is None
    assert dataset.products[showcase.PRODUCT_WITHOUT_STANDARD_COST].standard_cost is None
    assert dataset.products[showcase.PRODUCT_INACTIVE].active is False


def test_every_order_line_product_exists_in_the_erp(dataset: Dataset) -> None:
    codes = {line.product_code for o in dataset.orders.values() for line in o.lines}
    assert codes <= set(dataset.products)


def test_every_order_belongs_to_a_known_customer(dataset: Dataset) -> None:
    assert {o.customer_id for o in dataset.orders.values()} <= set(dataset.customers)


def test_every_erp_account_is_a_partner_and_back(dataset: Dataset) -> None:
    accounts = {c.erp_account for c in dataset.customers.values()} - {None}
    assert accounts == set(dataset.partners)


def test_every_scm_sku_has_stock_rows_and_purchase_orders_only_for_known_skus(
    dataset: Dataset,
) -> None:
    skus = {p.scm_sku for p in dataset.products.values()} - {None}
    assert skus == set(dataset.stock_by_sku)
    assert {po.sku for po in dataset.purchase_orders} <= skus
    assert {po.status for po in dataset.purchase_orders} == {"open", "received", "cancelled"}
    warehouses_per_sku = {len(levels) for levels in dataset.stock_by_sku.values()}
    assert min(warehouses_per_sku) >= 1 and max(warehouses_per_sku) >= 3


def test_sale_refs_and_order_refs_are_crm_orders(dataset: Dataset) -> None:
    assert {p.sale_ref for p in dataset.productions} <= set(dataset.orders)
    assert {i.sale_ref for i in dataset.invoices} <= set(dataset.orders)
    assert {s.order_ref for s in dataset.shipments} <= set(dataset.orders)
    assert {p.product_code for p in dataset.productions} <= set(dataset.products)
    partner_refs = {i.partner_ref for i in dataset.invoices} - {None}
    assert partner_refs <= set(dataset.partners)


def test_purchase_orders_name_existing_suppliers(dataset: Dataset) -> None:
    assert {po.supplier_id for po in dataset.purchase_orders} <= set(dataset.suppliers)


def test_order_totals_are_the_sum_of_their_lines(dataset: Dataset) -> None:
    for order in list(dataset.orders.values())[:500]:
        assert 1 <= len(order.lines) <= 5
        assert order.total == sum(line.unit_price * line.quantity for line in order.lines)
        assert order.currency == "EUR"
        assert str(order.total).count(".") == 1 and len(str(order.total).split(".")[1]) == 2


def test_order_times_lie_in_the_past_and_updates_follow_creation(dataset: Dataset) -> None:
    for order in dataset.orders.values():
        assert order.created_at <= order.updated_at <= REFERENCE_NOW
        customer = dataset.customers[order.customer_id]
        assert customer.created_at <= order.created_at


def test_production_plans_agree_with_the_order_status(dataset: Dataset) -> None:
    allowed = {
        "confirmed": {"draft", "confirmed"},
        "in_production": {"progress", "to_close"},
        "ready": {"done"},
        "shipped": {"done"},
        "delivered": {"done"},
        "cancelled": {"cancel"},
    }
    for order in dataset.orders.values():
        plans = dataset.productions_by_sale_ref.get(order.id, [])
        assert {plan.state for plan in plans} <= allowed[order.status], order.id
        if order.status in ("in_production", "ready", "shipped", "delivered"):
            assert plans, f"{order.id} is {order.status} without a production plan"
    started = [o for o in dataset.orders.values() if o.status in ("ready", "shipped")]
    for order in started:
        for plan in dataset.productions_by_sale_ref[order.id]:
            assert plan.date_planned_start < plan.date_planned_finished <= REFERENCE_NOW
            assert plan.date_planned_finished - plan.date_planned_start < timedelta(days=15)


def test_invoices_exist_for_every_shipped_or_delivered_order(dataset: Dataset) -> None:
    for order in dataset.orders.values():
        invoices = dataset.invoices_by_sale_ref.get(order.id, [])
        if order.status in ("shipped", "delivered"):
            assert any(i.state == "posted" for i in invoices), order.id
        elif order.status != "ready":
            assert not invoices, order.id


def test_shipments_agree_with_the_order_status(dataset: Dataset) -> None:
    for order in dataset.orders.values():
        shipments = dataset.shipments_by_order.get(order.id, [])
        if order.status == "delivered":
            assert shipments and all(s.status == "DELIVERED" for s in shipments)
            assert all(s.delivered_at is not None for s in shipments)
        elif order.status == "shipped":
            assert shipments and all(s.status != "DELIVERED" for s in shipments)
        else:
            assert not shipments, order.id
    in_flight = {s.status for s in dataset.shipments if s.status != "DELIVERED"}
    assert in_flight >= {"PICKED_UP", "IN_TRANSIT", "EXCEPTION"}
    for shipment in dataset.shipments:
        times = [event.at for event in shipment.events]
        assert times == sorted(times) and times[-1] <= REFERENCE_NOW
        assert shipment.events[-1].status == shipment.status
    assert len({s.tracking_number for s in dataset.shipments}) == len(dataset.shipments)
    assert len({s.carrier for s in dataset.shipments}) >= 3
