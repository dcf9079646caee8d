from __future__ import annotations

import pytest

from cache.apq import PersistedQueries, query_sha256
from cache.documents import DocumentCache

QUERY = "query Order($id: ID!) { order(id: $id) { id status } }"


async def test_a_persisted_query_is_found_by_its_hash(store, prefix):
    queries = PersistedQueries(store, prefix=prefix)
    sha = query_sha256(QUERY)

    assert await queries.get(sha) is None
    await queries.put(sha, QUERY)

    assert await queries.get(sha) == QUERY
    assert await queries.get(sha.upper()) == QUERY


async def test_a_query_under_someone_elses_hash_is_refused(store, prefix):
    queries = PersistedQueries(store, prefix=prefix)
    sha = query_sha256(QUERY)

    with pytest.raises(ValueError, match="sha256"):
        await queries.put(sha, QUERY + " ")
    assert await queries.get(sha) is None


async def test_a_malformed_hash_is_simply_not_found(store, prefix):
    assert await PersistedQueries(store, prefix=prefix).get("not-a-hash*") is None


def test_documents_are_built_once_per_query_text():
    documents: DocumentCache[list[str]] = DocumentCache(max_entries=2)
    builds: list[str] = []

    def build(query: str) -> list[str]:
        builds.append(query)
        return query.split()

    assert documents.get_or_build("{ a }", build) == ["{", "a", "}"]
    assert documents.get_or_build("{ a }", build) == ["{", "a", "}"]
    assert builds == ["{ a }"]
    assert (documents.hits, documents.misses) == (1, 1)


def test_the_least_recently_used_document_is_forgotten_first():
    documents: DocumentCache[str] = DocumentCache(max_entries=2)
    documents.put("{ a }", "A")
    documents.put("{ b }", "B")
    documents.get("{ a }")
    documents.put("{ c }", "C")

    assert (documents.get("{ a }"), documents.get("{ b }"), documents.get("{ c }")) == (
        "A",
        None,
        "C",
    )
    assert len(documents) == 2


def test_a_document_that_fails_to_build_is_not_stored():
    documents: DocumentCache[str] = DocumentCache()

    def broken(query: str) -> str:
        raise SyntaxError(query)

    with pytest.raises(SyntaxError):
        documents.get_or_build("{", broken)
    assert len(documents) == 0
