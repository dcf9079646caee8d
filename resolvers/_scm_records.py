"""SCM GraphQL objects read into records; see ``scm.graphql``."""

from __future__ import annotations

from core.records import (
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
    TrackingEventRecord,
)
from resolvers._decode import JsonObject


def read_stock_level(level: JsonObject) -> StockLevelRecord:
    return StockLevelRecord(
        sku=level.text("sku"),
        warehouse=level.text("warehouse"),
        on_hand=level.integer("onHand"),
        reserved=level.integer("reserved"),
        in_transit=level.integer("inTransit"),
        reorder_point=level.integer("reorderPoint"),
        updated_at=level.timestamp("updatedAt"),
    )


def read_shipment(shipment: JsonObject) -> ShipmentRecord:
    return ShipmentRecord(
        id=shipment.text("id"),
        tracking_number=shipment.text("trackingNumber"),
        order_ref=shipment.text("orderRef"),
        carrier=shipment.text("carrier"),
        status=shipment.text("status"),
        shipped_at=shipment.optional_timestamp("shippedAt"),
        eta=shipment.optional_timestamp("eta"),
        delivered_at=shipment.optional_timestamp("deliveredAt"),
        destination_city=shipment.optional_text("destinationCity"),
        destination_country=shipment.optional_text("destinationCountry"),
        events=tuple(read_tracking_event(event) for event in shipment.objects("events")),
    )


def read_tracking_event(event: JsonObject) -> TrackingEventRecord:
    return TrackingEventRecord(
        at=event.timestamp("at"),
        status=event.text("status"),
        location=event.optional_text("location"),
        description=event.text("description"),
    )


def read_supplier(supplier: JsonObject) -> SupplierRecord:
    return SupplierRecord(
        id=supplier.text("id"),
        name=supplier.text("name"),
        country=supplier.optional_text("country"),
        on_time_rate=supplier.optional_number("onTimeRate"),
        lead_time_days=supplier.optional_integer("leadTimeDays"),
    )


def read_purchase_order(order: JsonObject) -> PurchaseOrderRecord:
    return PurchaseOrderRecord(
        id=order.text("id"),
        supplier_id=order.text("supplierId"),
        sku=order.text("sku"),
        quantity=order.integer("quantity"),
        unit_cost=order.decimal_number("unitCost"),
        expected_at=order.timestamp("expectedAt"),
        status=order.text("status"),
        reference=order.optional_text("reference"),
    )
