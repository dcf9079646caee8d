"""``stockAlerts(warehouse)``: a sku crossed below its reorder point, or recovered.

Fed by the SCM's ``stock.changed`` webhooks through ``gateway.stock_alerts`` (detected
once, told to every gateway process). Each alert carries the level that crossed; its
``product`` (and below it the product view: ``demand``, ``openPurchaseOrders``,
``coverage``) is read when the alert is sent, with loaders of its own, so a
subscription that runs for days never answers from what it read days ago.
Staff only: an alert tells of every customer's demand and of purchase orders.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry

from core.errors import TokenExpiredError
from core.records import ProductRecord
from resolvers.loaders import Ready
from schema import prefetch
from schema.context import Info
from schema.live import Changes, StockAlertRecord
from schema.lookahead import Selection
from schema.products import InventoryLevel, Product


@strawberry.enum
class StockAlertKind(Enum):
    BELOW_REORDER_POINT = "BELOW_REORDER_POINT"
    RECOVERED = "RECOVERED"


@strawberry.type(description="A sku crossed its reorder point in one warehouse")
class StockAlert:
    record: strawberry.Private[StockAlertRecord]
    product_record: strawberry.Private[ProductRecord | None]

    @strawberry.field
    def kind(self) -> StockAlertKind:
        return StockAlertKind(self.record.kind)

    @strawberry.field
    def sku(self) -> str:
        return self.record.level.sku

    @strawberry.field
    def warehouse(self) -> str:
        return self.record.level.warehouse

    @strawberry.field(description="The level right after the change")
    def level(self) -> InventoryLevel:
        return InventoryLevel(record=self.record.level)

    @strawberry.field(description="When the gateway saw the crossing")
    def at(self) -> datetime:
        return self.record.at

    @strawberry.field(
        graphql_type=Product | None,
        description="ERP product.product whose scm_sku is this sku, with its demand, open "
        "purchase orders and coverage",
    )
    def product(self) -> Ready[Product | None]:
        return Product(record=self.product_record) if self.product_record else None


async def next_alert_while_authorized(
    info: Info, alerts: Changes[StockAlertRecord]
) -> StockAlertRecord:
    """The next alert, but not past the token's expiry (as ``orderTrackingUpdated``)."""
    left = info.context.viewer.seconds_left(time.time())
    if left is None:
        return await alerts.next()
    try:
        return await asyncio.wait_for(alerts.next(), max(left, 0.0))
    except TimeoutError:
        raise TokenExpiredError("the token has expired; subscribe again with a new one") from None


async def stock_alerts(info: Info, warehouse: str | None) -> AsyncGenerator[StockAlert, None]:
    live = info.context.live
    assert live is not None  # checked by the root field before the stream starts
    async with live.stock_alerts.subscribe(warehouse) as alerts:
        if info.context.listening is not None:
            info.context.listening.set()
        while True:
            alert = await next_alert_while_authorized(info, alerts)
            # Fresh loaders per alert: the product view as it is now.
            info.context.renew_loaders()
            products = await info.context.loaders.product_of_sku.load(alert.level.sku)
            await prefetch.walk(
                info.context,
                "Product",
                [products] if products else [],
                Selection.of(info)["product"],
            )
            yield StockAlert(record=alert, product_record=products)
