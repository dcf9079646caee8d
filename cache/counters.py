"""What the cache did, per entity kind: plain integers for metrics and tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class KindCounters:
    hits: int = 0  # keys answered from the cache, fresh (negative entries included)
    negative_hits: int = 0  # of which "the upstream has nothing for this key"
    misses: int = 0  # keys the cache could not answer fresh
    fetched: int = 0  # keys this process asked the upstream for
    shared: int = 0  # keys answered by another batch's fetch already under way
    stale_served: int = 0  # keys served past freshness because the upstream failed
    upstream_errors: int = 0  # batch fetches that failed
    codec_errors: int = 0  # entries that could not be read or written (read as misses)
    writes: int = 0  # entries written back
    writes_invalidated: int = 0  # not written: invalidated while they were fetched

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
