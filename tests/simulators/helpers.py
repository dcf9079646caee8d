"""Request helpers for the ERP's JSON-RPC and the SCM's GraphQL."""

from __future__ import annotations

import re
from typing import Any

import httpx

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ODOO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ODOO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def rpc(erp: httpx.Client, params: dict[str, Any], **headers: str) -> dict[str, Any]:
    """One JSON-RPC call; the whole envelope (result or error)."""
    body = {"jsonrpc": "2.0", "id": 7, "method": "call", "params": params}
    response = erp.post("/jsonrpc", json=body, headers=headers)
    assert response.status_code == 200, response.text
    envelope: dict[str, Any] = response.json()
    return envelope


def search_read(erp: httpx.Client, model: str, domain: list[Any], **options: Any) -> list[Any]:
    envelope = rpc(erp, {"model": model, "method": "search_read", "domain": domain, **options})
    assert "result" in envelope, envelope
    records: list[Any] = envelope["result"]
    return records


def odoo_exception(envelope: dict[str, Any]) -> str:
    assert envelope["error"]["code"] == 200
    assert envelope["error"]["message"] == "Odoo Server Error"
    name: str = envelope["error"]["data"]["name"]
    return name


def gql(scm: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = scm.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
