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

# Version 2 additions (see README.md, "Additions (version 2)").
type Mutation {
  "Idempotent by reference: a second call with the same reference returns the first PO."
  createPurchaseOrder(input: PurchaseOrderInput!): PurchaseOrder!
  "Quantity or date of an open PO; quantity 0 cancels it."
  updatePurchaseOrder(id: ID!, quantity: Int, expectedAt: String): PurchaseOrder!
  "Goods arrived: stock of its sku rises in that warehouse; status becomes received."
  receivePurchaseOrder(id: ID!, warehouse: String!): PurchaseOrder!
}

input PurchaseOrderInput {
  sku: String!
  quantity: Int!
  "optional: the SCM picks the sku's preferred supplier"
  supplierId: ID
  "RFC 3339"
  expectedAt: String
  "the caller's idempotency key, e.g. the ERP production order"
  reference: String!
}

extend type PurchaseOrder {
  reference: String
}
"""
