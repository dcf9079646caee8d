"""A query text is parsed once per schema; texts that fail to parse are never kept."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

import schema.parse_cache
from schema.build import create_schema


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(source: str, **options: Any) -> Any:
        calls.append(source)
        return parse(source, **options)

    monkeypatch.setattr(schema.parse_cache, "parse", counting)
    return calls


async def test_the_same_query_text_is_parsed_once(parse_calls: list[str]) -> None:
    gateway_schema = create_schema()

    for _ in range(3):
        result = await gateway_schema.execute("{ __typename }")
        assert result.data == {"__typename": "Query"}

    assert parse_calls == ["{ __typename }"]


async def test_a_text_that_fails_to_parse_is_reported_each_time_with_its_code(
    parse_calls: list[str],
) -> None:
    gateway_schema = create_schema()

    for _ in range(2):
        result = await gateway_schema.execute("{ broken")
        assert result.errors is not None
        [error] = result.errors
        assert error.message.startswith("Syntax Error")

    assert parse_calls == ["{ broken", "{ broken"]
