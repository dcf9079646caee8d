"""Automatic Persisted Queries: query texts stored under their SHA-256.

A client first sends only the hash; on a miss it sends the text with the hash, and
the gateway stores it after checking that the hash is the text's, so that nobody can
plant a different query under a known hash.

What is stored is stored on any client's word, so it is bounded: the caller stores only
documents that would run (``gateway.persisted_queries``), a text longer than
``max_query_bytes`` is never stored, entries live an hour (a client whose hash was
forgotten just sends the text again), and a ``WriteBudget`` caps the bytes stored per
minute. A text that is not stored still runs; it is only not remembered.
"""

from __future__ import annotations

import hashlib
import re

from cache.keys import apq_key
from cache.store import CacheStore
from cache.write_budget import WriteBudget

DEFAULT_APQ_TTL_S = 3600
DEFAULT_MAX_QUERY_BYTES = 32_768
# The key and Redis's own overhead, charged to the budget beside the text.
ENTRY_OVERHEAD_BYTES = 128

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def query_sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    def __init__(
        self,
        store: CacheStore,
        *,
        prefix: str = "sg",
        ttl_s: float = DEFAULT_APQ_TTL_S,
        max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES,
        budget: WriteBudget | None = None,
    ) -> None:
        self._store = store
        self._prefix = prefix
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self.max_query_bytes = max_query_bytes
        self._budget = budget

    async def get(self, sha256_hex: str) -> str | None:
        sha256_hex = sha256_hex.lower()
        if not _SHA256_HEX.fullmatch(sha256_hex):
            return None
        raw = await self._store.get(apq_key(self._prefix, sha256_hex))
        try:
            return None if raw is None else raw.decode()
        except UnicodeDecodeError:
            return None

    @staticmethod
    def check_hash(sha256_hex: str, query: str) -> None:
        """``ValueError`` if ``sha256_hex`` is not the hash of ``query``."""
        if query_sha256(query) != sha256_hex.lower():
            raise ValueError("the sha256Hash does not match the query")

    async def put(self, sha256_hex: str, query: str) -> bool:
        """Stores ``query`` (``ValueError`` if the hash is not its own); False when the
        text is too long or this minute's budget is spent."""
        self.check_hash(sha256_hex, query)
        text = query.encode()
        if len(text) > self.max_query_bytes:
            return False
        if self._budget is not None and not self._budget.spend(len(text) + ENTRY_OVERHEAD_BYTES):
            return False
        await self._store.set(apq_key(self._prefix, sha256_hex.lower()), text, self._ttl_ms)
        return True
