"""Automatic persisted queries (Apollo's APQ protocol).

A client sends ``extensions.persistedQuery.sha256Hash`` without the document; if the
gateway knows the hash it runs the stored document, else it answers
``PersistedQueryNotFound`` and the client retries once with document and hash, which
the gateway checks and stores (in Redis, so every replica knows it afterwards).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from strawberry.http import GraphQLRequestData

from cache.apq import PersistedQueries


class PersistedQueryError(Exception):
    """The APQ exchange cannot go on; ``code`` is what the client is told."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    if persisted.get("version", 1) != 1:
        raise PersistedQueryError("only persistedQuery version 1 is supported", "BAD_REQUEST")
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str):
        raise PersistedQueryError("persistedQuery.sha256Hash must be a string", "BAD_REQUEST")
    return sha


async def resolve_persisted_query(
    request: GraphQLRequestData,
    store: PersistedQueries,
    refusals: Callable[[str], Sequence[str]] = lambda query: (),
) -> GraphQLRequestData:
    """The request with its document filled in from (or stored to) the APQ store.

    A document is stored only when ``refusals`` finds nothing against it (it parses,
    validates and keeps to the query limits): any client may register one, and a text
    that would never run is not worth a byte of Redis. It still runs, and fails as usual.
    """
    sha = persisted_hash(request.extensions)
    if sha is None:
        return request
    if request.query:
        try:
            store.check_hash(sha, request.query)
        except ValueError as error:
            raise PersistedQueryError(str(error), "PERSISTED_QUERY_HASH_MISMATCH") from error
        if len(request.query) <= store.max_query_bytes and not refusals(request.query):
            await store.put(sha, request.query)
        return request
    query = await store.get(sha)
    if query is None:
        raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
    request.query = query
    return request
