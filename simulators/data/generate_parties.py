"""Customers (CRM) and their accounts (ERP res.partner)."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from simulators.data import showcase
from simulators.data.catalog import (
    COMPANY_STEMS,
    COMPANY_TRADES,
    FIRST_NAMES,
    LAST_NAMES,
    LEGAL_FORMS,
    PAYMENT_TERMS,
    PHONE_PREFIXES,
    PLACES,
    STREETS,
    Place,
)
from simulators.data.randomness import chance, moment_between, weighted
from simulators.data.records import SEGMENTS, Address, Customer, Invoice, Partner, Segment, Tier

FIRST_ERP_ACCOUNT = 10001
TIER_OPTIONS: tuple[Tier | None, ...] = ("gold", "silver", "bronze", None)
TIER_WEIGHTS: dict[Segment, tuple[int, ...]] = {
    "enterprise": (50, 35, 10, 5),
    "smb": (10, 35, 35, 20),
    "consumer": (0, 5, 25, 70),
}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _company_name(rng: random.Random, place: Place, taken: set[str]) -> str:
    for _ in range(20):
        name = (
            f"{rng.choice(COMPANY_STEMS)} {rng.choice(COMPANY_TRADES)} {LEGAL_FORMS[place.country]}"
        )
        if name not in taken:
            return name
    return f"{rng.choice(COMPANY_STEMS)} {place.city} {LEGAL_FORMS[place.country]} {len(taken)}"


def _phone(rng: random.Random, country: str) -> str:
    return f"{PHONE_PREFIXES[country]} {rng.randint(20, 89)} {rng.randint(1000000, 9999999)}"


def generate_customers(rng: random.Random, count: int, now: datetime) -> list[Customer]:
    """Customers with created_at as a first guess; orders may pull it earlier later."""
    taken_names: set[str] = set()
    customers: list[Customer] = []
    next_account = FIRST_ERP_ACCOUNT
    for index in range(1, count + 1):
        customer_id = f"C-{index:06d}"
        segment = weighted(rng, SEGMENTS, (20, 45, 35))
        place = rng.choice(PLACES)
        if segment == "consumer":
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first} {last}"
            email = f"{_slug(first)}.{_slug(last)}{index}@mail.example"
        else:
            name = _company_name(rng, place, taken_names)
            email = f"purchasing@{_slug(name)[:24]}.example"
        taken_names.add(name)
        address = Address(
            street=f"{rng.choice(STREETS[place.country])} {rng.randint(1, 180)}",
            city=place.city,
            postal_code=place.postal_code,
            country=place.country,
        )
        has_account = customer_id != showcase.CUSTOMER_WITHOUT_ERP_ACCOUNT and (
            customer_id in (showcase.CUSTOMER_COMPLETE, showcase.CUSTOMER_SPARSE)
            or not chance(rng, 0.10)
        )
        erp_account = f"K{next_account}" if has_account else None
        next_account += 1 if has_account else 0
        created_at = moment_between(rng, now - timedelta(days=6 * 365), now - timedelta(days=60))
        customers.append(
            Customer(
                id=customer_id,
                name=name,
                email=None if chance(rng, 0.05) else email,
                phone=None if chance(rng, 0.10) else _phone(rng, place.country),
                segment=segment,
                tier=weighted(rng, TIER_OPTIONS, TIER_WEIGHTS[segment]),
                erp_account=erp_account,
                shipping_address=None if chance(rng, 0.06) else address,
                created_at=created_at,
                updated_at=created_at,
            )
        )
    _force_showcase_customers(rng, {c.id: c for c in customers})
    return customers


def _force_showcase_customers(rng: random.Random, customers: dict[str, Customer]) -> None:
    complete = customers[showcase.CUSTOMER_COMPLETE]
    if complete.segment == "consumer":
        complete.name = "Nordwerk Wasserwerke GmbH"
        complete.email = "purchasing@nordwerk.example"
    complete.segment, complete.tier = "enterprise", "gold"
    if complete.shipping_address is None:
        complete.shipping_address = Address("Hafenstraße 12", "Hamburg", "20095", "DE")
    complete.email = complete.email or "purchasing@nordwerk.example"
    complete.phone = complete.phone or _phone(rng, "DE")
    sparse = customers[showcase.CUSTOMER_SPARSE]
    sparse.email = sparse.phone = sparse.tier = sparse.shipping_address = None


def settle_customer_dates(
    rng: random.Random,
    customers: list[Customer],
    first_order_at: dict[str, datetime],
    now: datetime,
) -> None:
    """A customer exists before its first order and was last touched some time after."""
    for customer in customers:
        first = first_order_at.get(customer.id)
        if first is not None and customer.created_at > first:
            customer.created_at = first - timedelta(days=rng.randint(1, 90))
        customer.updated_at = moment_between(rng, customer.created_at, now)


def generate_partners(
    rng: random.Random, customers: list[Customer], invoices: list[Invoice]
) -> list[Partner]:
    """One res.partner per CRM customer with an erp_account; balance from open invoices."""
    balance: dict[str, float] = {}
    for invoice in invoices:
        if invoice.state == "posted" and invoice.partner_ref is not None:
            balance[invoice.partner_ref] = balance.get(invoice.partner_ref, 0.0) + (
                invoice.amount_residual
            )
    partners: list[Partner] = []
    for customer in customers:
        if customer.erp_account is None:
            continue
        limits = {
            "enterprise": (250000.0, 500000.0, 1000000.0),
            "smb": (25000.0, 50000.0, 100000.0),
            "consumer": (2000.0, 5000.0),
        }[customer.segment]
        partners.append(
            Partner(
                id=len(partners) + 1,
                ref=customer.erp_account,
                name=customer.name,
                credit_limit=None if chance(rng, 0.08) else rng.choice(limits),
                balance_due=round(balance.get(customer.erp_account, 0.0), 2),
                payment_terms=None if chance(rng, 0.05) else PAYMENT_TERMS[customer.segment],
            )
        )
    return partners
