"""Parsed documents kept per query text, for the schema that parses them.

Parsing a tracking query was a sixth of its warm CPU, and mobile apps send the same few
texts again and again. strawberry's own ``ParserCache`` parses inside its hook, so a
syntax error escapes the hooks that give errors their codes; this one caches only what
parses and leaves a failing text to strawberry's own parse, which reports it as usual.
The token limit is fixed per schema, so the text alone is the key.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from cache.documents import DocumentCache


class CachedParse(SchemaExtension):
    def __init__(self, parsed: DocumentCache[DocumentNode]) -> None:
        self.parsed = parsed

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            document = self.parsed.get(context.query)
            if document is None:
                try:
                    document = parse(context.query, **context.parse_options)
                except GraphQLError:
                    document = None
                else:
                    self.parsed.put(context.query, document)
            if document is not None:
                context.graphql_document = document
        yield
