"""``financeSummary``: the company's figures over a period, by month, product or customer.

Cost: the period's feed pages (per month, side by side, see ``schema.order_feed``), then
one batch of production orders and products and one of purchase orders
(``schema.finance_inputs``) — a 12-month summary of ~3,600 orders is ~24 CRM pages,
~20 ERP calls and one SCM call, whatever the grouping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.errors import InputValidationError
from core.records import OrderRecord
from resolvers.loaders import Loaders
from schema.finance import FinanceFigures, FinanceGroup, FinanceGrouping, FinanceSummary
from schema.finance_inputs import load_cost_inputs
from schema.finance_rules import (
    CANCELLED_ORDER,
    COMPANY_CURRENCY,
    Figures,
    LineCost,
    line_costs,
)
from schema.order_feed import orders_in_window

# Longer periods are refused: each month is a feed read and every order's joins a batch.
MAX_PERIOD = timedelta(days=731)


def checked_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise InputValidationError("`to` must be after `from`", {"to": "not after from"})
    if end - start > MAX_PERIOD:
        raise InputValidationError(
            f"a summary covers at most {MAX_PERIOD.days} days", {"to": "period too long"}
        )
    return start, end


async def finance_summary(
    loaders: Loaders, start: datetime, end: datetime, group_by: FinanceGrouping
) -> FinanceSummary:
    start, end = checked_period(start, end)
    created = await orders_in_window(loaders, start, end)
    cancelled = [order for order in created if order.status == CANCELLED_ORDER]
    live = [order for order in created if order.status != CANCELLED_ORDER]
    counted = [order for order in live if order.currency == COMPANY_CURRENCY]
    inputs = await load_cost_inputs(loaders, counted)
    total = Figures()
    groups: dict[str, Figures] = {}
    for order in counted:
        lines = line_costs(order, inputs)
        total.add_order(order, lines)
        _add_to_groups(groups, group_by, order, lines)
    return FinanceSummary(
        from_=start,
        to=end,
        group_by=group_by,
        currency=COMPANY_CURRENCY,
        total=FinanceFigures(figures=total),
        groups=[
            FinanceGroup(key=key, figures=FinanceFigures(figures=groups[key]))
            for key in sorted(groups)
        ],
        cancelled_order_count=len(cancelled),
        other_currency_orders=[
            order.id  # type: ignore[misc]
            for order in live
            if order.currency != COMPANY_CURRENCY
        ],
    )


_ORDER_KEYS: dict[FinanceGrouping, Callable[[OrderRecord], str]] = {
    FinanceGrouping.MONTH: lambda order: order.created_at.astimezone(UTC).strftime("%Y-%m"),
    FinanceGrouping.CUSTOMER: lambda order: order.customer_id,
}


def _add_to_groups(
    groups: dict[str, Figures], group_by: FinanceGrouping, order: OrderRecord, lines: list[LineCost]
) -> None:
    if group_by is FinanceGrouping.PRODUCT:
        # Per product, revenue is what its lines sold for.
        for line in lines:
            groups.setdefault(line.line.product_code, Figures()).add_line(order, line)
        return
    groups.setdefault(_ORDER_KEYS[group_by](order), Figures()).add_order(order, lines)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
