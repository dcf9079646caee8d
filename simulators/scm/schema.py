"""The SCM's schema: an exact copy of ``contracts/scm.graphql`` (a test keeps it so).

Kept as a Python string rather than a data file so that it ships with the package
without any packaging configuration.
"""

from __future__ import annotations

SCM_SDL = """\
# SCM system API (upstream). The gateway calls it; it is not the gateway's own schema.
# Keys unknown to the SCM are left out of list results (no error).
# List arguments past their limit give a GraphQL error with extensions.code "LIMIT_EXCEEDED".

type Query {
  "One entry per (sku, warehouse) that holds the sku. At most 250 skus."
  stockLevels(skus: [String!]!): [StockLevel!]!
  "Every shipment of those sales orders. At most 100 refs."
  shipmentsByOrder(orderRefs: [String!]!): [Shipment!]!
  "At most 100 tracking numbers."
  shipments(trackingNumbers: [String!]!): [Shipment!]!
  "At most 100 ids."
  suppliers(ids: [ID!]!): [Supplier!]!
  "Purchase orders for those skus, open ones only unless openOnly is false. At most 250 skus."
  purchaseOrders(skus: [String!]!, openOnly: Boolean = true): [PurchaseOrder!]!
}

type StockLevel {
  sku: String!
  warehouse: String!
  onHand: Int!
  reserved: Int!
  inTransit: Int!
  reorderPoint: Int!
  "RFC 3339, UTC"
  updatedAt: String!
}

enum ShipmentStatus {
  LABEL_CREATED
  PICKED_UP
  IN_TRANSIT
  OUT_FOR_DELIVERY
  DELIVERED
  EXCEPTION
}

type Shipment {
  id: ID!
  trackingNumber: String!
  "The CRM sales order id"
  orderRef: String!
  carrier: String!
  status: ShipmentStatus!
  shippedAt: String
  eta: String
  deliveredAt: String
  destinationCity: String
  destinationCountry: String
  "Oldest first"
  events: [TrackingEvent!]!
}

type TrackingEvent {
  at: String!
  status: ShipmentStatus!
  location: String
  description: String!
}

type Supplier {
  id: ID!
  name: String!
  country: String!
  "0..1"
  onTimeRate: Float!
  leadTimeDays: Int!
}

type PurchaseOrder {
  id: ID!
  supplierId: ID!
  sku: String!
  quantity: Int!
  unitCost: Float!
  expectedAt: String!
  "open | received | cancelled"
  status: String!
}
"""
