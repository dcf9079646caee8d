"""Decoded records kept in this process, in front of the shared store.

A warm dashboard reads ~5,000 records from Redis: moving and decoding them was a third
of what rebuilding its answer cost. Records read or fetched are also kept here, decoded,
with their system's generation token (``cache.generations``) as it was when they were
read. A batch then reads from Redis only the keys this process does not hold fresh,
together with the token of its system, in the one ``MGET`` it makes anyway; a held record
is served only while that token is unchanged, so a webhook handled by any process
retires it everywhere (they are read from Redis again, not from the upstream).

Freshness is decided as for Redis entries, from the fetch time each entry carries. The
bound is a number of entries, least recently used first out. Records are frozen
dataclasses: sharing them between requests shares nothing a request could change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cache.entry import CachedEntry
from cache.lru import LruDict


@dataclass(frozen=True, slots=True)
class HeldEntry:
    entry: CachedEntry[Any]
    token: bytes | None  # the system's generation token when it was read


class NearCache:
    def __init__(self, max_entries: int) -> None:
        self._held: LruDict[str, HeldEntry] = LruDict(max_entries)

    def __len__(self) -> int:
        return len(self._held)

    def get(self, cache_key: str) -> HeldEntry | None:
        return self._held.get(cache_key)

    def put(self, cache_key: str, entry: CachedEntry[Any], token: bytes | None) -> None:
        self._held.put(cache_key, HeldEntry(entry, token))

    def drop(self, cache_key: str) -> None:
        self._held.pop(cache_key)
