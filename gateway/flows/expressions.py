"""The small, safe expression language of flow definitions: JSON in, values out.

No Python is evaluated. A value is

    "$a.b.c"                    a path into the scope (event, data, item, key, let names);
                                a missing step gives null
    {"concat": [v, …]}          the values as text, joined
    {"add": [v, …]} {"sub": [a, b]} {"max": [v, …]} {"min": [v, …]}   integers
    {"sum": {"of": v, "field": "quantity", "where": c}}   over a list (``$it`` each element)
    {"first": {"of": v, "where": c}}                      the first element that holds, or null
    {"if": [c, a, b]}
    anything else               itself (numbers, strings not starting with $, lists, null)

and a condition is

    {"all": [c, …]} {"any": [c, …]} {"not": c} {"exists": v}
    {"eq"|"ne"|"gt"|"ge"|"lt"|"le"|"in": [a, b]}

Comparisons of mismatched types (a number with null, say) are false, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Scope = Mapping[str, Any]

_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le", "in"}
_CONNECTIVES = {"all", "any", "not", "exists"}
_OPERATORS = {"concat", "add", "sub", "max", "min", "sum", "first", "if"}


class ExpressionError(ValueError):
    """A definition that is not of the language (found when flows are loaded)."""


def lookup(path: str, scope: Scope) -> Any:
    value: Any = scope
    for step in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def evaluate(expression: Any, scope: Scope) -> Any:
    if isinstance(expression, str) and expression.startswith("$"):
        return lookup(expression[1:], scope)
    if isinstance(expression, dict) and len(expression) == 1:
        [(operator, operand)] = expression.items()
        if operator in _OPERATORS:
            return _operate(operator, operand, scope)
        if operator in _COMPARISONS | _CONNECTIVES:
            # A condition is a value too: true or false (e.g. bound under ``let``).
            return holds(expression, scope)
    if isinstance(expression, dict):
        return {name: evaluate(value, scope) for name, value in expression.items()}
    return expression


def _numbers(operands: Any, scope: Scope) -> list[int]:
    values = [evaluate(operand, scope) for operand in operands]
    return [int(value) for value in values if isinstance(value, int | float)]


def _operate(operator: str, operand: Any, scope: Scope) -> Any:
    if operator == "concat":
        return "".join("" if v is None else str(evaluate(v, scope)) for v in operand)
    if operator == "add":
        return sum(_numbers(operand, scope))
    if operator == "sub":
        first, second = (evaluate(value, scope) for value in operand)
        return int(first or 0) - int(second or 0)
    if operator in ("max", "min"):
        numbers = _numbers(operand, scope)
        return (max if operator == "max" else min)(numbers) if numbers else None
    if operator == "if":
        condition, then, otherwise = operand
        return evaluate(then if holds(condition, scope) else otherwise, scope)
    elements = evaluate(operand.get("of"), scope)
    chosen = [
        element
        for element in (elements if isinstance(elements, list) else [])
        if "where" not in operand or holds(operand["where"], {**scope, "it": element})
    ]
    if operator == "first":
        return chosen[0] if chosen else None
    field = operand.get("field")
    values = [lookup(field, element) if field else element for element in chosen]
    return sum(int(value) for value in values if isinstance(value, int | float))


def holds(condition: Any, scope: Scope) -> bool:
    if not (isinstance(condition, dict) and len(condition) == 1):
        raise ExpressionError(f"a condition is an object with one operator, got {condition!r}")
    [(operator, operand)] = condition.items()
    if operator == "all":
        return all(holds(part, scope) for part in operand)
    if operator == "any":
        return any(holds(part, scope) for part in operand)
    if operator == "not":
        return not holds(operand, scope)
    if operator == "exists":
        return evaluate(operand, scope) is not None
    if operator not in _COMPARISONS:
        raise ExpressionError(f"unknown condition operator {operator!r}")
    left, right = (evaluate(value, scope) for value in operand)
    try:
        if operator == "eq":
            return bool(left == right)
        if operator == "ne":
            return bool(left != right)
        if operator == "in":
            # Ids come as numbers from one system and as ID strings from the graph.
            return isinstance(right, list) and str(left) in {str(value) for value in right}
        if left is None or right is None:
            return False
        return bool(
            {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[
                operator
            ]
        )
    except TypeError:
        return False


def check_condition(condition: Any, where: str) -> None:
    """Refuses, at load time, a condition using an operator the language lacks."""
    if not (isinstance(condition, dict) and len(condition) == 1):
        raise ExpressionError(f"{where}: a condition is an object with one operator")
    [(operator, operand)] = condition.items()
    if operator in ("all", "any"):
        for index, part in enumerate(operand):
            check_condition(part, f"{where}.{operator}[{index}]")
    elif operator == "not":
        check_condition(operand, f"{where}.not")
    elif operator not in _COMPARISONS | _CONNECTIVES:
        raise ExpressionError(f"{where}: unknown condition operator {operator!r}")
    elif operator in _COMPARISONS and not (isinstance(operand, list) and len(operand) == 2):
        raise ExpressionError(f"{where}: {operator} takes two values")
