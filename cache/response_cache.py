"""Whole answers of queries, kept exactly as long as every record in them stays fresh.

The entity cache spares the upstreams; a warm 50-customer dashboard still costs the
gateway ~12,000 field resolutions to rebuild an answer that has not changed. So the
encoded answer of a query that completed without errors is kept too, for one view:

- **Key**: the query text, operation name and declared variables, and the viewer's *view* —
  staff or one customer, and the scopes — which is everything the answer depends on
  (the cache below holds upstream records only; authorization runs on every build).
  Two customers never share an entry; a customer never gets what staff warmed.
- **Lifetime**: the shortest remaining freshness of the records that went into it
  (``StaleLog.fresh_for_s``): an answer holding stock rows 3 s from expiry lives 3 s.
- **Invalidation**: each system has a generation token (``cache.generations``); every
  webhook invalidation or admin drop of a system replaces it. An answer records the
  tokens of the systems it read, as they were when its request *started*, and is served
  only while they are unchanged, so a change landing mid-request is never hidden.
- Answers with errors, stale records, or from a request that bypassed the cache's
  reads are not kept; mutations and subscriptions never come here.

Failing open like the rest: with Redis down every lookup misses.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from cache.keys import KeyLayout
from cache.store import CacheStore
from cache.write_budget import WriteBudget
from core.systems import SYSTEMS

Generations = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class View:
    """What of the graph a viewer may see: the only part of a viewer an answer depends on."""

    customer_id: str | None
    scopes: frozenset[str]

    def text(self) -> str:
        who = f"customer:{self.customer_id}" if self.customer_id is not None else "staff"
        return who + "|" + " ".join(sorted(self.scopes))


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    etag: str
    age_s: float


@dataclass(frozen=True, slots=True)
class Lookup:
    """A lookup's outcome, and the generations it read, for storing a miss's answer."""

    answer: CachedAnswer | None
    generations: Generations


class ResponseCache:
    def __init__(
        self,
        store: CacheStore,
        layout: KeyLayout,
        *,
        max_body_bytes: int = 2_000_000,
        budget: WriteBudget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._layout = layout
        self._max_body_bytes = max_body_bytes
        self._budget = budget
        self._clock = clock
        self._generation_keys = [layout.generation_key(system) for system in SYSTEMS]

    def key_for(
        self,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        view: View,
    ) -> str:
        """The entry of one answer. ``variables`` must be only those the operation
        declares: the rest change nothing in the answer, and keyed by them a client could
        store the same answer under endless keys."""
        identity = orjson.dumps(
            [query, operation_name, variables or {}, view.text()], option=orjson.OPT_SORT_KEYS
        )
        return self._layout.answer_key(hashlib.sha256(identity).hexdigest())

    async def lookup(self, key: str) -> Lookup:
        raws = await self._store.get_many([key, *self._generation_keys])
        generations = {
            system: raw.decode() if raw is not None else None
            for system, raw in zip(SYSTEMS, raws[1:], strict=True)
        }
        entry = _decode(raws[0])
        if entry is None:
            return Lookup(None, generations)
        created_at, etag, recorded, body = entry
        if any(generations.get(system) != token for system, token in recorded.items()):
            return Lookup(None, generations)
        age_s = max(self._clock() - created_at, 0.0)
        return Lookup(CachedAnswer(body, etag, age_s), generations)

    async def keep(
        self,
        key: str,
        body: bytes,
        *,
        etag: str,
        fresh_for_s: float,
        systems: Sequence[str],
        generations: Generations,
    ) -> bool:
        """Stores ``body`` for ``fresh_for_s``; False when it is too short-lived or large,
        or when this minute's write budget is spent."""
        ttl_ms = int(fresh_for_s * 1000)
        if ttl_ms < 1 or len(body) > self._max_body_bytes or not systems:
            return False
        header = {
            "at": self._clock(),
            "etag": etag,
            "gen": {system: generations.get(system) for system in sorted(set(systems))},
        }
        entry = orjson.dumps(header) + b"\n" + body
        if self._budget is not None and not self._budget.spend(len(key) + len(entry)):
            return False
        await self._store.set_many([(key, entry, ttl_ms)])
        return True


def _decode(raw: bytes | None) -> tuple[float, str, dict[str, str | None], bytes] | None:
    if raw is None:
        return None
    header, separator, body = raw.partition(b"\n")
    if not separator:
        return None
    try:
        fields = orjson.loads(header)
        created_at = float(fields["at"])
        etag = str(fields["etag"])
        recorded = {str(system): token for system, token in dict(fields["gen"]).items()}
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return created_at, etag, recorded, body
