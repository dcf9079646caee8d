from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from schema.build import SDL_PATH, create_schema

CONTRACTS = Path(__file__).resolve().parents[2].parent / "shared"


def load_schema_diff() -> ModuleType:
    path = CONTRACTS / "tools" / "schema_diff.py"
    spec = importlib.util.spec_from_file_location("schema_diff", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exported_sdl_is_the_schema_the_gateway_serves():
    assert SDL_PATH.read_text() == create_schema().as_str() + "\n", (
        "schema/schema.graphql is stale: run `supplygraph export-schema`"
    )


def test_exported_sdl_keeps_every_name_and_type_of_the_contract():
    contract = (CONTRACTS / "contracts" / "gateway.graphql").read_text()
    differences = load_schema_diff().differences(SDL_PATH.read_text(), contract)
    assert differences == []
