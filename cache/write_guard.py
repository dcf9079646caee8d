"""A fetch that began before an invalidation must not write what it fetched after it.

A read fetches a record; meanwhile the record changes, its webhook (or the gateway's own
``cancelOrder``) drops the cached copy; then the read's write-back lands and puts the
old state back for the kind's whole TTL. To stop that, every invalidation leaves a
marker beside each key it drops, holding its system's generation number
(``cache.generations``: a counter, counted up by every invalidation before it drops
anything); pattern drops (a whole kind, a whole system) leave one marker for the
pattern. A fetch reads its system's generation *before* it asks the upstream, and its
write skips, atomically with the write itself, every key whose marker (or pattern
marker) is newer than that generation. Invalidations of other keys cost nothing, so
the hit rate under steady webhook traffic is unchanged (compare a per-system check,
which would skip the whole batch whenever any event of the system arrived).

Order matters, in the invalidation: count the generation up, leave the markers, then
drop the keys. A write landing before the markers is dropped by the drop that follows;
one landing after them is skipped. Markers live longer than any fetch (the upstream
deadline is 8 s) and then expire: a fetch that read the generation after a marker was
left reads a number at least as high, so an old marker never blocks a newer fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Longer than a fetch can take (its deadline, 8 s by default) plus its write-back.
MARKER_TTL_MS = 60_000


@dataclass(frozen=True, slots=True)
class WriteGuard:
    """What one batch write must check: ``since`` is the system's generation read before
    the fetch went out; ``markers`` has one marker key per item written, in order;
    ``floors`` are the pattern markers that cover every item of the batch."""

    since: int
    markers: Sequence[str]
    floors: Sequence[str] = ()


def generation_number(raw: bytes | None) -> int:
    """A stored generation as a number; absent (never counted, or expired) is 0."""
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        return 0


def marker_allows(marker: bytes | None, since: int) -> bool:
    """True when no invalidation newer than ``since`` left ``marker``. A marker that
    does not read as a number is taken as newer: skipping a write is always safe."""
    if marker is None:
        return True
    try:
        return int(marker) <= since
    except ValueError:
        return False
