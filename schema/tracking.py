"""The mobile order-status view: one order followed across CRM, ERP and SCM."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TypeVar

import strawberry

from core.records import InvoiceRecord, OrderRecord, ProductionRecord, ShipmentRecord
from resolvers.loaders import Ready
from schema import fulfillment
from schema.context import Info
from schema.orders import Order

T = TypeVar("T")


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

    def _from_joins(
        self,
        info: Info,
        build: Callable[[list[ProductionRecord], list[ShipmentRecord], list[InvoiceRecord]], T],
        *,
        invoices: bool = False,
    ) -> Ready[T]:
        """``build(plans, shipments, invoices)`` at once if they are loaded, else awaitable.

        ``invoices`` is [] unless asked for, so only the timeline costs the invoice read.
        """
        loaders = info.context.loaders
        order_id = self.record.id
        got_plans, plans = loaders.plans_of_order.peek(order_id)
        got_shipments, shipments = loaders.shipments_of_order.peek(order_id)
        got_invoices, found_invoices = (
            loaders.invoices_of_order.peek(order_id) if invoices else (True, [])
        )
        if got_plans and got_shipments and got_invoices:
            return build(plans or [], shipments or [], found_invoices or [])
        return self._from_joins_later(info, build, invoices=invoices)

    async def _from_joins_later(
        self,
        info: Info,
        build: Callable[[list[ProductionRecord], list[ShipmentRecord], list[InvoiceRecord]], T],
        *,
        invoices: bool,
    ) -> T:
        loaders = info.context.loaders
        order_id = self.record.id
        plans, shipments, found_invoices = await asyncio.gather(
            loaders.plans_of_order.load(order_id),
            loaders.shipments_of_order.load(order_id),
            loaders.invoices_of_order.load(order_id) if invoices else _no_invoices(),
        )
        return build(plans, shipments, found_invoices)

    @strawberry.field
    def order(self) -> Order:
        return Order(record=self.record)

    @strawberry.field(
        graphql_type=FulfillmentStage,
        description="Derived from all three systems, the furthest stage that any of them shows",
    )
    def stage(self, info: Info) -> Ready[FulfillmentStage]:
        def build(
            plans: list[ProductionRecord], shipments: list[ShipmentRecord], _: object
        ) -> FulfillmentStage:
            stage = fulfillment.fulfillment_stage(self.record, plans, shipments)
            return FulfillmentStage[stage.name]

        return self._from_joins(info, build)

    @strawberry.field(graphql_type=float, description="0 to 1")
    def progress(self, info: Info) -> Ready[float]:
        def build(
            plans: list[ProductionRecord], shipments: list[ShipmentRecord], _: object
        ) -> float:
            stage = fulfillment.fulfillment_stage(self.record, plans, shipments)
            return fulfillment.fulfillment_progress(stage, plans, shipments)

        return self._from_joins(info, build)

    @strawberry.field(
        graphql_type=datetime | None,
        description="Latest shipment eta; before shipping, the latest plannedFinish "
        "of its production plans",
    )
    def estimated_delivery(self, info: Info) -> Ready[datetime | None]:
        def build(
            plans: list[ProductionRecord], shipments: list[ShipmentRecord], _: object
        ) -> datetime | None:
            return fulfillment.estimated_delivery(plans, shipments)

        return self._from_joins(info, build)

    @strawberry.field(
        graphql_type=list[TrackingStep],
        description="Every dated step from CRM, ERP and SCM, oldest first",
    )
    def timeline(self, info: Info) -> Ready[list[TrackingStep]]:
        def build(
            plans: list[ProductionRecord],
            shipments: list[ShipmentRecord],
            invoices: list[InvoiceRecord],
        ) -> list[TrackingStep]:
            steps = fulfillment.timeline(self.record, plans, shipments, invoices)
            return [
                TrackingStep(at=step.at, system=SourceSystem(step.system), label=step.label)
                for step in steps
            ]

        return self._from_joins(info, build, invoices=True)


async def _no_invoices() -> list[InvoiceRecord]:
    return []
