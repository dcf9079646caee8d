"""Automatic Persisted Queries: query texts stored under their SHA-256.

A client first sends only the hash; on a miss it sends the text with the hash, and
the gateway stores it after checking that the hash is the text's, so that nobody can
plant a different query under a known hash.
"""

from __future__ import annotations

import hashlib
import re

from cache.keys import apq_key
from cache.store import CacheStore

DEFAULT_APQ_TTL_S = 24 * 3600

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def query_sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(
        self, store: CacheStore, *, prefix: str = "sg", ttl_s: float = DEFAULT_APQ_TTL_S
    ) -> None:
        self._store = store
        self._prefix = prefix
        self._ttl_ms = max(1, round(ttl_s * 1000))

    async def get(self, sha256_hex: str) -> str | None:
        sha256_hex = sha256_hex.lower()
        if not _SHA256_HEX.fullmatch(sha256_hex):
            return None
        raw = await self._store.get(apq_key(self._prefix, sha256_hex))
        try:
            return None if raw is None else raw.decode()
        except UnicodeDecodeError:
            return None

    async def put(self, sha256_hex: str, query: str) -> None:
        """Stores ``query``; ``ValueError`` if ``sha256_hex`` is not its hash."""
        sha256_hex = sha256_hex.lower()
        if query_sha256(query) != sha256_hex:
            raise ValueError("the sha256Hash does not match the query")
        await self._store.set(apq_key(self._prefix, sha256_hex), query.encode(), self._ttl_ms)
