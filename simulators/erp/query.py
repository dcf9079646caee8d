"""``search_read``: parse and check a domain, fields, order, limit and offset, then run it.

Every mistake in a request raises ``InvalidQuery`` (the app answers a ValidationError).
Comparisons are strict about types (see ``match_key``), so ``0`` does not match ``false``
and ``1`` does not match ``true`` as they would with plain Python equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.data.dataset import Dataset
from simulators.erp.models import ErpModel, odoo_value

MAX_IN_VALUES = 200
MAX_LIMIT = 500
OPERATORS = ("=", "!=", "in")
Scalar = (str, int, float, bool)
MatchKey = tuple[str, Any]


class InvalidQuery(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    field: str
    operator: str
    # match_key() of the value: one for "=" and "!=", each listed one for "in".
    keys: frozenset[MatchKey]


@dataclass(frozen=True)
class SearchRead:
    terms: tuple[Term, ...]
    fields: tuple[str, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    limit: int | None
    offset: int


def largest_in_term(domain: Any) -> int:
    """The batch size a call stands for: values of its largest ``in`` term, else 1."""
    sizes = [
        len(term[2])
        for term in (domain if isinstance(domain, list) else [])
        if isinstance(term, list | tuple)
        and len(term) == 3
        and term[1] == "in"
        and isinstance(term[2], list | tuple)
    ]
    return max(sizes, default=1)


def _normalise(value: Any) -> Any:
    return False if value is None else value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, Scalar)


def _parse_term(model: ErpModel, raw: Any) -> Term:
    if not isinstance(raw, list | tuple) or len(raw) != 3:
        raise InvalidQuery(f"Invalid domain term {raw!r}: expected [field, operator, value]")
    field, operator, value = raw
    if field not in model.all_fields:
        raise InvalidQuery(f"Invalid field {field!r} on model {model.name!r}")
    if operator not in OPERATORS:
        raise InvalidQuery(f"Invalid operator {operator!r}; supported: {', '.join(OPERATORS)}")
    if operator == "in":
        if not isinstance(value, list | tuple) or not all(_is_scalar(v) for v in value):
            raise InvalidQuery(f"The value of 'in' on {field!r} must be a list of values")
        if len(value) > MAX_IN_VALUES:
            raise InvalidQuery(
                f"Too many values for 'in' on {field!r}: {len(value)} > {MAX_IN_VALUES}"
            )
        return Term(field, operator, frozenset(match_key(_normalise(v)) for v in value))
    if not _is_scalar(value):
        raise InvalidQuery(f"The value of {operator!r} on {field!r} must be a single value")
    return Term(field, operator, frozenset({match_key(_normalise(value))}))


def _parse_fields(model: ErpModel, raw: Any) -> tuple[str, ...]:
    if raw is None or raw is False or raw == []:
        return model.all_fields
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise InvalidQuery("fields must be a list of field names")
    unknown = [f for f in raw if f not in model.all_fields]
    if unknown:
        raise InvalidQuery(f"Invalid field(s) {', '.join(unknown)} on model {model.name!r}")
    # Odoo always answers the id, first.
    return ("id", *dict.fromkeys(f for f in raw if f != "id"))


def _parse_order(model: ErpModel, raw: Any) -> tuple[tuple[str, bool], ...]:
    if raw is None or raw is False or raw == "":
        return (("id", False),)
    if not isinstance(raw, str):
        raise InvalidQuery("order must be a string such as 'id asc'")
    keys: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise InvalidQuery(f"Invalid order {raw!r}")
        if words[0] not in model.all_fields:
            raise InvalidQuery(f"Invalid field {words[0]!r} in order on model {model.name!r}")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return tuple(keys)


def _parse_count(raw: Any, name: str, maximum: int | None) -> int | None:
    if raw is None or raw is False:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidQuery(f"{name} must be a non-negative integer")
    if maximum is not None and raw > maximum:
        raise InvalidQuery(f"{name} must be at most {maximum}, got {raw}")
    return raw


def parse_search_read(model: ErpModel, params: dict[str, Any]) -> SearchRead:
    domain = params.get("domain", [])
    if domain is None or domain is False:
        domain = []
    if not isinstance(domain, list):
        raise InvalidQuery("domain must be a list of terms")
    limit = _parse_count(params.get("limit"), "limit", MAX_LIMIT)
    return SearchRead(
        terms=tuple(_parse_term(model, term) for term in domain),
        fields=_parse_fields(model, params.get("fields")),
        order=_parse_order(model, params.get("order")),
        # Odoo reads limit 0 as "no limit", like an omitted one.
        limit=limit or None,
        offset=_parse_count(params.get("offset"), "offset", None) or 0,
    )


def match_key(value: Any) -> MatchKey:
    """A hashable key equal only for values Odoo treats as equal: bools stay apart from
    numbers, and ints equal floats of the same value."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)


def _matches(record: Any, term: Term) -> bool:
    found = match_key(odoo_value(record, term.field)) in term.keys
    return not found if term.operator == "!=" else found


def _sort_key(model: ErpModel, field: str) -> Any:
    def key(record: Any) -> tuple[bool, Any]:
        value = odoo_value(record, field)
        # Like PostgreSQL: empty values sort last ascending, first descending.
        empty = value is False and field not in model.boolean_fields
        return (empty, "" if empty else value)

    return key


def _candidates(model: ErpModel, dataset: Dataset, terms: tuple[Term, ...]) -> list[Any]:
    """Every record that may match: via the model's index when a term allows, in id order."""
    for term in terms:
        if model.lookup is None or term.field != model.key_field or term.operator == "!=":
            continue
        if any(kind != "str" for kind, _ in term.keys):
            continue  # e.g. "= false": only a scan finds empty values
        lookup = model.lookup
        found = {id(r): r for _, value in term.keys for r in lookup(dataset, value)}
        return sorted(found.values(), key=lambda record: record.id)
    return list(model.records(dataset))


def run_search_read(model: ErpModel, dataset: Dataset, query: SearchRead) -> list[dict[str, Any]]:
    candidates = _candidates(model, dataset, query.terms)
    matching = [r for r in candidates if all(_matches(r, term) for term in query.terms)]
    # Stable sorts from the least significant key up give a multi-key order.
    for field, descending in reversed(query.order):
        matching.sort(key=_sort_key(model, field), reverse=descending)
    end = None if query.limit is None else query.offset + query.limit
    return [
        {field: odoo_value(record, field) for field in query.fields}
        for record in matching[query.offset : end]
    ]
