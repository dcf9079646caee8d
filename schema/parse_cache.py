"""Parsed documents kept per query text, for the schema that parses them.

Parsing a tracking query was a sixth of its warm CPU, and mobile apps send the same few
texts again and again. One ``DocumentParser`` per schema parses each text once, with the
schema's token limit, and is shared by the schema's parse step (``CachedParse``) and by
the HTTP endpoint, which looks at a request's operations before running any of them.

strawberry's own ``ParserCache`` parses inside its hook, so a syntax error escapes the
hooks that give errors their codes; ``CachedParse`` leaves a text that fails to parse
to strawberry's own parse, which reports it as usual. Failures are never kept.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from cache.documents import DocumentCache


class DocumentParser:
    def __init__(self, *, max_tokens: int, max_entries: int = 1000) -> None:
        self.max_tokens = max_tokens
        self._parsed: DocumentCache[DocumentNode] = DocumentCache(max_entries)

    def parse(self, query: str) -> DocumentNode:
        """The document of ``query``; raises ``GraphQLError`` if it does not parse."""
        document = self._parsed.get(query)
        if document is None:
            document = parse(query, max_tokens=self.max_tokens)
            self._parsed.put(query, document)
        return document

    def parse_or_none(self, query: str) -> DocumentNode | None:
        try:
            return self.parse(query)
        except GraphQLError:
            return None


class CachedParse(SchemaExtension):
    def __init__(self, parser: DocumentParser) -> None:
        self.parser = parser

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            document = self.parser.parse_or_none(context.query)
            if document is not None:
                context.graphql_document = document
        yield
