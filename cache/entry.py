"""What one cache entry holds: a value (or the fact that there is none) and its age.

On the wire an entry is a JSON array ``[fetched_at_ms, value]``, or ``[fetched_at_ms]``
for a negative entry (the upstream did not know the key). The fetch time travels with
the value because freshness is decided by the reader, not by Redis: Redis keeps an
entry ``grace`` seconds past its freshness so that a stale copy can still be served
when the upstream fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cache.codec import CodecError, ValueCodec, dumps, loads_json

ValueT = TypeVar("ValueT")


@dataclass(frozen=True, slots=True)
class CachedEntry(Generic[ValueT]):
    fetched_at_ms: int
    present: bool  # False: a negative entry, the upstream had nothing for the key
    value: ValueT | None

    def age_s(self, now_s: float) -> float:
        return max(0.0, now_s - self.fetched_at_ms / 1000)


def present_entry(value: ValueT, fetched_at_s: float) -> CachedEntry[ValueT]:
    return CachedEntry(_ms(fetched_at_s), True, value)


def negative_entry(fetched_at_s: float) -> CachedEntry[Any]:
    return CachedEntry(_ms(fetched_at_s), False, None)


def encode_entry(entry: CachedEntry[Any]) -> bytes:
    """Raises ``CodecError`` if the value cannot be written as JSON."""
    if entry.present:
        return dumps([entry.fetched_at_ms, entry.value])
    return dumps([entry.fetched_at_ms])


def decode_entry(raw: bytes, codec: ValueCodec[ValueT]) -> CachedEntry[ValueT]:
    """Raises ``CodecError`` for anything that is not an entry of ``codec``'s type."""
    document = loads_json(raw)
    if not isinstance(document, list) or type(document[0] if document else None) is not int:
        raise CodecError("not a cache entry")
    if len(document) == 1:
        return CachedEntry(document[0], False, None)
    if len(document) == 2:
        return CachedEntry(document[0], True, codec.from_json(document[1]))
    raise CodecError("not a cache entry")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
