"""The type of value each cached entity holds, for reading entries back.

Keyed by entity name, like ``cache.policy.DEFAULT_KINDS``; these mirror the value
types of ``resolvers.fetchers.Fetchers``.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.records import (
    CustomerPage,
    CustomerRecord,
    InvoiceRecord,
    OrderPage,
    OrderRecord,
    PartnerRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
    ShipmentRecord,
    StockLevelRecord,
    SupplierRecord,
)

VALUE_TYPES: Mapping[str, object] = {
    "customer": CustomerRecord | None,
    "customer_page": CustomerPage | None,
    "order": OrderRecord | None,
    "orders_of_customer": list[OrderRecord],
    "order_page": OrderPage | None,
    "product": ProductRecord | None,
    "product_catalog": list[ProductRecord],
    "account": PartnerRecord | None,
    "plans_of_order": list[ProductionRecord],
    "invoices_of_order": list[InvoiceRecord],
    "stock_of_sku": list[StockLevelRecord],
    "open_purchase_orders_of_sku": list[PurchaseOrderRecord],
    "purchase_orders_of_sku": list[PurchaseOrderRecord],
    "shipments_of_order": list[ShipmentRecord],
    "shipment_by_tracking_number": ShipmentRecord | None,
    "supplier": SupplierRecord | None,
    "open_orders_of_product": list[OrderRecord],
    "open_plans_of_product": list[ProductionRecord],
    "product_of_sku": ProductRecord | None,
}
