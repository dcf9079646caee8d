"""The finance rules on hand-made records: which cost basis wins, what cancelled plans and
purchase orders count, and the one-currency rule (``schema/finance_rules.py``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from core.records import (
    OrderLineRecord,
    OrderPage,
    OrderRecord,
    ProductionRecord,
    ProductRecord,
    PurchaseOrderRecord,
)
from resolvers.fetchers import Fetcher
from resolvers.loaders import Loaders, loader_for
from schema.finance import FinanceGrouping
from schema.finance_rules import CostBasis, CostInputs, line_costs, order_figures
from schema.finance_summary import finance_summary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def line(line_no: int, code: str, quantity: int, price: str) -> OrderLineRecord:
    return OrderLineRecord(line_no, code, quantity, Decimal(price))


def order(order_id: str, *lines: OrderLineRecord, currency: str = "EUR") -> OrderRecord:
    total = sum((item.unit_price * item.quantity for item in lines), Decimal(0))
    return OrderRecord(order_id, "C-1", "confirmed", currency, lines, total, None, T0, T0)


def plan(
    sale_ref: str, code: str, qty: str, cost: str | None, state: str = "done"
) -> ProductionRecord:
    return ProductionRecord(
        1, "MO/1", sale_ref, code, Decimal(qty), state, None, None, None,
        None if cost is None else Decimal(cost),
    )  # fmt: skip


def product(code: str, sku: str | None, standard_cost: str | None) -> ProductRecord:
    cost = None if standard_cost is None else Decimal(standard_cost)
    return ProductRecord(1, code, code, None, cost, "Unit", sku, True)


def purchase_order(sku: str, quantity: int, unit_cost: str, status: str) -> PurchaseOrderRecord:
    return PurchaseOrderRecord("PO-1", "SUP-1", sku, quantity, Decimal(unit_cost), T0, status)


PRODUCTS = {
    "P-MADE": product("P-MADE", "SKU-M", "9.00"),
    "P-BOUGHT": product("P-BOUGHT", "SKU-B", "9.00"),
    "P-STD": product("P-STD", None, "4.00"),
    "P-NONE": product("P-NONE", None, None),
}
PURCHASES = {
    "SKU-M": [purchase_order("SKU-M", 10, "1.00", "open")],
    "SKU-B": [
        purchase_order("SKU-B", 10, "2.00", "received"),
        purchase_order("SKU-B", 30, "3.00", "open"),
        purchase_order("SKU-B", 100, "99.00", "cancelled"),
    ],
}


def test_each_line_takes_the_first_cost_basis_that_applies() -> None:
    sold = order(
        "SO-1",
        line(1, "P-MADE", 2, "20"),
        line(2, "P-BOUGHT", 4, "10"),
        line(3, "P-STD", 1, "10"),
        line(4, "P-NONE", 1, "10"),
    )
    plans = {"SO-1": [plan("SO-1", "P-MADE", "2", "6.50")]}

    costs = line_costs(sold, CostInputs(plans, PRODUCTS, PURCHASES))

    assert [(c.basis, c.cost) for c in costs] == [
        (CostBasis.PRODUCTION_ORDER, Decimal("13.00")),
        # (10 x 2 + 30 x 3) / 40 = 2.75 a piece; the cancelled purchase order counts not.
        (CostBasis.PURCHASE_ORDER, Decimal("11.00")),
        (CostBasis.STANDARD_COST, Decimal("4.00")),
        (CostBasis.UNKNOWN, None),
    ]
    figures = order_figures(sold, costs)
    assert figures.lines_with_unknown_cost == 1 and not figures.complete
    assert figures.cost == Decimal("28.00")


def test_a_cancelled_production_order_costs_nothing_and_does_not_make_the_line_made() -> None:
    sold = order("SO-1", line(1, "P-BOUGHT", 1, "10"), line(2, "P-MADE", 1, "30"))
    plans = {
        "SO-1": [
            plan("SO-1", "P-BOUGHT", "1", "50.00", state="cancel"),
            plan("SO-1", "P-MADE", "1", "7.00", state="cancel"),
            plan("SO-1", "P-MADE", "1", "8.00", state="progress"),
        ]
    }

    costs = line_costs(sold, CostInputs(plans, PRODUCTS, PURCHASES))

    assert [(c.basis, c.cost) for c in costs] == [
        (CostBasis.PURCHASE_ORDER, Decimal("2.75")),
        (CostBasis.PRODUCTION_ORDER, Decimal("8.00")),
    ]


def test_a_made_line_without_a_unit_cost_falls_back_to_standard_cost_not_to_a_purchase() -> None:
    sold = order("SO-1", line(1, "P-MADE", 3, "10"))
    plans = {"SO-1": [plan("SO-1", "P-MADE", "3", None)]}

    [cost] = line_costs(sold, CostInputs(plans, PRODUCTS, PURCHASES))

    assert (cost.basis, cost.cost) == (CostBasis.STANDARD_COST, Decimal("27.00"))


def loader(name: str, answer: Any) -> Any:
    async def fetch(keys: list[Any]) -> dict[Any, Any]:
        return {key: answer(key) for key in keys}

    return loader_for(Fetcher(name, fetch, lambda: None))


def test_a_summary_leaves_out_orders_in_another_currency_and_lists_them() -> None:
    in_euros = order("SO-1", line(1, "P-STD", 1, "10"))
    in_dollars = order("SO-2", line(1, "P-STD", 5, "10"), currency="USD")
    cancelled = replace(order("SO-3", line(1, "P-STD", 1, "10")), status="cancelled")

    async def summarise() -> Any:
        loaders = cast(
            Loaders,
            type("FakeLoaders", (), {
                "order_page": loader("crm.order_page", lambda key: OrderPage(
                    (in_euros, in_dollars, cancelled) if key[3].month == 3 else (), None)),
                "plans_of_order": loader("erp.plans_of_order", lambda key: []),
                "product": loader("erp.product", PRODUCTS.get),
                "purchase_orders_of_sku": loader("scm.purchase_orders_of_sku", lambda key: []),
            })(),
        )  # fmt: skip
        start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
        return await finance_summary(loaders, start, end, FinanceGrouping.MONTH)

    summary = asyncio.run(summarise())

    assert summary.other_currency_orders == ["SO-2"]
    assert summary.cancelled_order_count == 1
    assert summary.total.figures.revenue == Decimal("10")
    assert summary.total.figures.standard_cost == Decimal("4.00")
    assert [group.key for group in summary.groups] == ["2026-03"]


def test_the_finance_of_an_order_in_another_currency_is_refused_not_converted() -> None:
    from gateway.auth import ANONYMOUS_STAFF
    from gateway.settings import Settings
    from schema.build import create_schema
    from schema.context import GatewayContext

    in_dollars = order("SO-9", line(1, "P-STD", 5, "10"), currency="USD")

    async def ask() -> Any:
        loaders = type("FakeLoaders", (), {
            "order": loader("crm.order", lambda key: in_dollars),
            "plans_of_order": loader("erp.plans_of_order", lambda key: []),
            "product": loader("erp.product", PRODUCTS.get),
            "purchase_orders_of_sku": loader("scm.purchase_orders_of_sku", lambda key: []),
        })()  # fmt: skip
        context = GatewayContext(
            config=Settings(auth_disabled=True).schema_config(),
            viewer=ANONYMOUS_STAFF,
            clients=cast(Any, None),
            loaders=cast(Loaders, loaders),
            make_loaders=lambda: cast(Loaders, loaders),
        )
        query = '{ order(id: "SO-9") { id total { currency } finance { profit { amount } } } }'
        return await create_schema().execute(query, context_value=context)

    result = asyncio.run(ask())

    assert result.data == {"order": {"id": "SO-9", "total": {"currency": "USD"}, "finance": None}}
    [error] = result.errors
    assert error.extensions == {"code": "UNSUPPORTED_CURRENCY"}
    assert "USD" in error.message
