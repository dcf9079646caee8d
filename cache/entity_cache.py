"""The cache around a fetcher: one generic place where every loader batch is cached.

A wrapped fetch does, for one DataLoader batch:

1. one ``MGET`` for all its keys (none when the request asked for no cache reads);
2. for the keys not answered fresh, joins a fetch of the same keys already under way
   in this process (see ``cache.single_flight``), and sends the rest upstream in one
   call of the wrapped fetch;
3. writes what was fetched back in one round trip, each entry with the TTL
   of its kind plus a grace period; keys the upstream left out are written as
   negative entries, fresh for the kind's short negative TTL. Given the request's
   ``WriteBacks``, that write runs beside the request's next level (settled before
   the request answers) instead of in front of it.

Freshness is decided here from the fetch time stored in each entry (``cache.entry``).
An entry past freshness but within grace is re-fetched; if that fetch fails with an
``UpstreamError``, the old copy is served and written to the request's ``StaleLog``.
Keys with no copy to fall back on make the batch raise the upstream error.

A request may hold copies back (its ``CacheGate``: a customer's token is served no other
customer's record). A copy held back, fresh or stale, positive or negative, is a miss:
the key is fetched upstream, and if that fails it gets the upstream error and no
``StaleLog`` entry, exactly as a key the cache never held, so that what the cache holds
tells that token nothing. What such a fetch brings is written back as usual. The gate
is resolved per kind when a fetch is wrapped: kinds it does not guard, and requests
without a gate (staff), pay nothing for it.

A wrapped fetch keeps the contract of the fetch it wraps: keys it has nothing for are
left out of its answer (the loader fills in its default), whether the upstream said
so just now or a negative entry says so.

With ``near_entries``, decoded entries are also held in this process (``cache.near_cache``)
and served while fresh and while their system's generation token is unchanged; the
batch's ``MGET`` then asks only for the keys not held, plus that token.

Across processes, a hot key is fetched once per process; that duplication is accepted
rather than paid for with a Redis lock.

A fetch never writes back a key invalidated (webhook, admin drop, the gateway's own
write) after it began: the system's generation is read before the fetch goes out (in
the batch's ``MGET``; a request that skips cache reads writes as if it had read 0) and
the write skips, atomically, every key an invalidation since then has marked
(``cache.write_guard``).
Held copies obey the same generation (``cache.near_cache``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar, cast

from cache.codec import CodecError, ValueCodec, codec_for
from cache.counters import KindCounters
from cache.entry import CachedEntry, decode_entry, encode_entry, negative_entry, present_entry
from cache.keys import KeyLayout
from cache.near_cache import NearCache
from cache.policy import DEFAULT_POLICY, EntityKind, RequestCachePolicy
from cache.single_flight import Flight, FlightRegistry, land
from cache.stale_log import StaleLog
from cache.store import CacheStore, StoreItem
from cache.write_backs import BackgroundWrites, WriteBacks
from cache.write_guard import WriteGuard, generation_number
from core.errors import RequestDeadlineExceeded, UpstreamError

logger = logging.getLogger(__name__)

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")

Fetch: TypeAlias = Callable[[list[KeyT]], Awaitable[Mapping[KeyT, ValueT]]]
Entries: TypeAlias = dict[str, CachedEntry[Any]]
# Whether a cached copy may be served to the request: given the key and the copy's value
# (None for a negative entry). A copy it refuses is a miss.
CopyCheck: TypeAlias = Callable[[Any, Any], Awaitable[bool]]
# A request's gate: the check of a join's copies (by the kind's entity, the join's name),
# None for a join whose every copy may be served.
CacheGate: TypeAlias = Callable[[str], CopyCheck | None]


class _Unread:
    """No generation token was read: what was fetched is not held in the near cache."""


UNREAD = _Unread()


class EntityCache:
    """Wraps fetchers with a shared store; one per process and event loop."""

    def __init__(
        self,
        store: CacheStore,
        *,
        prefix: str = "sg",
        schema_version: int = 1,
        clock: Callable[[], float] = time.time,
        near_entries: int = 0,
    ) -> None:
        self.store = store
        self.layout = KeyLayout(prefix, schema_version)
        self.near = NearCache(near_entries) if near_entries > 0 else None
        # Wall-clock time: entries are shared by processes, so their ages must be too.
        self._clock = clock
        self._flights = FlightRegistry()
        self._writes = BackgroundWrites()
        self._counters: dict[str, KindCounters] = {}

    async def drain(self) -> None:
        """Wait for the write-backs still running (before the store is closed)."""
        await self._writes.drain()

    def counters(self, kind: EntityKind | str) -> KindCounters:
        """The live counters of one kind (by ``EntityKind`` or name such as ``crm.order``)."""
        name = kind if isinstance(kind, str) else kind.name
        counters = self._counters.get(name)
        if counters is None:
            counters = self._counters[name] = KindCounters()
        return counters

    def counters_snapshot(self) -> dict[str, dict[str, int]]:
        return {name: counters.as_dict() for name, counters in self._counters.items()}

    def wrap(
        self,
        kind: EntityKind,
        fetch: Fetch[KeyT, ValueT],
        *,
        key_of: Callable[[KeyT], str],
        value_type: object,
        policy: RequestCachePolicy = DEFAULT_POLICY,
        stale_log: StaleLog | None = None,
        write_backs: WriteBacks | None = None,
        gate: CacheGate | None = None,
    ) -> Fetch[KeyT, ValueT]:
        """``fetch`` behind the cache.

        ``key_of`` spells a key as text (it must be one-to-one); ``value_type`` is the
        type hint of the values (``OrderRecord | None``, ``list[ShipmentRecord]``),
        which the codec reads entries back as. ``policy``, ``stale_log`` and
        ``write_backs`` belong to one request: wrap per request, it is cheap. With
        ``write_backs``, what a batch fetched is written back beside the request
        (``cache.write_backs``); without, before the batch returns. ``gate``, the
        request's too, decides which cached copies may be served (None: all).
        """
        check = gate(kind.entity) if gate is not None else None
        batch = _BatchSettings(
            kind, fetch, key_of, codec_for(value_type), policy, stale_log, write_backs, check
        )

        async def cached_fetch(keys: list[KeyT]) -> Mapping[KeyT, ValueT]:
            return await self._load(batch, keys)

        return cached_fetch

    async def _load(
        self, batch: _BatchSettings[KeyT, ValueT], keys: list[KeyT]
    ) -> dict[KeyT, ValueT]:
        kind, counters = batch.kind, self.counters(batch.kind)
        keys_by_cache_key: dict[str, list[KeyT]] = {}
        key_texts: dict[str, str] = {}
        for key in keys:
            key_text = batch.key_of(key)
            cache_key = self.layout.entity_key(kind.system, kind.entity, key_text)
            keys_by_cache_key.setdefault(cache_key, []).append(key)
            key_texts[cache_key] = key_text

        fresh: Entries = {}
        stale: Entries = {}
        token: bytes | _Unread | None = UNREAD
        since: int | None = None
        if batch.policy.read:
            fresh, stale, token, since = await self._read(batch, list(keys_by_cache_key))
            if fresh and batch.check is not None:
                fresh = await self._admitted(batch.check, fresh, keys_by_cache_key)
            # Counted once the gate has spoken: a copy it held back is a miss, not a hit.
            counters.hits += len(fresh)
            counters.negative_hits += sum(not entry.present for entry in fresh.values())
        misses = [cache_key for cache_key in keys_by_cache_key if cache_key not in fresh]
        counters.misses += len(misses)
        if batch.stale_log is not None and fresh:
            self._note_freshness(batch, batch.stale_log, fresh.values())
        if misses:
            first_key = {cache_key: keys_by_cache_key[cache_key][0] for cache_key in misses}
            fetched, failures = await self._fetch_misses(batch, first_key, since)
            if batch.stale_log is not None and fetched:
                self._note_freshness(batch, batch.stale_log, fetched.values())
            if self.near is not None and not isinstance(token, _Unread):
                for cache_key, entry in fetched.items():
                    self.near.put(cache_key, entry, token)
            fresh.update(fetched)
            usable = await self._servable(batch, stale, failures, keys_by_cache_key)
            fresh.update(self._fall_back_to_stale(batch, failures, usable, key_texts))

        return {
            key: cast(ValueT, entry.value)
            for cache_key, entry in fresh.items()
            if entry.present
            for key in keys_by_cache_key[cache_key]
        }

    def _note_freshness(
        self, batch: _BatchSettings[Any, Any], log: StaleLog, entries: Iterable[CachedEntry[Any]]
    ) -> None:
        """How long the least fresh of ``entries`` stays fresh, for the answer's lifetime."""
        kind = batch.kind
        now = self._clock()
        shortest = min(kind.fresh_for_s(entry.present) - entry.age_s(now) for entry in entries)
        log.served_fresh(kind.system, max(shortest, 0.0))

    async def _read(
        self, batch: _BatchSettings[Any, Any], cache_keys: list[str]
    ) -> tuple[Entries, Entries, bytes | _Unread | None, int]:
        """The fresh entries, the stale ones still within grace, the generation token
        of the batch's system as read with them (``UNREAD`` without a near cache), and
        that generation as a number (``cache.write_guard``)."""
        kind = batch.kind
        now = self._clock()
        fresh: Entries = {}
        stale: Entries = {}
        near = self.near
        if near is None:
            *raws, token = await self.store.get_many(
                [*cache_keys, self.layout.generation_key(kind.system)]
            )
            self._sort(batch, zip(cache_keys, raws, strict=True), now, fresh, stale)
            return fresh, stale, UNREAD, generation_number(token)
        held = {}
        for cache_key in cache_keys:
            found = near.get(cache_key)
            if found is not None and found.entry.age_s(now) < kind.fresh_for_s(found.entry.present):
                held[cache_key] = found
        far = [cache_key for cache_key in cache_keys if cache_key not in held]
        *raws, token = await self.store.get_many([*far, self.layout.generation_key(kind.system)])
        # A failing store reads as empty, token included, and no invalidation reaches us
        # while it fails: nothing held is trusted then, and nothing new is held.
        trusted = self.store.available
        retired = [
            cache_key for cache_key, found in held.items() if not trusted or found.token != token
        ]
        if retired:
            # The system changed since these were read: Redis knows what still holds.
            for cache_key in retired:
                near.drop(cache_key)
                del held[cache_key]
            far += retired
            raws += await self.store.get_many(retired)
        for cache_key, found in held.items():
            fresh[cache_key] = found.entry
        read = self._sort(batch, zip(far, raws, strict=True), now, fresh, stale)
        if not trusted:
            return fresh, stale, UNREAD, generation_number(token)
        for cache_key in read:
            near.put(cache_key, fresh[cache_key], token)
        return fresh, stale, token, generation_number(token)

    def _sort(
        self,
        batch: _BatchSettings[Any, Any],
        raws: Iterable[tuple[str, bytes | None]],
        now: float,
        fresh: Entries,
        stale: Entries,
    ) -> list[str]:
        """Decodes ``raws`` into ``fresh`` and ``stale``; returns the keys found fresh."""
        kind, counters = batch.kind, self.counters(batch.kind)
        found_fresh: list[str] = []
        for cache_key, raw in raws:
            if raw is None:
                continue
            try:
                entry = decode_entry(raw, batch.codec)
            except CodecError:
                counters.codec_errors += 1
                continue
            age_s = entry.age_s(now)
            fresh_for_s = kind.fresh_for_s(entry.present)
            if age_s < fresh_for_s:
                fresh[cache_key] = entry
                found_fresh.append(cache_key)
            elif age_s < fresh_for_s + kind.grace_s:
                stale[cache_key] = entry
        return found_fresh

    async def _fetch_misses(
        self, batch: _BatchSettings[KeyT, Any], misses: dict[str, KeyT], since: int | None
    ) -> tuple[Entries, list[tuple[UpstreamError, list[str]]]]:
        """Entries for ``misses``, fetched by this batch or by one already under way,
        and the keys whose fetch failed upstream, with the error."""
        counters = self.counters(batch.kind)
        entries: Entries = {}
        failures: list[tuple[UpstreamError, list[str]]] = []
        pending = list(misses)
        while pending:
            free, joined = self._flights.split(pending)
            pending = []
            if free:
                try:
                    entries.update(
                        await self._fetch_upstream(batch, {k: misses[k] for k in free}, since)
                    )
                except UpstreamError as error:
                    failures.append((error, free))
            if joined:
                counters.shared += sum(len(cache_keys) for cache_keys in joined.values())
                # wait(), not gather(): a flight's failure must not cancel the others.
                await asyncio.wait(joined)
                for flight, cache_keys in joined.items():
                    outcome = _outcome(flight)
                    if outcome is None:
                        pending.extend(cache_keys)  # its owner was cancelled: try again
                    elif isinstance(outcome, UpstreamError):
                        failures.append((outcome, cache_keys))
                    else:
                        entries.update((cache_key, outcome[cache_key]) for cache_key in cache_keys)
        return entries, failures

    async def _fetch_upstream(
        self, batch: _BatchSettings[KeyT, Any], keys: dict[str, KeyT], since: int | None
    ) -> Entries:
        """Fetches ``keys`` and writes them back unless invalidated meanwhile; ``since``
        is the system's generation read before, None if the batch read nothing."""
        kind, counters = batch.kind, self.counters(batch.kind)
        cache_keys = list(keys)
        with self._flights.flying(cache_keys) as flight:
            fetched_at = self._clock()
            counters.fetched += len(cache_keys)
            try:
                answer = await batch.fetch(list(keys.values()))
            except UpstreamError:
                counters.upstream_errors += 1
                raise
            entries: Entries = {}
            for cache_key, key in keys.items():
                value = answer.get(key)
                entries[cache_key] = (
                    negative_entry(fetched_at)
                    if value is None
                    else present_entry(value, fetched_at)
                )
            # Waiters go on now; the write-back is this batch's own business, and the
            # flight stays registered until it is done so that a batch arriving
            # meanwhile joins it instead of fetching again.
            land(flight, entries)
            if not batch.policy.write:
                return entries
            if since is None:
                # The batch read nothing (no-cache), so no generation either: a round
                # trip for it would delay the fetch. As if read at 0, the write then
                # skips every key invalidated in the markers' lifetime: safe, and cheap.
                since = 0
            if batch.write_backs is None:
                await self._write(kind, entries, since)
                return entries
            write = self._writes.start(self._write(kind, entries, since))
            self._flights.hold(flight, cache_keys, until=write)
            batch.write_backs.add(write)
            return entries

    async def _write(self, kind: EntityKind, entries: Entries, since: int) -> None:
        counters = self.counters(kind)
        items: list[StoreItem] = []
        for cache_key, entry in entries.items():
            try:
                raw = encode_entry(entry)
            except CodecError as error:
                counters.codec_errors += 1
                logger.warning("not caching %s: %s", cache_key, error)
                continue
            items.append((cache_key, raw, kind.stored_for_ms(entry.present)))
        layout = self.layout
        guard = WriteGuard(
            since,
            [layout.invalidated_key(cache_key) for cache_key, _, _ in items],
            (
                layout.invalidated_all_key(kind.system),
                layout.invalidated_all_key(kind.system, kind.entity),
            ),
        )
        written = await self.store.set_many_guarded(items, guard)
        if written is not None:  # else the store failed: it has said so itself
            counters.writes += written
            counters.writes_invalidated += len(items) - written

    async def _servable(
        self,
        batch: _BatchSettings[Any, Any],
        stale: Entries,
        failures: list[tuple[UpstreamError, list[str]]],
        keys_by_cache_key: Mapping[str, list[Any]],
    ) -> Entries:
        """The stale copies of failed keys that the request's gate lets it serve."""
        failed = [cache_key for _, cache_keys in failures for cache_key in cache_keys]
        check = batch.check
        if check is None or not failed or any(cache_key not in stale for cache_key in failed):
            # Ungated, or nothing to decide: no read to ask the gate.
            return stale
        return await self._admitted(
            check, {cache_key: stale[cache_key] for cache_key in failed}, keys_by_cache_key
        )

    @staticmethod
    async def _admitted(
        check: CopyCheck, entries: Entries, keys_by_cache_key: Mapping[str, list[Any]]
    ) -> Entries:
        """The ``entries`` that ``check`` lets the request be served."""
        if len(entries) == 1:
            # The usual single key (an order followed): no task to run one check.
            [(cache_key, entry)] = entries.items()
            admitted = await check(keys_by_cache_key[cache_key][0], entry.value)
            return entries if admitted else {}
        # Side by side: a check may read (an order's owner), and those reads batch.
        allowed = await asyncio.gather(
            *(
                check(keys_by_cache_key[cache_key][0], entry.value)
                for cache_key, entry in entries.items()
            )
        )
        return {
            cache_key: entry
            for (cache_key, entry), ok in zip(entries.items(), allowed, strict=True)
            if ok
        }

    def _fall_back_to_stale(
        self,
        batch: _BatchSettings[Any, Any],
        failures: list[tuple[UpstreamError, list[str]]],
        stale: Entries,
        key_texts: Mapping[str, str],
    ) -> Entries:
        """The stale copies standing in for keys whose fetch failed; if one has none,
        the upstream error is raised: there is nothing to answer with."""
        for error, cache_keys in failures:
            if any(cache_key not in stale for cache_key in cache_keys):
                raise error
        kind, counters = batch.kind, self.counters(batch.kind)
        now = self._clock()
        served: Entries = {}
        for _, cache_keys in failures:
            for cache_key in cache_keys:
                entry = served[cache_key] = stale[cache_key]
                counters.stale_served += 1
                if batch.stale_log is not None:
                    batch.stale_log.record(
                        kind.system, kind.entity, key_texts[cache_key], entry.age_s(now)
                    )
        return served


@dataclass(frozen=True, slots=True)
class _BatchSettings(Generic[KeyT, ValueT]):
    """Everything a wrapped fetch needs besides its keys."""

    kind: EntityKind
    fetch: Fetch[KeyT, ValueT]
    key_of: Callable[[KeyT], str]
    codec: ValueCodec[Any]
    policy: RequestCachePolicy
    stale_log: StaleLog | None = None
    write_backs: WriteBacks | None = None
    check: CopyCheck | None = None


def _outcome(flight: Flight) -> Mapping[str, Any] | UpstreamError | None:
    """What a finished flight brought: entries, the system's error, or None when the
    waiter must fetch for itself.

    That is when the owner was cancelled, and when its failure was its own request's:
    its input could not be sent, or its deadline ran out. Another request's keys must
    not fail with that (a 66 kB id, a request nearly out of time).
    """
    if flight.cancelled():
        return None
    error = flight.exception()
    if error is None:
        return flight.result()
    if isinstance(error, UpstreamError) and not isinstance(error, RequestDeadlineExceeded):
        return error
    return None
