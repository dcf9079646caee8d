"""JSON-RPC 2.0 envelopes the way Odoo answers them.

Application errors come with HTTP 200 and ``error.code`` 200 ("Odoo Server Error") and
the exception class in ``error.data.name``; malformed JSON-RPC gets the standard codes.
"""

from __future__ import annotations

from typing import Any, Literal

OdooException = Literal["AccessDenied", "ValidationError", "MissingError"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


def result(request_id: Any, value: Any) -> dict[str, Any]:
    """``value``: records for search_read, ids for create, ``true`` for write."""
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def odoo_error(request_id: Any, exception: OdooException, message: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "error": {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": f"odoo.exceptions.{exception}",
                "message": message,
                "arguments": [message],
            },
        },
    }


def protocol_error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
