"""Who may see what: the access policy of ``../shared/contracts/README.md`` in one table.

Each guarded field names the scopes it needs and whether it is for staff only (never for a
customer's own token). A field derived from several systems needs the scope of every one
of them: ``OrderTracking.stage`` reads the CRM's order, the ERP's plans and the SCM's
shipments, so a ``crm:read``-only token gets the tracking's order and FORBIDDEN on the
stage rather than a stage computed from the part it may see (which would be wrong, not
merely partial). The table is applied once, when the schema is built, by wrapping
just those fields' resolvers; every other field resolves untouched. A field the viewer may
not see raises ``ForbiddenError``: it becomes null with a FORBIDDEN error and the rest of
the answer still comes.

Confinement of a customer token to its own customer is checked where customers, orders
and shipments enter the graph from the root (``ensure_own_customer`` and friends): what
joins below an order the token owns is that customer's too. To a customer's token another
customer's order, customer or shipment does not exist: it gets the very answer an unknown
id gets (``hidden_from_customer``), so the token cannot tell which ids exist.

That holds whatever the cache holds. An id it never held is asked of its system; a
cached copy of another customer's record would be answered without asking (fresh, or
stale while the system is down), and a cached "not found" for a while after one (negative
entries are fresh for less time than records): the answer would then tell the token that
the id exists. So a customer's token is served a cached copy of a customer-owned record,
fresh or stale, only when it is its own (``copy_gate``, applied by the cache to every
loader of the request): any other copy, and a negative one, is a miss, asked of the
system as an id the cache never held and then hidden here, or failing with the
system's error, whichever field asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLObjectType, GraphQLSchema, default_field_resolver

from cache.entity_cache import CacheGate, CopyCheck
from core.errors import ForbiddenError, NotFoundError, SupplyGraphError
from schema.context import Info
from schema.viewer import Viewer

if TYPE_CHECKING:
    from resolvers.loaders import Loaders

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rule:
    scopes: tuple[str, ...]
    staff_only: bool = False


CRM, ERP, SCM, WRITE = (
    Rule(("crm:read",)),
    Rule(("erp:read",)),
    Rule(("scm:read",)),
    Rule(("orders:write",)),
)
# The tracking view's derived fields, by the systems they derive from (schema.tracking).
ALL_THREE = Rule(("crm:read", "erp:read", "scm:read"))
PLANS_AND_SHIPMENTS = Rule(("erp:read", "scm:read"))

POLICY: dict[tuple[str, str], Rule] = {
    ("Query", "customer"): CRM,
    ("Query", "customers"): Rule(("crm:read",), staff_only=True),
    ("Query", "order"): CRM,
    ("Query", "orders"): CRM,
    ("Query", "product"): ERP,
    ("Query", "products"): ERP,
    ("Query", "shipment"): SCM,
    ("Query", "orderTracking"): CRM,
    # A feed of every customer's orders: a list of customers' business, staff only.
    ("Query", "orderList"): Rule(("crm:read",), staff_only=True),
    ("Query", "productList"): ERP,
    # Orders (CRM), production costs (ERP), purchase costs (SCM): costs and margin.
    ("Query", "financeSummary"): Rule(("crm:read", "erp:read", "scm:read"), staff_only=True),
    # Order status (CRM), production plans (ERP), shipments (SCM); the timeline also
    # lists invoices (ERP). ``OrderTracking.order`` is the CRM's order: the root's rule.
    ("OrderTracking", "stage"): ALL_THREE,
    ("OrderTracking", "progress"): ALL_THREE,
    ("OrderTracking", "timeline"): ALL_THREE,
    ("OrderTracking", "estimatedDelivery"): PLANS_AND_SHIPMENTS,
    ("Customer", "account"): ERP,
    ("Order", "productionPlans"): ERP,
    ("Order", "invoices"): ERP,
    ("Order", "margin"): Rule(("erp:read",), staff_only=True),
    ("Order", "finance"): Rule(("erp:read", "scm:read"), staff_only=True),
    ("Order", "shipments"): SCM,
    ("OrderLine", "product"): ERP,
    ("Product", "standardCost"): Rule(("erp:read",), staff_only=True),
    ("Product", "inventory"): SCM,
    ("Product", "availableToPromise"): SCM,
    ("Product", "openPurchaseOrders"): Rule(("scm:read",), staff_only=True),
    ("PurchaseOrder", "supplier"): Rule(("scm:read",), staff_only=True),
    # The product view: demand and plans are other customers' orders, and coverage is
    # derived from all three systems' records of them.
    ("Product", "demand"): Rule(("crm:read",), staff_only=True),
    ("Product", "productionPlans"): Rule(("erp:read",), staff_only=True),
    ("Product", "coverage"): Rule(("crm:read", "erp:read", "scm:read"), staff_only=True),
    ("Query", "lowStock"): Rule(("erp:read", "scm:read"), staff_only=True),
    ("Subscription", "stockAlerts"): Rule(("scm:read",), staff_only=True),
    ("StockAlert", "product"): ERP,
    ("ProductionPlan", "product"): ERP,
    ("ProductionPlan", "order"): CRM,
    ("Shipment", "order"): CRM,
    ("Mutation", "placeOrder"): WRITE,
    ("Mutation", "cancelOrder"): WRITE,
    ("Subscription", "orderTrackingUpdated"): CRM,
    # Writes to the ERP and the SCM (schema.supply_writes): staff, and the flow engine's
    # service identity, which holds exactly these scopes and the three read ones.
    ("Mutation", "createProductionOrder"): Rule(("erp:write",), staff_only=True),
    ("Mutation", "recordStockMove"): Rule(("erp:write",), staff_only=True),
    ("Mutation", "createPurchaseOrder"): Rule(("scm:write",), staff_only=True),
    ("Mutation", "updatePurchaseOrder"): Rule(("scm:write",), staff_only=True),
    ("Mutation", "receivePurchaseOrder"): Rule(("scm:write",), staff_only=True),
    ("Query", "purchaseOrders"): Rule(("scm:read",), staff_only=True),
    ("Query", "flowRuns"): Rule((), staff_only=True),
}


def refusal(viewer: Viewer, rule: Rule, field: str) -> str | None:
    """Why ``viewer`` may not see ``field`` under ``rule``; None when it may."""
    if rule.staff_only and viewer.is_customer:
        return f"{field} is not visible to a customer's token"
    missing = [scope for scope in rule.scopes if not viewer.may(scope)]
    if not missing:
        return None
    if len(rule.scopes) == 1:
        return f"{field} needs the scope {missing[0]}"
    # Derived from several systems: say which, and which of them this token lacks.
    return f"{field} needs the scopes {' '.join(rule.scopes)}; the token lacks {' '.join(missing)}"


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


def hidden_from_customer(kind: str) -> NotFoundError:
    """What a customer's token gets for an id it may not see *and* for one that does not
    exist: the same code, message and null, so that it cannot probe which ids exist. The
    message does not even echo the id: the answer is the same whichever was asked for."""
    return NotFoundError(f"no such {kind} for this token")


def visible_to(viewer: Viewer, owner: str | None) -> bool:
    """Whether ``viewer`` may see what belongs to customer ``owner`` (None: nobody's, an
    unknown id). Staff see everything that exists."""
    if owner is None:
        return False
    return viewer.customer_id is None or viewer.customer_id == owner


def ensure_visible(info: Info, kind: str, owner: str | None) -> bool:
    """Whether an object of customer ``owner`` (None when it is unknown) is to be shown.
    Unknown is null for staff (the contract's answer); for a customer's token
    an unknown and another customer's object both raise the same ``NotFoundError``."""
    viewer = info.context.viewer
    if visible_to(viewer, owner):
        return True
    if viewer.is_customer:
        raise hidden_from_customer(kind)
    return False


def visible_record(info: Info, kind: str, record: T | None, owner: Callable[[T], str]) -> T | None:
    """``record`` if the viewer may see it, by ``ensure_visible``'s rule:
    None for staff when it is unknown; for a customer's token, the same NOT_FOUND when it
    is unknown or another customer's."""
    owner_id = owner(record) if record is not None else None
    return record if ensure_visible(info, kind, owner_id) else None


def permits(viewer: Viewer, type_name: str, field_name: str) -> bool:
    """Whether ``viewer`` may see the field: prefetching skips what it would refuse."""
    rule = POLICY.get((type_name, field_name))
    return rule is None or refusal(viewer, rule, f"{type_name}.{field_name}") is None


# The customer an order belongs to, as this request reads it; None when it is unknown.
OrderOwner = Callable[[str], Awaitable[str | None]]
# Whose a cached copy of a join is, from its key and value (None: a negative entry).
CopyOwner = Callable[[OrderOwner, Any, Any], Awaitable[str | None]]


async def _the_customer(order_owner: OrderOwner, key: str, record: Any) -> str | None:
    return record.id if record is not None else None


async def _the_orders_customer(order_owner: OrderOwner, key: str, record: Any) -> str | None:
    return record.customer_id if record is not None else None


async def _the_keyed_customer(order_owner: OrderOwner, key: tuple[str, Any], _: Any) -> str:
    return key[0]


async def _the_keyed_orders_customer(order_owner: OrderOwner, key: str, _: Any) -> str | None:
    return await order_owner(key)


async def _the_shipped_orders_customer(
    order_owner: OrderOwner, key: str, record: Any
) -> str | None:
    return await order_owner(record.order_ref) if record is not None else None


# The joins (``resolvers.joins``) whose records belong to one customer, and how to tell
# whose a copy is. The rest are nobody's (products, stock, suppliers) or reached only
# below an object the token was shown as its own (a customer's ERP account).
CUSTOMER_OWNED: Mapping[str, CopyOwner] = {
    "customer": _the_customer,
    "order": _the_orders_customer,
    "orders_of_customer": _the_keyed_customer,
    # Keyed by the order id the client gave: orderTracking reads them beside the order.
    "plans_of_order": _the_keyed_orders_customer,
    "invoices_of_order": _the_keyed_orders_customer,
    "shipments_of_order": _the_keyed_orders_customer,
    "shipment_by_tracking_number": _the_shipped_orders_customer,
}


def copy_gate(viewer: Viewer, loaders: Callable[[], Loaders]) -> CacheGate | None:
    """Which cached copies, fresh or stale, the cache may serve ``viewer``
    (``cache.entity_cache``): staff every one (None, at no cost); a customer's token, of a
    customer-owned join, those that are its own by ``visible_to``, so no other
    customer's record and no negative entry (unless its key alone names the token's own
    customer). ``loaders``: the request's current loaders, whose order reads tell an
    order's owner; where the order is the one the request reads anyway (the tracking
    view), that read is shared, so an own copy costs no round trip."""
    if not viewer.is_customer:
        return None

    async def order_owner(order_id: str) -> str | None:
        try:
            order = await loaders().order.load(order_id)
        except SupplyGraphError:
            return None  # its system is down too, and no copy of it is this token's
        return order.customer_id if order is not None else None

    def check_of(join: str) -> CopyCheck | None:
        owner_of = CUSTOMER_OWNED.get(join)
        if owner_of is None:
            return None

        async def its_own(key: Any, value: Any) -> bool:
            return visible_to(viewer, await owner_of(order_owner, key, value))

        return its_own

    return check_of
