"""Customers (CRM) and their ERP accounts."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from core.records import Address as AddressRecord
from core.records import CustomerRecord, OrderRecord, PartnerRecord
from resolvers.loaders import Ready
from schema.context import Info
from schema.money import Money, money

if TYPE_CHECKING:
    from schema.orders import Order, OrderStatus


@strawberry.enum
class CustomerSegment(Enum):
    ENTERPRISE = "enterprise"
    SMB = "smb"
    CONSUMER = "consumer"


@strawberry.type
class Address:
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None

    @classmethod
    def from_record(cls, record: AddressRecord) -> Address:
        return cls(
            street=record.street,
            city=record.city,
            postal_code=record.postal_code,
            country=record.country,
        )


@strawberry.type
class CustomerAccount:
    """The customer's ERP ``res.partner``."""

    record: strawberry.Private[PartnerRecord]
    currency: strawberry.Private[str]

    @strawberry.field
    def number(self) -> str:
        return self.record.ref

    @strawberry.field
    def credit_limit(self) -> Money | None:
        return money(self.record.credit_limit, self.currency)

    @strawberry.field
    def balance_due(self) -> Money | None:
        return money(self.record.balance_due, self.currency)

    @strawberry.field
    def payment_terms(self) -> str | None:
        return self.record.payment_terms


@strawberry.type
class Customer:
    record: strawberry.Private[CustomerRecord]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.id)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def email(self) -> str | None:
        return self.record.email

    @strawberry.field
    def phone(self) -> str | None:
        return self.record.phone

    @strawberry.field
    def segment(self) -> CustomerSegment:
        return CustomerSegment(self.record.segment)

    @strawberry.field
    def tier(self) -> str | None:
        return self.record.tier

    @strawberry.field
    def shipping_address(self) -> Address | None:
        address = self.record.shipping_address
        return Address.from_record(address) if address is not None else None

    @strawberry.field
    def erp_account(self) -> str | None:
        return self.record.erp_account

    @strawberry.field(
        graphql_type=CustomerAccount | None, description="ERP res.partner where ref = erpAccount"
    )
    def account(self, info: Info) -> Ready[CustomerAccount | None]:
        if not self.record.erp_account:
            return None
        currency = info.context.config.erp_currency

        def build(partner: PartnerRecord | None) -> CustomerAccount | None:
            return CustomerAccount(record=partner, currency=currency) if partner else None

        return info.context.loaders.account.build_now(self.record.erp_account, build)

    @strawberry.field(
        graphql_type=list[Annotated["Order", strawberry.lazy("schema.orders")]] | None,
        description="CRM orders of this customer, newest first",
    )
    def orders(
        self,
        info: Info,
        status: Annotated["OrderStatus", strawberry.lazy("schema.orders")] | None = None,
        first: int | None = 50,
    ) -> Ready[list[Order]]:
        from schema.orders import Order

        def build(records: list[OrderRecord]) -> list[Order]:
            if first is not None:
                records = records[: max(first, 0)]
            return [Order(record=record) for record in records]

        key = (self.record.id, status.value if status is not None else None)
        return info.context.loaders.orders_of_customer.build_now(key, build)

    @strawberry.field(
        graphql_type=Money | None,
        description="Sum of the totals of the customer's orders that are not cancelled",
    )
    def lifetime_value(self, info: Info) -> Ready[Money | None]:
        currency = info.context.config.erp_currency
        loader = info.context.loaders.orders_of_customer
        return loader.build_now(
            (self.record.id, None), lambda records: lifetime_value(records, currency)
        )


def lifetime_value(records: list[OrderRecord], default_currency: str) -> Money | None:
    counted = [record for record in records if record.status != "cancelled"]
    currencies = {record.currency for record in counted}
    if len(currencies) > 1:
        # Adding euros to dollars would be a wrong number; no number is better.
        return None
    currency = currencies.pop() if currencies else default_currency
    return money(sum((record.total for record in counted), Decimal(0)), currency)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
