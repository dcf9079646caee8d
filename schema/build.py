"""The strawberry schema of the one graph, and its SDL export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.types import ExecutionContext

from cache.documents import DocumentCache
from schema.access import apply_policy
from schema.answer_size import capped_at
from schema.error_codes import ErrorCodes
from schema.error_log import Sampler, log_errors
from schema.federation import FederationEntities, building, keyed, name_entities_by_class
from schema.lean_resolvers import use_lean_resolvers
from schema.limits import EnforceQueryLimits, QueryLimits
from schema.list_sizes import list_sizes
from schema.mutation import Mutation
from schema.parse_cache import CachedParse, DocumentParser
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.strawberry_internals import graphql_schema
from schema.stream_errors import StreamErrorCodes
from schema.subscription import Subscription

SDL_PATH = Path(__file__).with_name("schema.graphql")


class GatewaySchema(strawberry.Schema):
    """Logs each failure once (not each field it failed), expected ones sampled per kind,
    bugs with their stack (``schema.error_log``)."""

    # Set by create_schema: the parser its parse step and the HTTP endpoint share.
    parser: DocumentParser = DocumentParser(max_tokens=5000)
    # Set by create_schema: what its requests are held to (the HTTP endpoint sums a batch).
    limits: QueryLimits = QueryLimits()
    extra_validation_rules: tuple[type[ASTValidationRule], ...] = ()
    # One per schema, so per app: its samples span the app's requests.
    error_sampler: Sampler = Sampler()

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, self.error_sampler)


class FederatedGatewaySchema(GatewaySchema, FederationEntities):
    """The same graph as an Apollo Federation v2 subgraph (``schema/federation.py``)."""


def create_schema(
    limits: QueryLimits | None = None,
    *,
    max_tokens: int = 5000,
    introspection: bool = True,
    list_size_overrides: Mapping[str, int] | None = None,
    federation: bool = False,
) -> GatewaySchema:
    """The one graph; with ``federation``, as a subgraph: ``@key``s, ``_service``,
    ``_entities``, the same types, resolvers, limits and access policy."""
    query_limits = limits or QueryLimits()
    validated: DocumentCache[list[GraphQLError]] = DocumentCache(max_entries=1000)
    parser = DocumentParser(max_tokens=max_tokens)
    schema: GatewaySchema  # built below; the factories run once requests come
    # Factories, not instances: strawberry builds fresh extensions for each request.
    extensions: list[Any] = [
        ErrorCodes,
        StreamErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: CachedParse(parser),
        # The schema's limits are complete once it is built (list sizes name its fields).
        lambda: EnforceQueryLimits(schema.limits, validated),
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    schema_class = FederatedGatewaySchema if federation else GatewaySchema
    with keyed() if federation else building():
        schema = schema_class(
            query=Query,
            mutation=Mutation,
            subscription=Subscription,
            scalar_overrides=dict[object, Any](SCALAR_OVERRIDES),
            extensions=extensions,
            execution_context_class=capped_at(query_limits.max_answer_fields),
        )
    if federation:
        name_entities_by_class(graphql_schema(schema))
    schema.parser = parser
    schema.limits = replace(
        query_limits,
        list_sizes=list_sizes(graphql_schema(schema), list_size_overrides, query_limits.list_sizes),
    )
    if not introspection:
        schema.extra_validation_rules = (NoSchemaIntrospectionCustomRule,)
    schema.error_sampler = Sampler()
    use_lean_resolvers(graphql_schema(schema), skip_types={"Subscription"})
    apply_policy(graphql_schema(schema))
    return schema


def export_sdl(path: Path = SDL_PATH) -> str:
    sdl = create_schema().as_str() + "\n"
    path.write_text(sdl)
    return sdl
