"""The strawberry schema of the one graph, and its SDL export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.types import ExecutionContext

from cache.documents import DocumentCache
from schema.access import apply_policy
from schema.error_codes import ErrorCodes, log_error
from schema.lean_resolvers import use_lean_resolvers
from schema.limits import EnforceQueryLimits, QueryLimits
from schema.mutation import Mutation
from schema.parse_cache import CachedParse
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.stream_errors import StreamErrorCodes
from schema.subscription import Subscription

SDL_PATH = Path(__file__).with_name("schema.graphql")


class GatewaySchema(strawberry.Schema):
    """Logs each error once, by kind: expected failures as one line, bugs with their stack."""

    parsed_documents: DocumentCache[DocumentNode] | None = None

    def parsed_document(self, query: str) -> DocumentNode | None:
        """The document of ``query`` if this schema has parsed it before."""
        return self.parsed_documents.get(query) if self.parsed_documents is not None else None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error)


def create_schema(
    limits: QueryLimits | None = None, *, max_tokens: int = 5000, introspection: bool = True
) -> GatewaySchema:
    query_limits = limits or QueryLimits()
    validated: DocumentCache[list[GraphQLError]] = DocumentCache(max_entries=1000)
    parsed: DocumentCache[DocumentNode] = DocumentCache(max_entries=1000)
    # Factories, not instances: strawberry builds fresh extensions for each request.
    extensions: list[Any] = [
        ErrorCodes,
        StreamErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: CachedParse(parsed),
        lambda: EnforceQueryLimits(query_limits, validated),
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=extensions,
    )
    schema.parsed_documents = parsed
    use_lean_resolvers(schema._schema, skip_types={"Subscription"})
    apply_policy(schema._schema)
    return schema


def export_sdl(path: Path = SDL_PATH) -> str:
    sdl = create_schema().as_str() + "\n"
    path.write_text(sdl)
    return sdl
