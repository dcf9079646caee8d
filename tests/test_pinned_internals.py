"""The private parts of libraries our code leans on are still there, with the shape we use.

pyproject.toml bounds those libraries from above; whoever lifts a bound learns here, with
a message saying what to look at, rather than from a WebSocket that stops answering.
"""

from __future__ import annotations

import inspect

from strawberry.subscriptions.protocols.graphql_transport_ws import handlers


def test_strawberrys_transport_ws_handler_still_has_what_ws_operations_overrides():
    assert hasattr(handlers, "_OperationStreamClosed"), (
        "strawberry no longer has _OperationStreamClosed: review gateway/ws_operations.py"
    )
    base = handlers.BaseGraphQLTransportWSHandler
    for name in ("run_operation", "handle_subscribe", "_send_result_stream", "send_message"):
        assert hasattr(base, name), f"strawberry's handler lost {name}: review ws_operations.py"
    parameters = list(inspect.signature(base.run_operation).parameters)
    assert parameters == ["self", "operation"], (
        f"run_operation now takes {parameters}: review gateway/ws_operations.py"
    )
