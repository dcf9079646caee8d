"""Automatic persisted queries: hash first, document once, hash afterwards."""

from __future__ import annotations

import hashlib
from typing import Any

QUERY = '{ product(code: "P-1002") { code name } }'
SHA = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def test_an_unknown_hash_asks_for_the_document_then_the_hash_alone_works(http):
    sha = hashlib.sha256((QUERY + " ").encode()).hexdigest()
    query = QUERY + " "
    missing = http.post("/graphql", json={"extensions": apq(sha)})
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = http.post("/graphql", json={"query": query, "extensions": apq(sha)})
    assert registered.json()["data"]["product"]["code"] == "P-1002"

    by_hash = http.post("/graphql", json={"extensions": apq(sha)})
    assert by_hash.json() == registered.json()


def test_a_hash_that_does_not_match_its_document_is_refused(http):
    response = http.post("/graphql", json={"query": QUERY, "extensions": apq("0" * 64)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_persisted_queries_work_over_get_too(http):
    http.post("/graphql", json={"query": QUERY, "extensions": apq(SHA)})
    import json

    response = http.get("/graphql", params={"extensions": json.dumps(apq(SHA))})
    assert response.status_code == 200
    assert response.json()["data"]["product"]["code"] == "P-1002"
