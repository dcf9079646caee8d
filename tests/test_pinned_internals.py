"""The private parts of libraries our code leans on, and the hooks of strawberry's view
it extends, are still there, with the shape we use.

pyproject.toml bounds those libraries from above; whoever lifts a bound learns here, with
a message naming the module to review, rather than from a WebSocket that stops answering.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from typing import Any

import aiodataloader
import strawberry
from graphql import GraphQLResolveInfo, GraphQLSchema
from strawberry.asgi import GraphQL
from strawberry.federation import Schema as FederationSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.subscriptions.protocols.graphql_transport_ws import handlers
from strawberry.types.base import get_object_definition

from gateway.live_graphql import LiveGraphQL
from gateway.settings import Settings
from schema.build import create_schema
from schema.strawberry_internals import graphql_schema, info_for, resolve_info


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
    await asyncio.gather(*batches)


def test_strawberrys_private_schema_and_resolve_info_still_serve_strawberry_internals():
    seen: dict[str, Any] = {}

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self, info: strawberry.Info) -> str:
            seen["raw"] = resolve_info(info)
            return "hi"

    schema = strawberry.Schema(query=Query)
    built = graphql_schema(schema)
    review = "review schema/strawberry_internals.py"
    assert isinstance(built, GraphQLSchema), f"Schema._schema is gone: {review}"
    query_type = built.query_type
    assert query_type is not None and "hello" in query_type.fields, (
        f"Schema._schema is not the built schema: {review}"
    )

    result = schema.execute_sync("{ hello }", context_value="the context")
    assert result.errors is None and result.data == {"hello": "hi"}
    raw = seen["raw"]
    # graphql-core's resolve info (a NamedTuple: strawberry's own has the same fields).
    assert set(GraphQLResolveInfo._fields) <= set(raw._fields), f"Info._raw_info: {review}"
    assert [node.name.value for node in raw.field_nodes] == ["hello"], review
    assert raw.fragments == {} and str(raw.return_type) == "String!", review

    field = query_type.fields["hello"].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    rebuilt = info_for(raw, field)
    assert (rebuilt.context, rebuilt.field_name, rebuilt.python_name) == (
        "the context",
        "hello",
        "hello",
    ), f"Info(_raw_info=, _field=) no longer builds an Info: {review}"


# The hooks gateway/graphql_view.py overrides or calls, with the parameters it passes.
VIEW_HOOKS = {
    "__call__": ["self", "scope", "receive", "send"],
    "get_context": ["self", "request", "response"],
    "process_result": ["self", "request", "result"],
    "render_graphql_ide": ["self", "request"],
    "should_render_graphql_ide": ["self", "request"],
}


def test_strawberrys_asgi_view_still_has_the_hooks_the_graphql_view_extends():
    for name, expected in VIEW_HOOKS.items():
        parameters = list(inspect.signature(getattr(GraphQL, name)).parameters)
        assert parameters == expected, (
            f"strawberry's GraphQL.{name} now takes {parameters}: review gateway/graphql_view.py"
        )


def test_the_graphql_view_leaves_no_http_request_to_strawberrys_streaming_transports():
    # Its __call__ answers every HTTP request itself; a streaming transport configured in
    # `protocols` would have to be handed to strawberry's run() (gateway.sse streams).
    view = LiveGraphQL(create_schema(), Settings(auth_disabled=True))
    streaming = set(view.protocols) & set(view.stream_transport_classes_by_protocol)
    assert not streaming, f"{streaming} configured: gateway/graphql_view.py does not serve it"


def test_strawberry_still_reads_a_types_definition_where_federation_swaps_in_its_keyed_copy():
    @strawberry.type
    class Thing:
        id: strawberry.ID

    review = "review schema/federation.py (keyed, name_entities_by_class)"
    definition = get_object_definition(Thing, strict=True)
    assert Thing.__strawberry_definition__ is definition, review  # type: ignore[attr-defined]
    keyed_copy = dataclasses.replace(definition, directives=[])
    Thing.__strawberry_definition__ = keyed_copy  # type: ignore[attr-defined]
    assert get_object_definition(Thing, strict=True) is keyed_copy, review
    parameters = list(inspect.signature(FederationSchema.entities_resolver).parameters)
    assert parameters == ["self", "info", "representations"], (
        f"strawberry's federation Schema.entities_resolver now takes {parameters}: {review}"
    )


def test_graphql_cores_executor_still_calls_execute_field_as_lean_leaves_overrides_it():
    from graphql import GraphQLInt, MiddlewareManager
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    execute_field = StrawberryGraphQLCoreExecutionContext.execute_field
    parameters = list(inspect.signature(execute_field).parameters)
    assert parameters == [
        "self",
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ], f"execute_field now takes {parameters}: review LeanLeaves in schema/lean_resolvers.py"
    assert MiddlewareManager().middlewares == (), (
        "MiddlewareManager no longer lists its middlewares: review LeanLeaves.__init__"
    )
    assert GraphQLInt.coerce_output_value(7) == 7, (
        "scalars no longer serialize with coerce_output_value: review LeanLeaves"
    )
