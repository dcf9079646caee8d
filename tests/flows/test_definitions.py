"""Flows as data: the expression language, and definitions checked when they are loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigurationError
from gateway.flows.definitions import load_flows
from gateway.flows.expressions import evaluate, holds
from schema.build import create_schema

SCOPE: dict[str, Any] = {
    "event": {"data": {"ids": [7, 8]}},
    "item": {
        "id": "7",
        "quantity": 12,
        "reference": "MO/1",
        "orders": [
            {"id": "PO-1", "quantity": 5, "reference": "MO/1"},
            {"id": "PO-2", "quantity": 3, "reference": "MO/2"},
        ],
    },
}


def test_values_are_paths_literals_and_a_few_operators_never_python() -> None:
    assert evaluate("$item.quantity", SCOPE) == 12
    assert evaluate("$item.missing.deeper", SCOPE) is None
    assert evaluate({"concat": ["$item.reference", "/", 1]}, SCOPE) == "MO/1/1"
    assert evaluate({"sub": ["$item.quantity", 5]}, SCOPE) == 7
    assert evaluate({"max": [0, {"sub": [1, "$item.quantity"]}]}, SCOPE) == 0
    assert (
        evaluate(
            {
                "sum": {
                    "of": "$item.orders",
                    "field": "quantity",
                    "where": {"ne": ["$it.reference", "$item.reference"]},
                }
            },
            SCOPE,
        )
        == 3
    )
    mine = {"first": {"of": "$item.orders", "where": {"eq": ["$it.reference", "MO/1"]}}}
    assert evaluate(mine, SCOPE)["id"] == "PO-1"
    assert evaluate("__import__('os').system('true')", SCOPE) == "__import__('os').system('true')"


def test_conditions_compare_without_failing_on_mismatched_types() -> None:
    assert holds({"in": ["$item.id", "$event.data.ids"]}, SCOPE), "ids as text or numbers"
    assert not holds({"gt": ["$item.missing", 3]}, SCOPE)
    assert not holds({"lt": ["$item.reference", 3]}, SCOPE)
    assert holds({"all": [{"exists": "$item"}, {"not": {"exists": "$item.missing"}}]}, SCOPE)


def flows_file(tmp_path: Path, flows: list[dict[str, Any]]) -> str:
    path = tmp_path / "flows.json"
    path.write_text(json.dumps({"flows": flows}))
    return str(path)


EXTRA = {
    "name": "stock-watch",
    "trigger": {"system": "scm", "events": ["stock.changed"]},
    "read": {"query": "query($sku: String!) { purchaseOrders(skus: [$sku]) { id } }"},
    "actions": [],
}


def test_gateway_flows_adds_flows_from_a_file_beside_the_shipped_three(tmp_path: Path) -> None:
    schema = create_schema()._schema
    names = [flow.name for flow in load_flows(schema, flows_file(tmp_path, [EXTRA]))]
    assert names == [
        "order-to-production",
        "production-to-purchasing",
        "receipt-to-stock",
        "stock-watch",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"read": {"query": "{ nosuchfield }"}}, "stock-watch.read: Cannot query field"),
        ({"read": {"query": "query {"}}, "stock-watch.read: Syntax Error"),
        (
            {"actions": [{"when": {"like": [1, 2]}, "mutation": "mutation { __typename }"}]},
            "unknown condition operator 'like'",
        ),
        ({"trigger": {"system": "scm"}}, "stock-watch: `events` is missing"),
    ],
)
def test_a_broken_flow_definition_stops_start_up_naming_the_flow(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    schema = create_schema()._schema
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        load_flows(schema, flows_file(tmp_path, [{**EXTRA, **change}]))


def test_a_missing_flows_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_FLOWS="):
        load_flows(create_schema()._schema, str(tmp_path / "nope.json"))
