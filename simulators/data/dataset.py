"""The one in-memory dataset the three simulated systems share.

Records live in dicts or lists in id order; the indexes answer the joins each system
serves often (orders of a customer, plans of an order, stock of a sku). Everything that
adds a record goes through a method here so the indexes stay right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields

from simulators.data.catalog import WAREHOUSES
from simulators.data.records import (
    Customer,
    Invoice,
    Order,
    Partner,
    Product,
    ProductionPlan,
    PurchaseOrder,
    Shipment,
    StockLevel,
    StockMove,
    Supplier,
)


@dataclass
class Dataset:
    seed: int
    customers: dict[str, Customer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)  # by default_code
    partners: dict[str, Partner] = field(default_factory=dict)  # by ref
    productions: list[ProductionPlan] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    stock_levels: list[StockLevel] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    suppliers: dict[str, Supplier] = field(default_factory=dict)
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    stock_moves: list[StockMove] = field(default_factory=list)
    # sku -> the supplier the SCM orders it from unless told otherwise.
    preferred_suppliers: dict[str, str] = field(default_factory=dict)
    # Indexes, rebuilt by reindex().
    orders_by_customer: dict[str, list[Order]] = field(default_factory=dict)
    productions_by_sale_ref: dict[str, list[ProductionPlan]] = field(default_factory=dict)
    invoices_by_sale_ref: dict[str, list[Invoice]] = field(default_factory=dict)
    stock_by_sku: dict[str, list[StockLevel]] = field(default_factory=dict)
    shipments_by_order: dict[str, list[Shipment]] = field(default_factory=dict)
    shipments_by_tracking: dict[str, Shipment] = field(default_factory=dict)
    purchase_orders_by_sku: dict[str, list[PurchaseOrder]] = field(default_factory=dict)
    purchase_orders_by_id: dict[str, PurchaseOrder] = field(default_factory=dict)
    purchase_orders_by_reference: dict[str, PurchaseOrder] = field(default_factory=dict)
    products_by_sku: dict[str, Product] = field(default_factory=dict)
    productions_by_id: dict[int, ProductionPlan] = field(default_factory=dict)
    productions_by_origin: dict[str, ProductionPlan] = field(default_factory=dict)
    stock_moves_by_origin: dict[str, StockMove] = field(default_factory=dict)

    def reindex(self) -> None:
        orders_by_customer: dict[str, list[Order]] = defaultdict(list)
        for order in self.orders.values():
            orders_by_customer[order.customer_id].append(order)
        productions: dict[str, list[ProductionPlan]] = defaultdict(list)
        for plan in self.productions:
            if plan.sale_ref is not None:
                productions[plan.sale_ref].append(plan)
        invoices: dict[str, list[Invoice]] = defaultdict(list)
        for invoice in self.invoices:
            invoices[invoice.sale_ref].append(invoice)
        stock: dict[str, list[StockLevel]] = defaultdict(list)
        for level in self.stock_levels:
            stock[level.sku].append(level)
        shipments: dict[str, list[Shipment]] = defaultdict(list)
        for shipment in self.shipments:
            shipments[shipment.order_ref].append(shipment)
        purchase_orders: dict[str, list[PurchaseOrder]] = defaultdict(list)
        for purchase_order in self.purchase_orders:
            purchase_orders[purchase_order.sku].append(purchase_order)
        self.orders_by_customer = dict(orders_by_customer)
        self.productions_by_sale_ref = dict(productions)
        self.invoices_by_sale_ref = dict(invoices)
        self.stock_by_sku = dict(stock)
        self.shipments_by_order = dict(shipments)
        self.shipments_by_tracking = {s.tracking_number: s for s in self.shipments}
        self.purchase_orders_by_sku = dict(purchase_orders)
        self.purchase_orders_by_id = {po.id: po for po in self.purchase_orders}
        self.purchase_orders_by_reference = {
            po.reference: po for po in self.purchase_orders if po.reference is not None
        }
        self.products_by_sku = {
            p.scm_sku: p for p in self.products.values() if p.scm_sku is not None
        }
        self.productions_by_id = {plan.id: plan for plan in self.productions}
        self.productions_by_origin = {
            plan.origin: plan for plan in self.productions if plan.origin is not None
        }
        self.stock_moves_by_origin = {
            move.origin: move for move in self.stock_moves if move.origin is not None
        }
        # qty_available is the sum of a product's moves, so it is rebuilt with them.
        for product in self.products.values():
            product.qty_available = 0.0
        for move in self.stock_moves:
            self.products[move.product_code].qty_available += move.quantity

    def replace_with(self, other: Dataset) -> None:
        """Take over another dataset's contents in place: holders of this object see it."""
        for data_field in fields(self):
            setattr(self, data_field.name, getattr(other, data_field.name))

    # --- additions that keep the indexes right -------------------------------------------
    def add_order(self, order: Order) -> None:
        self.orders[order.id] = order
        self.orders_by_customer.setdefault(order.customer_id, []).append(order)

    def add_production(self, plan: ProductionPlan) -> None:
        self.productions.append(plan)
        self.productions_by_id[plan.id] = plan
        if plan.sale_ref is not None:
            self.productions_by_sale_ref.setdefault(plan.sale_ref, []).append(plan)
        if plan.origin is not None:
            self.productions_by_origin[plan.origin] = plan

    def add_stock_move(self, move: StockMove) -> None:
        self.stock_moves.append(move)
        self.products[move.product_code].qty_available += move.quantity
        if move.origin is not None:
            self.stock_moves_by_origin[move.origin] = move

    def add_purchase_order(self, purchase_order: PurchaseOrder) -> None:
        self.purchase_orders.append(purchase_order)
        self.purchase_orders_by_sku.setdefault(purchase_order.sku, []).append(purchase_order)
        self.purchase_orders_by_id[purchase_order.id] = purchase_order
        if purchase_order.reference is not None:
            self.purchase_orders_by_reference[purchase_order.reference] = purchase_order

    def add_stock_level(self, level: StockLevel) -> None:
        self.stock_levels.append(level)
        levels = self.stock_by_sku.setdefault(level.sku, [])
        levels.append(level)
        # The SCM answers a sku's warehouses in one fixed order, as generated.
        levels.sort(key=lambda held: WAREHOUSES.index(held.warehouse))

    def add_invoice(self, invoice: Invoice) -> None:
        self.invoices.append(invoice)
        self.invoices_by_sale_ref.setdefault(invoice.sale_ref, []).append(invoice)

    def add_shipment(self, shipment: Shipment) -> None:
        self.shipments.append(shipment)
        self.shipments_by_order.setdefault(shipment.order_ref, []).append(shipment)
        self.shipments_by_tracking[shipment.tracking_number] = shipment

    # --- next ids ------------------------------------------------------------------------
    def next_order_id(self) -> str:
        highest = max((int(order_id[3:]) for order_id in self.orders), default=100000)
        return f"SO-{highest + 1}"

    def next_production_id(self) -> int:
        return max((plan.id for plan in self.productions), default=0) + 1

    def next_invoice_id(self) -> int:
        return max((invoice.id for invoice in self.invoices), default=0) + 1

    def next_stock_move_id(self) -> int:
        return max((move.id for move in self.stock_moves), default=0) + 1

    def next_purchase_order_id(self) -> str:
        highest = max((int(po.id[3:]) for po in self.purchase_orders), default=0)
        return f"PO-{highest + 1:06d}"

    def next_shipment_number(self) -> int:
        return max((int(s.id[4:]) for s in self.shipments), default=0) + 1
