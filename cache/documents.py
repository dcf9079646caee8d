"""Parsed and validated GraphQL documents, kept per process by query text.

Parsing and validating a document costs more than running a small query; clients
send the same few documents over and over. Entries are keyed by the SHA-256 of the
text (a fixed-size key, whatever the query's length) and hold whatever the gateway
builds from it. Validation depends on the schema only, so entries never expire; the
LRU bound keeps a stream of distinct queries from growing memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

from cache.lru import LruDict

DocumentT = TypeVar("DocumentT")


class DocumentCache(Generic[DocumentT]):
    def __init__(self, max_entries: int = 1000) -> None:
        self._documents: LruDict[str, DocumentT] = LruDict(max_entries)
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, query: str) -> DocumentT | None:
        document = self._documents.get(_text_key(query))
        if document is None:
            self.misses += 1
        else:
            self.hits += 1
        return document

    def put(self, query: str, document: DocumentT) -> None:
        self._documents.put(_text_key(query), document)

    def get_or_build(self, query: str, build: Callable[[str], DocumentT]) -> DocumentT:
        """The cached document, or ``build(query)`` stored. A ``build`` that raises
        (a syntax or validation error) stores nothing."""
        document = self.get(query)
        if document is None:
            document = build(query)
            self.put(query, document)
        return document


def _text_key(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()
