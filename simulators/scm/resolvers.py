"""The SCM's root fields. Unknown keys are left out; lists past their limit are an error.

Every root field records one call with its list length as batch size, before the limit
check, so a gateway that asks for too much shows up in ``max_batch``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema

from simulators.clock import rfc3339
from simulators.data.dataset import Dataset
from simulators.data.records import PurchaseOrder, Shipment, StockLevel, Supplier
from simulators.stats import SystemStats
from simulators.webhooks import WebhookSender


@dataclass(frozen=True)
class ScmContext:
    dataset: Dataset
    stats: SystemStats
    webhooks: WebhookSender
    now: datetime  # the simulated clock when the request came in


Info = GraphQLResolveInfo[ScmContext]
LIMITS = {"skus": 250, "orderRefs": 100, "trackingNumbers": 100, "ids": 100}


def _keys(info: Info, argument: str, values: list[str]) -> list[str]:
    info.context.stats.record(info.field_name, len(values))
    limit = LIMITS[argument]
    if len(values) > limit:
        raise GraphQLError(
            f"{info.field_name}: at most {limit} {argument}, got {len(values)}",
            extensions={"code": "LIMIT_EXCEEDED", "limit": limit, "given": len(values)},
        )
    return list(dict.fromkeys(values))


def _optional_time(value: Any) -> str | None:
    return None if value is None else rfc3339(value)


def stock_level_json(level: StockLevel) -> dict[str, Any]:
    return {
        "sku": level.sku,
        "warehouse": level.warehouse,
        "onHand": level.on_hand,
        "reserved": level.reserved,
        "inTransit": level.in_transit,
        "reorderPoint": level.reorder_point,
        "updatedAt": rfc3339(level.updated_at),
    }


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.id,
        "trackingNumber": shipment.tracking_number,
        "orderRef": shipment.order_ref,
        "carrier": shipment.carrier,
        "status": shipment.status,
        "shippedAt": _optional_time(shipment.shipped_at),
        "eta": _optional_time(shipment.eta),
        "deliveredAt": _optional_time(shipment.delivered_at),
        "destinationCity": shipment.destination_city,
        "destinationCountry": shipment.destination_country,
        "events": [
            {
                "at": rfc3339(event.at),
                "status": event.status,
                "location": event.location,
                "description": event.description,
            }
            for event in shipment.events
        ],
    }


def supplier_json(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "name": supplier.name,
        "country": supplier.country,
        "onTimeRate": supplier.on_time_rate,
        "leadTimeDays": supplier.lead_time_days,
    }


def purchase_order_json(purchase_order: PurchaseOrder) -> dict[str, Any]:
    return {
        "id": purchase_order.id,
        "supplierId": purchase_order.supplier_id,
        "sku": purchase_order.sku,
        "quantity": purchase_order.quantity,
        "unitCost": purchase_order.unit_cost,
        "expectedAt": rfc3339(purchase_order.expected_at),
        "status": purchase_order.status,
        "reference": purchase_order.reference,
    }


def _flatten(groups: Iterable[Iterable[Any]]) -> list[Any]:
    return [item for group in groups for item in group]


def stock_levels(_root: None, info: Info, skus: list[str]) -> list[dict[str, Any]]:
    dataset = info.context.dataset
    keys = _keys(info, "skus", skus)
    return [stock_level_json(s) for s in _flatten(dataset.stock_by_sku.get(k, []) for k in keys)]


def shipments_by_order(_root: None, info: Info, orderRefs: list[str]) -> list[dict[str, Any]]:
    dataset = info.context.dataset
    keys = _keys(info, "orderRefs", orderRefs)
    return [shipment_json(s) for s in _flatten(dataset.shipments_by_order.get(k, []) for k in keys)]


def shipments(_root: None, info: Info, trackingNumbers: list[str]) -> list[dict[str, Any]]:
    dataset = info.context.dataset
    keys = _keys(info, "trackingNumbers", trackingNumbers)
    found = (dataset.shipments_by_tracking.get(k) for k in keys)
    return [shipment_json(s) for s in found if s is not None]


def suppliers(_root: None, info: Info, ids: list[str]) -> list[dict[str, Any]]:
    dataset = info.context.dataset
    keys = _keys(info, "ids", ids)
    found = (dataset.suppliers.get(k) for k in keys)
    return [supplier_json(s) for s in found if s is not None]


def purchase_orders(
    _root: None, info: Info, skus: list[str], openOnly: bool = True
) -> list[dict[str, Any]]:
    dataset = info.context.dataset
    keys = _keys(info, "skus", skus)
    return [
        purchase_order_json(po)
        for po in _flatten(dataset.purchase_orders_by_sku.get(k, []) for k in keys)
        if not openOnly or po.status == "open"
    ]


ROOT_RESOLVERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "stockLevels": stock_levels,
    "shipmentsByOrder": shipments_by_order,
    "shipments": shipments,
    "suppliers": suppliers,
    "purchaseOrders": purchase_orders,
}


def attach_resolvers(
    schema: GraphQLSchema, mutations: dict[str, Callable[..., dict[str, Any]]]
) -> GraphQLSchema:
    query_type, mutation_type = schema.query_type, schema.mutation_type
    assert query_type is not None and mutation_type is not None
    for name, resolver in ROOT_RESOLVERS.items():
        query_type.fields[name].resolve = resolver
    for name, mutation in mutations.items():
        mutation_type.fields[name].resolve = mutation
    return schema
