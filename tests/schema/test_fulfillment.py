from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core.records import (
    InvoiceRecord,
    OrderRecord,
    ProductionRecord,
    ShipmentRecord,
    TrackingEventRecord,
)
from schema.fulfillment import (
    Stage,
    estimated_delivery,
    fulfillment_progress,
    fulfillment_stage,
    timeline,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def order(status: str) -> OrderRecord:
    return OrderRecord(
        id="SO-1",
        customer_id="C-1",
        status=status,
        currency="EUR",
        lines=(),
        total=Decimal("10.00"),
        requested_date=None,
        created_at=T0,
        updated_at=T0 + timedelta(days=1),
    )


def plan(state: str, finish_day: int = 5) -> ProductionRecord:
    return ProductionRecord(
        id=1,
        name=f"MO/{state}",
        sale_ref="SO-1",
        product_code="P-1",
        product_qty=Decimal(2),
        state=state,
        date_planned_start=T0 + timedelta(days=2),
        date_planned_finished=T0 + timedelta(days=finish_day),
        workcenter="Assembly",
        unit_cost=None,
    )


def shipment(status: str, eta_day: int = 9) -> ShipmentRecord:
    return ShipmentRecord(
        id="SH-1",
        tracking_number="1Z1",
        order_ref="SO-1",
        carrier="DHL",
        status=status,
        shipped_at=T0 + timedelta(days=6),
        eta=T0 + timedelta(days=eta_day),
        delivered_at=None,
        destination_city="Lyon",
        destination_country="FR",
        events=(TrackingEventRecord(T0 + timedelta(days=6), status, "Leipzig", "Picked up"),),
    )


def test_a_picked_up_shipment_moves_a_confirmed_order_to_in_transit():
    assert fulfillment_stage(order("confirmed"), [], [shipment("PICKED_UP")]) is Stage.IN_TRANSIT


def test_production_in_progress_moves_a_confirmed_order_to_in_production():
    assert fulfillment_stage(order("confirmed"), [plan("progress")], []) is Stage.IN_PRODUCTION


def test_all_plans_done_means_ready_to_ship():
    assert fulfillment_stage(order("in_production"), [plan("done"), plan("cancel")], []) is (
        Stage.READY_TO_SHIP
    )


def test_a_cancelled_order_is_cancelled_whatever_the_others_show():
    assert fulfillment_stage(order("cancelled"), [plan("done")], [shipment("IN_TRANSIT")]) is (
        Stage.CANCELLED
    )


def test_an_order_is_delivered_only_when_every_shipment_is():
    shipments = [shipment("DELIVERED"), shipment("IN_TRANSIT")]
    assert fulfillment_stage(order("shipped"), [], shipments) is Stage.IN_TRANSIT


def test_progress_grows_with_the_share_of_finished_plans():
    plans = [plan("done"), plan("progress")]
    assert fulfillment_progress(Stage.IN_PRODUCTION, plans, []) == 0.375
    assert fulfillment_progress(Stage.DELIVERED, [], []) == 1.0
    assert fulfillment_progress(Stage.CANCELLED, plans, []) == 0.0


def test_estimated_delivery_prefers_the_latest_shipment_eta_over_production():
    assert estimated_delivery([plan("done", 5)], [shipment("IN_TRANSIT", 9)]) == T0 + timedelta(9)
    assert estimated_delivery([plan("progress", 5), plan("draft", 7)], []) == T0 + timedelta(7)
    assert estimated_delivery([], []) is None


def test_timeline_merges_the_three_systems_oldest_first():
    invoice = InvoiceRecord(
        id=1,
        name="INV/2026/00001",
        sale_ref="SO-1",
        partner_ref="K1",
        amount_total=Decimal(10),
        amount_residual=Decimal(0),
        currency="EUR",
        state="posted",
        payment_state="paid",
        invoice_date=date(2026, 11, 7),
    )
    steps = timeline(order("shipped"), [plan("done")], [shipment("PICKED_UP")], [invoice])
    assert [step.at for step in steps] == sorted(step.at for step in steps)
    assert [step.system for step in steps] == ["CRM", "CRM", "ERP", "ERP", "ERP", "SCM"]
    assert steps[0].label == "Order SO-1 placed"


def test_a_cancelled_plan_adds_no_step_to_the_timeline():
    steps = timeline(order("cancelled"), [plan("cancel")], [], [])
    assert [step.system for step in steps] == ["CRM", "CRM"]
    assert steps[-1].label == "Order cancelled"
