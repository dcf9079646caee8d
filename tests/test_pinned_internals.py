"""The private parts of libraries our code leans on are still there, with the shape we use.

pyproject.toml bounds those libraries from above; whoever lifts a bound learns here, with
a message saying what to look at, rather than from a WebSocket that stops answering.
"""

from __future__ import annotations

import asyncio
import inspect

import aiodataloader
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


async def test_aiodataloader_still_calls_and_exports_what_request_loader_builds_on():
    for name in ("Loader", "dispatch_queue_batch"):
        assert hasattr(aiodataloader, name), (
            f"aiodataloader no longer has {name}: review RequestLoader in resolvers/loaders.py"
        )
    assert aiodataloader.Loader._fields == ("key", "future"), (
        "aiodataloader's Loader changed shape: review RequestLoader.do_resolve_reject"
    )
    parameters = list(inspect.signature(aiodataloader.dispatch_queue_batch).parameters)
    assert parameters == ["loader", "queue"], (
        f"dispatch_queue_batch now takes {parameters}: review RequestLoader._dispatch"
    )
    constructor = inspect.signature(aiodataloader.DataLoader.__init__).parameters
    assert {"cache_map", "loop"} <= set(constructor), (
        "DataLoader no longer takes cache_map and loop: review RequestLoader.__init__"
    )

    # load() hands each new key to do_resolve_reject and memoises it in cache_map.
    handed: list[object] = []
    memo: dict[str, asyncio.Future[str]] = {}
    batches: list[asyncio.Task[None]] = []

    class Recording(aiodataloader.DataLoader[str, str]):
        def do_resolve_reject(self, key: str, future: asyncio.Future[str]) -> None:
            handed.append(key)
            waiting = [aiodataloader.Loader(key=key, future=future)]
            batches.append(asyncio.ensure_future(aiodataloader.dispatch_queue_batch(self, waiting)))

    async def upper(keys: list[str]) -> list[str]:
        return [key.upper() for key in keys]

    loader = Recording(upper, cache_map=memo, loop=asyncio.get_running_loop())
    assert await loader.load("a") == "A"
    assert await loader.load("a") == "A"
    assert handed == ["a"], (
        "DataLoader.load no longer goes through do_resolve_reject once per new key: "
        "review RequestLoader.do_resolve_reject in resolvers/loaders.py"
    )
    assert list(memo) == ["a"], (
        "DataLoader.load no longer memoises in the cache_map it was given: "
        "review RequestLoader.peek, asked and expire in resolvers/loaders.py"
    )
