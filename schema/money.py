"""Money: a decimal string and its currency, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import strawberry

CENT = Decimal("0.01")


@strawberry.type(
    description="A decimal amount as a string (no floats for money) and its ISO 4217 currency."
)
class Money:
    amount: str
    currency: str


def money(amount: Decimal | None, currency: str) -> Money | None:
    """Money rounded to cents, or None when the amount is unknown."""
    if amount is None:
        return None
    return Money(amount=str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN)), currency=currency)


def required_money(amount: Decimal, currency: str) -> Money:
    return Money(amount=str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN)), currency=currency)
