"""``create`` and ``write`` (contract version 2): check every value, then change the data.

A call is all or nothing, as in one Odoo transaction: every value is checked before
anything is created or written. Mistakes raise ``InvalidWrite`` (a ValidationError),
unknown ids ``MissingRecords`` (a MissingError). ``origin`` is an idempotency key: a
``create`` whose origin is already on that model answers the existing id, creates
nothing and announces nothing.

What may be created and written, and how each value is checked, is the tables
``CREATE_FIELDS``, ``REQUIRED_ON_CREATE`` and ``WRITE_FIELDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.data.dataset import Dataset
from simulators.data.records import ProductionPlan, StockMove

MAX_CREATE_VALUES = 100
PRODUCTION = "mrp.production"
STOCK_MOVE = "stock.move"
# A production order given no finish date is planned to take this long.
DEFAULT_PRODUCTION_DAYS = 3
CANCELLABLE_STATES = ("draft", "confirmed")
FINISHED_STATES = ("done", "cancel")


class InvalidWrite(ValueError):
    pass


class MissingRecords(LookupError):
    pass


Parser = Callable[[Dataset, str, Any], Any]


def _text(_dataset: Dataset, name: str, raw: Any) -> str | None:
    if raw is False or raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidWrite(f"{name} must be a non-empty string or false, got {raw!r}")
    return raw


def _product_code(dataset: Dataset, name: str, raw: Any) -> str:
    if not isinstance(raw, str) or raw not in dataset.products:
        raise InvalidWrite(f"{name}: no product.product with default_code {raw!r}")
    return raw


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def _positive(_dataset: Dataset, name: str, raw: Any) -> float:
    number = _number(raw)
    if number is None or number <= 0:
        raise InvalidWrite(f"{name} must be a number above 0, got {raw!r}")
    return number


def _nonzero(_dataset: Dataset, name: str, raw: Any) -> float:
    number = _number(raw)
    if number is None or number == 0:
        raise InvalidWrite(f"{name} must be a number other than 0 (in > 0, out < 0), got {raw!r}")
    return number


def _datetime(_dataset: Dataset, name: str, raw: Any) -> datetime:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidWrite(f"{name} must be 'YYYY-MM-DD HH:MM:SS' (UTC), got {raw!r}") from error


def _cancel(_dataset: Dataset, name: str, raw: Any) -> str:
    if raw != "cancel":
        raise InvalidWrite(f"{name} can only be written as 'cancel', got {raw!r}")
    return "cancel"


CREATE_FIELDS: Mapping[str, Mapping[str, Parser]] = {
    PRODUCTION: {
        "sale_ref": _text,
        "product_code": _product_code,
        "product_qty": _positive,
        "date_planned_start": _datetime,
        "date_planned_finished": _datetime,
        "origin": _text,
    },
    STOCK_MOVE: {
        "product_code": _product_code,
        "quantity": _nonzero,
        "origin": _text,
        "date": _datetime,
        "reference": _text,
    },
}
REQUIRED_ON_CREATE: Mapping[str, tuple[str, ...]] = {
    PRODUCTION: ("product_code", "product_qty"),
    STOCK_MOVE: ("product_code", "quantity"),
}
WRITE_FIELDS: Mapping[str, Mapping[str, Parser]] = {
    PRODUCTION: {
        "product_qty": _positive,
        "date_planned_start": _datetime,
        "date_planned_finished": _datetime,
        "state": _cancel,
    },
}


def can_create(model: str) -> bool:
    return model in CREATE_FIELDS


def can_write(model: str) -> bool:
    return model in WRITE_FIELDS


def _checked(
    dataset: Dataset, model: str, parsers: Mapping[str, Parser], raw: Any
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidWrite(f"values must be an object of field: value, got {raw!r}")
    unknown = [name for name in raw if name not in parsers]
    if unknown:
        raise InvalidWrite(f"Invalid field(s) {', '.join(map(str, unknown))} on model {model!r}")
    return {name: parsers[name](dataset, name, value) for name, value in raw.items()}


def _check_dates(start: datetime, finished: datetime) -> None:
    if finished < start:
        raise InvalidWrite("date_planned_finished must not be before date_planned_start")


@dataclass
class WriteOutcome:
    """What a call answers and what it changed, for the webhooks."""

    result: Any
    sale_refs: set[str] = field(default_factory=set)  # of production orders changed
    production_ids: list[int] = field(default_factory=list)
    product_codes: set[str] = field(default_factory=set)  # of stock moves created
    move_ids: list[int] = field(default_factory=list)


def run_create(dataset: Dataset, model: str, params: dict[str, Any], now: datetime) -> WriteOutcome:
    raw_values = params.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        raise InvalidWrite("values must be a non-empty list of objects")
    if len(raw_values) > MAX_CREATE_VALUES:
        raise InvalidWrite(f"Too many values to create: {len(raw_values)} > {MAX_CREATE_VALUES}")
    parsers = CREATE_FIELDS[model]
    checked = [_checked(dataset, model, parsers, raw) for raw in raw_values]
    for values in checked:
        missing = [name for name in REQUIRED_ON_CREATE[model] if name not in values]
        if missing:
            raise InvalidWrite(f"Missing required field(s) {', '.join(missing)} on {model!r}")
        if model == PRODUCTION and "date_planned_start" in values:
            finished = values.get("date_planned_finished", values["date_planned_start"])
            _check_dates(values["date_planned_start"], finished)
    outcome = WriteOutcome(result=[])
    create = _create_production if model == PRODUCTION else _create_move
    for values in checked:
        outcome.result.append(create(dataset, values, now, outcome))
    return outcome


def _create_production(
    dataset: Dataset, values: dict[str, Any], now: datetime, outcome: WriteOutcome
) -> int:
    origin = values.get("origin")
    existing = None if origin is None else dataset.productions_by_origin.get(origin)
    if existing is not None:
        return existing.id
    start = values.get("date_planned_start", now)
    plan_id = dataset.next_production_id()
    plan = ProductionPlan(
        id=plan_id,
        name=f"MO/{plan_id:05d}",
        sale_ref=values.get("sale_ref"),
        product_code=values["product_code"],
        product_qty=values["product_qty"],
        state="confirmed",
        date_planned_start=start,
        date_planned_finished=values.get(
            "date_planned_finished", start + timedelta(days=DEFAULT_PRODUCTION_DAYS)
        ),
        workcenter=None,
        unit_cost=dataset.products[values["product_code"]].standard_cost,
        origin=origin,
    )
    dataset.add_production(plan)
    _changed_production(plan, outcome)
    return plan_id


def _create_move(
    dataset: Dataset, values: dict[str, Any], now: datetime, outcome: WriteOutcome
) -> int:
    origin = values.get("origin")
    existing = None if origin is None else dataset.stock_moves_by_origin.get(origin)
    if existing is not None:
        return existing.id
    move = StockMove(
        id=dataset.next_stock_move_id(),
        product_code=values["product_code"],
        quantity=values["quantity"],
        origin=origin,
        date=values.get("date", now),
        reference=values.get("reference"),
    )
    dataset.add_stock_move(move)
    outcome.product_codes.add(move.product_code)
    outcome.move_ids.append(move.id)
    return move.id


def _changed_production(plan: ProductionPlan, outcome: WriteOutcome) -> None:
    outcome.production_ids.append(plan.id)
    if plan.sale_ref is not None:
        outcome.sale_refs.add(plan.sale_ref)


def run_write(dataset: Dataset, model: str, params: dict[str, Any]) -> WriteOutcome:
    ids = params.get("ids")
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        raise InvalidWrite("ids must be a list of integer ids")
    values = _checked(dataset, model, WRITE_FIELDS[model], params.get("values"))
    unique_ids = list(dict.fromkeys(ids))
    missing = [i for i in unique_ids if i not in dataset.productions_by_id]
    if missing:
        raise MissingRecords(
            f"Record does not exist or has been deleted. (Record: {model}{tuple(missing)!r})"
        )
    plans = [dataset.productions_by_id[i] for i in unique_ids]
    for plan in plans:
        if "state" in values and plan.state not in CANCELLABLE_STATES:
            raise InvalidWrite(f"{plan.name} is {plan.state}: only draft or confirmed can cancel")
        if set(values) - {"state"} and plan.state in FINISHED_STATES:
            raise InvalidWrite(f"{plan.name} is {plan.state}: its quantity and dates are final")
        _check_dates(
            values.get("date_planned_start", plan.date_planned_start),
            values.get("date_planned_finished", plan.date_planned_finished),
        )
    outcome = WriteOutcome(result=True)
    if not values:
        return outcome
    for plan in plans:
        for name, value in values.items():
            setattr(plan, name, value)
        _changed_production(plan, outcome)
    return outcome
