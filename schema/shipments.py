"""Shipments and their tracking events (SCM)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.records import ShipmentRecord, TrackingEventRecord
from resolvers.loaders import Ready
from schema.context import Info

if TYPE_CHECKING:
    from schema.orders import Order


@strawberry.enum
class ShipmentStatus(Enum):
    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"


@strawberry.type
class TrackingEvent:
    record: strawberry.Private[TrackingEventRecord]

    @strawberry.field
    def at(self) -> datetime:
        return self.record.at

    @strawberry.field
    def status(self) -> ShipmentStatus:
        return ShipmentStatus(self.record.status)

    @strawberry.field
    def location(self) -> str | None:
        return self.record.location

    @strawberry.field
    def description(self) -> str:
        return self.record.description


def destination_of(record: ShipmentRecord) -> str | None:
    """ "Leipzig, DE" from the SCM's separate city and country; None when both are empty."""
    parts = [part for part in (record.destination_city, record.destination_country) if part]
    return ", ".join(parts) or None


@strawberry.type
class Shipment:
    record: strawberry.Private[ShipmentRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field
    def tracking_number(self) -> str:
        return self.record.tracking_number

    @strawberry.field
    def carrier(self) -> str:
        return self.record.carrier

    @strawberry.field
    def status(self) -> ShipmentStatus:
        return ShipmentStatus(self.record.status)

    @strawberry.field
    def shipped_at(self) -> datetime | None:
        return self.record.shipped_at

    @strawberry.field
    def eta(self) -> datetime | None:
        return self.record.eta

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return self.record.delivered_at

    @strawberry.field
    def destination(self) -> str | None:
        return destination_of(self.record)

    @strawberry.field
    def events(self) -> list[TrackingEvent]:
        return [TrackingEvent(record=event) for event in self.record.events]

    @strawberry.field(
        graphql_type=Annotated["Order", strawberry.lazy("schema.orders")] | None,
        description="CRM order where id = orderRef",
    )
    def order(self, info: Info) -> Ready[Order | None]:
        from schema.orders import order_or_none

        return info.context.loaders.order.build_now(self.record.order_ref, order_or_none)
