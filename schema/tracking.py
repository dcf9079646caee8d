"""The mobile order-status view: one order followed across CRM, ERP and SCM."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum

import strawberry

from resolvers.records import OrderRecord, ProductionRecord, ShipmentRecord
from schema import fulfillment
from schema.context import Info
from schema.orders import Order


@strawberry.enum
class FulfillmentStage(Enum):
    ORDERED = "ORDERED"
    IN_PRODUCTION = "IN_PRODUCTION"
    READY_TO_SHIP = "READY_TO_SHIP"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class SourceSystem(Enum):
    CRM = "CRM"
    ERP = "ERP"
    SCM = "SCM"


@strawberry.type
class TrackingStep:
    at: datetime
    system: SourceSystem
    label: str


@strawberry.type
class OrderTracking:
    record: strawberry.Private[OrderRecord]

    async def _plans_and_shipments(
        self, info: Info
    ) -> tuple[list[ProductionRecord], list[ShipmentRecord]]:
        loaders = info.context.loaders
        plans, shipments = await asyncio.gather(
            loaders.plans_of_order.load(self.record.id),
            loaders.shipments_of_order.load(self.record.id),
        )
        return plans, shipments

    @strawberry.field
    def order(self) -> Order:
        return Order(record=self.record)

    @strawberry.field(
        description="Derived from all three systems, the furthest stage that any of them shows"
    )
    async def stage(self, info: Info) -> FulfillmentStage:
        plans, shipments = await self._plans_and_shipments(info)
        stage = fulfillment.fulfillment_stage(self.record, plans, shipments)
        return FulfillmentStage[stage.name]

    @strawberry.field(description="0 to 1")
    async def progress(self, info: Info) -> float:
        plans, shipments = await self._plans_and_shipments(info)
        stage = fulfillment.fulfillment_stage(self.record, plans, shipments)
        return fulfillment.fulfillment_progress(stage, plans, shipments)

    @strawberry.field(
        description="Latest shipment eta; before shipping, the latest plannedFinish "
        "of its production plans"
    )
    async def estimated_delivery(self, info: Info) -> datetime | None:
        plans, shipments = await self._plans_and_shipments(info)
        return fulfillment.estimated_delivery(plans, shipments)

    @strawberry.field(description="Every dated step from CRM, ERP and SCM, oldest first")
    async def timeline(self, info: Info) -> list[TrackingStep]:
        loaders = info.context.loaders
        plans, shipments, invoices = await asyncio.gather(
            loaders.plans_of_order.load(self.record.id),
            loaders.shipments_of_order.load(self.record.id),
            loaders.invoices_of_order.load(self.record.id),
        )
        steps = fulfillment.timeline(self.record, plans, shipments, invoices)
        return [
            TrackingStep(at=step.at, system=SourceSystem(step.system), label=step.label)
            for step in steps
        ]
