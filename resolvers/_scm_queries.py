"""The GraphQL documents the SCM client sends: one root field each, values as variables."""

from __future__ import annotations

from typing import Final

_SHIPMENT_FIELDS: Final = """
    id trackingNumber orderRef carrier status shippedAt eta deliveredAt
    destinationCity destinationCountry
    events { at status location description }
"""

STOCK_LEVELS: Final = """
query StockLevels($skus: [String!]!) {
  stockLevels(skus: $skus) {
    sku warehouse onHand reserved inTransit reorderPoint updatedAt
  }
}
"""

SHIPMENTS_BY_ORDER: Final = f"""
query ShipmentsByOrder($orderRefs: [String!]!) {{
  shipmentsByOrder(orderRefs: $orderRefs) {{ {_SHIPMENT_FIELDS} }}
}}
"""

SHIPMENTS_BY_TRACKING_NUMBER: Final = f"""
query Shipments($trackingNumbers: [String!]!) {{
  shipments(trackingNumbers: $trackingNumbers) {{ {_SHIPMENT_FIELDS} }}
}}
"""

SUPPLIERS: Final = """
query Suppliers($ids: [ID!]!) {
  suppliers(ids: $ids) { id name country onTimeRate leadTimeDays }
}
"""

PURCHASE_ORDERS: Final = """
query PurchaseOrders($skus: [String!]!, $openOnly: Boolean) {
  purchaseOrders(skus: $skus, openOnly: $openOnly) {
    id supplierId sku quantity unitCost expectedAt status reference
  }
}
"""

PURCHASE_ORDER_FIELDS: Final = "id supplierId sku quantity unitCost expectedAt status reference"

CREATE_PURCHASE_ORDER: Final = f"""
mutation CreatePurchaseOrder($input: PurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ {PURCHASE_ORDER_FIELDS} }}
}}
"""

UPDATE_PURCHASE_ORDER: Final = f"""
mutation UpdatePurchaseOrder($id: ID!, $quantity: Int, $expectedAt: String) {{
  updatePurchaseOrder(id: $id, quantity: $quantity, expectedAt: $expectedAt) {{
    {PURCHASE_ORDER_FIELDS}
  }}
}}
"""

RECEIVE_PURCHASE_ORDER: Final = f"""
mutation ReceivePurchaseOrder($id: ID!, $warehouse: String!) {{
  receivePurchaseOrder(id: $id, warehouse: $warehouse) {{ {PURCHASE_ORDER_FIELDS} }}
}}
"""
