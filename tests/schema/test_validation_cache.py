from __future__ import annotations

from graphql import validate

import schema.limits
from schema.build import create_schema


async def test_a_document_is_validated_once_however_often_it_comes(monkeypatch):
    calls: list[object] = []

    def counting_validate(*args, **kwargs):
        calls.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(schema.limits, "validate", counting_validate)
    gateway_schema = create_schema()
    for _ in range(3):
        result = await gateway_schema.execute("{ order(id: 1) { nosuchfield } }")
        assert result.errors is not None
        assert "nosuchfield" in result.errors[0].message
        assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert len(calls) == 1
