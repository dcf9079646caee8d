"""Who may see what: the access policy of ``../shared/contracts/README.md`` in one table.

Each guarded field names the scope it needs and whether it is for staff only (never for a
customer's own token). The table is applied once, when the schema is built, by wrapping
just those fields' resolvers; every other field resolves untouched. A field the viewer may
not see raises ``ForbiddenError``: it becomes null with a FORBIDDEN error and the rest of
the answer still comes.

Confinement of a customer token to its own customer is checked where customers, orders
and shipments enter the graph from the root (``ensure_own_customer`` and friends): what
joins below an order the token owns is that customer's too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, default_field_resolver

from gateway.auth import Viewer
from gateway.errors import ForbiddenError
from schema.context import Info


@dataclass(frozen=True, slots=True)
class Rule:
    scope: str
    staff_only: bool = False


CRM, ERP, SCM, WRITE = (
    Rule("crm:read"),
    Rule("erp:read"),
    Rule("scm:read"),
    Rule("orders:write"),
)

POLICY: dict[tuple[str, str], Rule] = {
    ("Query", "customer"): CRM,
    ("Query", "customers"): Rule("crm:read", staff_only=True),
    ("Query", "order"): CRM,
    ("Query", "orders"): CRM,
    ("Query", "product"): ERP,
    ("Query", "products"): ERP,
    ("Query", "shipment"): SCM,
    ("Query", "orderTracking"): CRM,
    ("Customer", "account"): ERP,
    ("Order", "productionPlans"): ERP,
    ("Order", "invoices"): ERP,
    ("Order", "margin"): Rule("erp:read", staff_only=True),
    ("Order", "shipments"): SCM,
    ("OrderLine", "product"): ERP,
    ("Product", "standardCost"): Rule("erp:read", staff_only=True),
    ("Product", "inventory"): SCM,
    ("Product", "availableToPromise"): SCM,
    ("Product", "openPurchaseOrders"): Rule("scm:read", staff_only=True),
    ("PurchaseOrder", "supplier"): Rule("scm:read", staff_only=True),
    ("ProductionPlan", "product"): ERP,
    ("ProductionPlan", "order"): CRM,
    ("Shipment", "order"): CRM,
    ("Mutation", "placeOrder"): WRITE,
    ("Mutation", "cancelOrder"): WRITE,
    ("Subscription", "orderTrackingUpdated"): CRM,
}


def refusal(viewer: Viewer, rule: Rule, field: str) -> str | None:
    """Why ``viewer`` may not see ``field`` under ``rule``; None when it may."""
    if rule.staff_only and viewer.is_customer:
        return f"{field} is not visible to a customer's token"
    if not viewer.may(rule.scope):
        return f"{field} needs the scope {rule.scope}"
    return None


def check(viewer: Viewer, rule: Rule, field: str) -> None:
    reason = refusal(viewer, rule, field)
    if reason is not None:
        raise ForbiddenError(reason)


def guarded(resolve: Callable[..., Any], rule: Rule, field: str) -> Callable[..., Any]:
    def resolve_if_allowed(source: Any, info: Any, **arguments: Any) -> Any:
        check(info.context.viewer, rule, field)
        return resolve(source, info, **arguments)

    return resolve_if_allowed


def guarded_subscription(
    subscribe: Callable[..., Any], rule: Rule, field: str
) -> Callable[..., Any]:
    def subscribe_if_allowed(source: Any, info: Any, **arguments: Any) -> Any:
        check(info.context.viewer, rule, field)
        return subscribe(source, info, **arguments)

    return subscribe_if_allowed


def apply_policy(schema: GraphQLSchema) -> None:
    for (type_name, field_name), rule in POLICY.items():
        graphql_type = schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType), type_name
        field = graphql_type.fields[field_name]
        name = f"{type_name}.{field_name}"
        if field.subscribe is not None:
            field.subscribe = guarded_subscription(field.subscribe, rule, name)
        else:
            field.resolve = guarded(field.resolve or default_field_resolver, rule, name)


def ensure_own_customer(info: Info, customer_id: str) -> None:
    """A customer's token sees its own customer only; staff tokens see every customer."""
    viewer = info.context.viewer
    if viewer.customer_id is not None and viewer.customer_id != customer_id:
        raise ForbiddenError("this token may only see its own customer and orders")


def permits(viewer: Viewer, type_name: str, field_name: str) -> bool:
    """Whether ``viewer`` may see the field: prefetching skips what it would refuse."""
    rule = POLICY.get((type_name, field_name))
    return rule is None or refusal(viewer, rule, f"{type_name}.{field_name}") is None
